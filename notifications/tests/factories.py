"""Notifications made the way advisors make them: through the services."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from contacts.models import District, User
from notifications.models import Notification
from notifications.services import notification_create


def post_incident(
    advisor: User,
    *,
    title: str = "Grade Book posting errors",
    districts: list[District] | None = None,
    **extra: Any,
) -> Notification:
    return notification_create(
        actor=advisor,
        kind=Notification.Kind.INCIDENT,
        title=title,
        body="Teachers cannot post grades; we are investigating.",
        is_global=districts is None,
        districts=districts or [],
        **extra,
    )


def post_maintenance(
    advisor: User,
    *,
    title: str = "Database upgrade",
    districts: list[District] | None = None,
    starts_at: datetime | None = None,
    **extra: Any,
) -> Notification:
    starts = starts_at or timezone.now() + timedelta(days=14)
    return notification_create(
        actor=advisor,
        kind=Notification.Kind.MAINTENANCE,
        title=title,
        body="Campus will be unavailable during the window.",
        is_global=districts is None,
        districts=districts or [],
        starts_at=starts,
        ends_at=starts + timedelta(hours=4),
        **extra,
    )
