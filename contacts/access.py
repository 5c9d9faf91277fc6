"""The access chokepoint (DESIGN §2 rule 1).

Every read of district data starts from a queryset scoped to the viewer, and every object is fetched through a
getter that answers 404 when it belongs to another district, with the same page as for an object that does not
exist. Every action checks the viewer's role with ``require_capability`` (403 when the role may not act).

Visibility first, then role: a contact of district B asking for district A's page gets a 404, never a 403,
so nothing reveals that the object exists.
"""

from __future__ import annotations

import enum

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from contacts.models import District, Membership, Role, User


class Capability(enum.StrEnum):
    """What a person may do in a district (the columns of SPEC §1's table)."""

    VIEW = "view district cases"
    SUBMIT = "submit cases"
    SUBMIT_SERVER = "submit Server Issue and Server Access cases"
    POST = "post and attach files"
    CLOSE_REOPEN = "close and reopen cases"
    GRANT_PERMISSION = "grant written permission"
    MANAGE_RECIPIENTS = "add or remove any eligible notification recipient"
    MANAGE_OWN_NOTIFICATIONS = "add or remove themselves as a notification recipient"


_AUTHORIZED = frozenset(
    {
        Capability.VIEW,
        Capability.SUBMIT,
        Capability.POST,
        Capability.CLOSE_REOPEN,
        Capability.GRANT_PERMISSION,
        Capability.MANAGE_RECIPIENTS,
        Capability.MANAGE_OWN_NOTIFICATIONS,
    }
)

# SPEC §1, one row per role. The Technical contact alone submits server cases (seed 004).
ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.SUPPORT: _AUTHORIZED,
    Role.TECHNICAL: _AUTHORIZED | {Capability.SUBMIT_SERVER},
    Role.IMPLEMENTATION: _AUTHORIZED,
    Role.READ_ONLY: frozenset({Capability.VIEW, Capability.MANAGE_OWN_NOTIFICATIONS}),
}

Viewer = User | AnonymousUser


def is_advisor(user: Viewer) -> bool:
    """Whether the person holds the advisor role (``User.objects.advisors()``): staff status alone is not enough."""
    return isinstance(user, User) and user.is_advisor


def visible_districts(user: Viewer) -> QuerySet[District]:
    """The districts whose data the person may read."""
    return District.objects.visible_to(user)


def get_district_for_viewer(user: Viewer, slug: str) -> District:
    """The district with this slug if the person may see it; otherwise 404, exactly as for a missing one."""
    try:
        return visible_districts(user).get(slug=slug)
    except District.DoesNotExist:
        raise Http404("No such district.") from None


def active_memberships(user: Viewer) -> QuerySet[Membership]:
    """The person's active memberships with their districts, in district order (one query)."""
    if not user.is_authenticated or not user.is_active:
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("district")
        .order_by("district__name")
    )


def membership_in(user: Viewer, district: District) -> Membership | None:
    """The person's active membership in the district, or None."""
    return active_memberships(user).filter(district=district).first()


def has_capability(user: Viewer, district: District, capability: Capability) -> bool:
    """Whether the person may do this in this district. Advisors may do everything, in every district."""
    if is_advisor(user):
        return True
    membership = membership_in(user, district)
    return membership is not None and capability in ROLE_CAPABILITIES[Role(membership.role)]


def require_capability(user: Viewer, district: District, capability: Capability) -> None:
    """Raise PermissionDenied (403) unless the person may do this in this district.

    Call it after the district was fetched through a visibility getter, so an outsider already got a 404.
    """
    if not has_capability(user, district, capability):
        raise PermissionDenied(f"Your role in {district.name} does not allow you to {capability.value}.")


def request_memberships(request: HttpRequest) -> list[Membership]:
    """The viewer's active memberships, loaded once per request and shared by views and templates."""
    cached: list[Membership] | None = getattr(request, "_portal_memberships", None)
    if cached is None:
        cached = list(active_memberships(request.user))
        request._portal_memberships = cached  # type: ignore[attr-defined]
    return cached
