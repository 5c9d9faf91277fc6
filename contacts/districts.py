"""The district a contact is working in ("current district") for contacts with several districts.

A contact with one district always works in it. A contact with several picks one in the header's switcher, or
"All my districts"; the choice is kept in the session and remembered on the account (``last_district``) as the
default for forms and for the next login (SPEC §1).
"""

from django.http import HttpRequest

from contacts.access import request_memberships
from contacts.models import District, User

SESSION_KEY = "portal_district"
ALL = "all"


def current_district(request: HttpRequest) -> District | None:
    """The district the contact works in now, or None for "All my districts" (or no districts)."""
    memberships = request_memberships(request)
    if not memberships:
        return None
    by_id = {m.district_id: m.district for m in memberships}
    if len(memberships) == 1:
        return memberships[0].district
    chosen = request.session.get(SESSION_KEY)
    if chosen == ALL:
        return None
    if isinstance(chosen, int) and chosen in by_id:
        return by_id[chosen]
    user = request.user
    if isinstance(user, User) and user.last_district_id in by_id:
        return by_id[user.last_district_id]
    return None


def choose_district(request: HttpRequest, value: str) -> District | None:
    """Switch to the district with this slug, or to all districts for ``"all"``.

    Raises ``LookupError`` when the slug is not one of the contact's districts.
    """
    if value == ALL:
        request.session[SESSION_KEY] = ALL
        return None
    for membership in request_memberships(request):
        if membership.district.slug == value:
            remember_district(request, membership.district)
            return membership.district
    raise LookupError(value)


def remember_district(request: HttpRequest, district: District, *, switch: bool = True) -> None:
    """Remember ``district`` as the contact's default for forms (``last_district``); with ``switch``, also make
    it the district they work in now."""
    if switch:
        request.session[SESSION_KEY] = district.pk
    user = request.user
    if isinstance(user, User) and user.last_district_id != district.pk:
        User.objects.filter(pk=user.pk).update(last_district=district)
        user.last_district = district
