"""Reads of a district's people: who counts as its contact today, and who may act for it."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db.models import QuerySet

from contacts.models import District, Membership, Role, User, current_membership


def contact_memberships(district_ids: Collection[int] | QuerySet[Any]) -> QuerySet[Membership]:
    """The memberships that make people contacts of these districts today (``current_membership``)."""
    return Membership.objects.filter(current_membership(), district_id__in=district_ids)


def authorized_memberships(district_ids: Collection[int] | QuerySet[Any]) -> QuerySet[Membership]:
    """Contact memberships with a role that may act for the district (not read-only)."""
    return contact_memberships(district_ids).filter(role__in=Role.authorized())


def authorized_contacts(district: District) -> QuerySet[User]:
    """The district's authorized contacts, by name: who may own its cases and be added as their recipients."""
    return User.objects.filter(pk__in=authorized_memberships([district.pk]).values("user_id")).order_by(
        "last_name", "first_name"
    )
