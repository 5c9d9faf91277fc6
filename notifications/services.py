"""Every write of status notifications (DESIGN §2 rule 2): post, update (optionally e-mailed), close, link a case
to an incident, reset a calendar feed's secret address.

Advisors alone post, update and close (``PermissionDenied`` otherwise). Each change locks the notification's row,
checks, writes, and records a ``NotificationUpdate`` (the notification's dated history and audit trail). E-mail goes
through the outbox in the same transaction, once per person per update (the outbox key names both), to the
authorized contacts of the districts it concerns; each person told is remembered, and closing always sends the
resolved update to every one of them, whether or not the closing update itself is e-mailed to the districts.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from contacts.access import is_advisor
from contacts.models import District, User
from contacts.selectors import authorized_memberships
from notifications.models import (
    CalendarFeed,
    IncidentReport,
    Notification,
    NotificationRecipient,
    NotificationUpdate,
)
from outbox.services import enqueue_email

if TYPE_CHECKING:
    from cases.models import Case

TITLE_MAX = 200
Kind = Notification.Kind


def _require_advisor(actor: User) -> None:
    if not is_advisor(actor):
        raise PermissionDenied("Only a support advisor can post, update or close status notifications.")


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def window_errors(kind: str, starts_at: datetime | None, ends_at: datetime | None) -> dict[str, str]:
    """Maintenance has a window; any window ends after it starts."""
    errors: dict[str, str] = {}
    if kind == Kind.MAINTENANCE:
        if starts_at is None:
            errors["starts_at"] = "Enter when the maintenance starts."
        if ends_at is None:
            errors["ends_at"] = "Enter when the maintenance ends."
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = "The end must be after the start."
    return errors


def _check(
    *,
    kind: str,
    title: str,
    body: str,
    is_global: bool,
    districts: list[District],
    starts_at: datetime | None,
    ends_at: datetime | None,
) -> None:
    errors = window_errors(kind, starts_at, ends_at)
    if not title:
        errors["title"] = "Enter a title."
    elif len(title) > TITLE_MAX or "\n" in title:
        errors["title"] = f"Keep the title to one line of at most {TITLE_MAX} characters."
    if not body:
        errors["body"] = "Write what districts need to know."
    if not is_global and not districts:
        errors["districts"] = "Choose the districts it concerns, or all districts."
    if errors:
        raise ValidationError(errors)


def _lock(notification: Notification) -> Notification:
    return Notification.objects.select_for_update(no_key=True).get(pk=notification.pk)


def affected_contacts(notification: Notification) -> list[User]:
    """The authorized contacts of the districts the notification concerns (every active district's when global)."""
    if notification.is_global:
        district_ids: Any = District.objects.filter(is_active=True).values("pk")
    else:
        district_ids = notification.districts.values("pk")
    user_ids = authorized_memberships(district_ids).values("user_id")
    return list(User.objects.filter(pk__in=user_ids, is_active=True).order_by("pk"))


def _email(update: NotificationUpdate, people: Iterable[User], now: datetime) -> int:
    """Queue the update for each person (once per person per update: the outbox key) and remember them."""
    notification = update.notification
    sent = 0
    for person in people:
        row = enqueue_email(
            recipient=person,
            template="status_notification",
            context={"notification": notification, "update": update},
            key=f"notification-{notification.pk}-update-{update.pk}-user-{person.pk}",
        )
        if row is not None:
            sent += 1
            NotificationRecipient.objects.get_or_create(
                notification=notification, user=person, defaults={"first_told_at": now}
            )
    return sent


@transaction.atomic
def notification_create(
    *,
    actor: User,
    kind: str,
    title: str,
    body: str,
    is_global: bool,
    districts: Iterable[District] = (),
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    email: bool = False,
    now: datetime | None = None,
) -> Notification:
    """Post a notification with its first update; e-mail it to the affected districts' authorized contacts when
    ``email``."""
    _require_advisor(actor)
    now = _now(now)
    title, body, chosen = title.strip(), body.strip(), list(districts)
    if kind not in Kind.values:
        raise ValidationError({"kind": "Choose incident or maintenance."})
    _check(
        kind=kind,
        title=title,
        body=body,
        is_global=is_global,
        districts=chosen,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    notification = Notification.objects.create(
        kind=kind,
        title=title,
        is_global=is_global,
        starts_at=starts_at,
        ends_at=ends_at,
        opened_at=now,
        updated_at=now,
        created_by=actor,
    )
    if not is_global:
        notification.districts.set(chosen)
    update = NotificationUpdate.objects.create(
        notification=notification,
        kind=NotificationUpdate.Kind.POSTED,
        body=body,
        created_at=now,
        author=actor,
        emailed=email,
    )
    if email:
        _email(update, affected_contacts(notification), now)
    return notification


@transaction.atomic
def notification_update(
    *,
    actor: User,
    notification: Notification,
    body: str,
    title: str | None = None,
    is_global: bool | None = None,
    districts: Iterable[District] | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    email: bool = False,
    now: datetime | None = None,
) -> NotificationUpdate:
    """Add a dated update to an open notification, changing its title, scope or window on the way (``None``
    keeps a value). E-mailed to the affected districts' authorized contacts when ``email``."""
    _require_advisor(actor)
    now = _now(now)
    locked = _lock(notification)
    if locked.closed_at is not None:
        raise ValidationError("This notification is closed; post a new one.")
    current_districts = list(locked.districts.all())
    new_title = locked.title if title is None else title.strip()
    new_global = locked.is_global if is_global is None else is_global
    new_districts = current_districts if districts is None else list(districts)
    new_starts = locked.starts_at if starts_at is None else starts_at
    new_ends = locked.ends_at if ends_at is None else ends_at
    body = body.strip()
    _check(
        kind=locked.kind,
        title=new_title,
        body=body,
        is_global=new_global,
        districts=new_districts,
        starts_at=new_starts,
        ends_at=new_ends,
    )
    changes: dict[str, Any] = {}
    for field, old, new in (
        ("title", locked.title, new_title),
        ("starts_at", locked.starts_at, new_starts),
        ("ends_at", locked.ends_at, new_ends),
        ("is_global", locked.is_global, new_global),
    ):
        if old != new:
            changes[field] = [_json(old), _json(new)]
            setattr(locked, field, new)
    old_ids = sorted(d.pk for d in current_districts)
    new_ids = [] if new_global else sorted(d.pk for d in new_districts)
    if old_ids != new_ids:
        changes["districts"] = [old_ids, new_ids]
        locked.districts.set(new_ids)
    locked.updated_at = now
    locked.revision += 1
    locked.save(update_fields=["title", "starts_at", "ends_at", "is_global", "updated_at", "revision"])
    update = NotificationUpdate.objects.create(
        notification=locked,
        kind=NotificationUpdate.Kind.UPDATE,
        body=body,
        created_at=now,
        author=actor,
        emailed=email,
        changes=changes,
    )
    if email:
        _email(update, affected_contacts(locked), now)
    notification.refresh_from_db()
    return update


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


@transaction.atomic
def notification_close(
    *,
    actor: User,
    notification: Notification,
    body: str,
    email: bool = False,
    now: datetime | None = None,
) -> NotificationUpdate:
    """Close an open notification with its resolved update. Everyone told of it before hears it is resolved;
    with ``email`` the affected districts' other authorized contacts hear it too."""
    _require_advisor(actor)
    now = _now(now)
    locked = _lock(notification)
    if locked.closed_at is not None:
        raise ValidationError("This notification is already closed.")
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Say what was resolved."})
    locked.closed_at = locked.updated_at = now
    locked.revision += 1
    locked.save(update_fields=["closed_at", "updated_at", "revision"])
    update = NotificationUpdate.objects.create(
        notification=locked,
        kind=NotificationUpdate.Kind.RESOLVED,
        body=body,
        created_at=now,
        author=actor,
        emailed=True,
    )
    told = User.objects.filter(pk__in=locked.recipients.values("user_id"), is_active=True).order_by("pk")
    people = {person.pk: person for person in told}
    if email:
        people.update({person.pk: person for person in affected_contacts(locked)})
    _email(update, people.values(), now)
    notification.refresh_from_db()
    return update


def incident_link_case(
    *, case: Case, notification: Notification, now: datetime | None = None
) -> IncidentReport:
    """Record that a new case reports an open incident its district may see ("same symptoms"). Called by the
    case submission service inside its transaction."""
    from notifications.selectors import open_incidents_for_districts

    if not open_incidents_for_districts([case.district_id]).filter(pk=notification.pk).exists():
        raise ValidationError(
            {"incident": "This incident is no longer open; describe your symptoms instead."}
        )
    return IncidentReport.objects.create(
        notification=notification, case=case, district_id=case.district_id, created_at=_now(now)
    )


@transaction.atomic
def calendar_feed_reset(*, user: User) -> CalendarFeed:
    """Give the person a new secret calendar address; the old one stops working at once."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied("Log in to get a calendar feed.")
    token = secrets.token_urlsafe(32)
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(
        user=user, defaults={"token": token}
    )
    if not created:
        feed.token = token
        feed.created_at = timezone.now()
        feed.save(update_fields=["token", "created_at"])
    return feed


def calendar_feed_for(user: User) -> CalendarFeed:
    """The person's calendar feed, created on first use."""
    feed = CalendarFeed.objects.filter(user=user).first()
    return feed if feed is not None else calendar_feed_reset(user=user)
