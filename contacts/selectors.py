"""Reads of a district's people: who counts as its contact today, and who may act for it."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db.models import QuerySet

from contacts.models import District, Membership, Role, User


def contact_memberships(district_ids: Collection[int] | QuerySet[Any]) -> QuerySet[Membership]:
    """The memberships that make people contacts of these districts today: switched on, of an active account.
    A switched-off membership or a deactivated account gives no access, so it counts for nothing."""
    return Membership.objects.filter(district_id__in=district_ids, is_active=True, user__is_active=True)


def authorized_memberships(district_ids: Collection[int] | QuerySet[Any]) -> QuerySet[Membership]:
    """Contact memberships with a role that may act for the district (not read-only)."""
    return contact_memberships(district_ids).filter(role__in=Role.authorized())


def authorized_contacts(district: District) -> QuerySet[User]:
    """The district's authorized contacts, by name: who may own its cases and be added as their recipients."""
    return User.objects.filter(pk__in=authorized_memberships([district.pk]).values("user_id")).order_by(
        "last_name", "first_name"
    )
