"""The access chokepoint (DESIGN §2 rule 1).

Every read of district data starts from a queryset scoped to the viewer, and every object is fetched through a
getter that answers 404 when it belongs to another district, with the same page as for an object that does not
exist. Every action checks the viewer's role with ``require_capability`` (403 when the role may not act).

Visibility first, then role: a contact of district B asking for district A's page gets a 404, never a 403,
so nothing reveals that the object exists.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.expressions import Col
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
        cached = load_active_memberships(request.user)
        request._portal_memberships = cached  # type: ignore[attr-defined]
    return cached


@dataclass(frozen=True)
class _MembershipsQuery:
    """``active_memberships`` as SQL for one database: every column of the membership and of its district, in
    district order, with the attribute names to build both objects from a row and the converters the ORM would
    apply to each column (none for today's fields on PostgreSQL; a new field that needs one gets it)."""

    sql: str
    membership_fields: list[str]
    district_fields: list[str]
    converters: list[tuple[int, list[Any], Col]]  # (column index, converters, column)


@functools.cache
def _memberships_query(alias: str) -> _MembershipsQuery:
    db = connections[alias]
    quote = db.ops.quote_name
    m_fields, d_fields = Membership._meta.concrete_fields, District._meta.concrete_fields
    m = {f.name: quote(str(f.column)) for f in m_fields}
    d = {f.name: quote(str(f.column)) for f in d_fields}
    columns = ", ".join([f"m.{column}" for column in m.values()] + [f"d.{column}" for column in d.values()])
    m_table, d_table = quote(Membership._meta.db_table), quote(District._meta.db_table)
    # Every name comes from the models' metadata, quoted; the user id is the one parameter.
    sql = f"SELECT {columns} FROM {m_table} m JOIN {d_table} d ON d.{d['id']} = m.{m['district']} WHERE m.{m['user']} = %s AND m.{m['is_active']} ORDER BY d.{d['name']}"  # noqa: S608
    converters = []
    for index, (table, field) in enumerate([*(("m", f) for f in m_fields), *(("d", f) for f in d_fields)]):
        column = field.get_col(table)
        found = db.ops.get_db_converters(column) + column.get_db_converters(db)
        if found:
            converters.append((index, found, column))
    return _MembershipsQuery(sql, [f.attname for f in m_fields], [f.attname for f in d_fields], converters)


def load_active_memberships(user: Viewer) -> list[Membership]:
    """The same objects as ``list(active_memberships(user))`` (the district of each loaded with it), read
    with SQL built once per process.

    Every page a contact opens reads their memberships (the district switcher, the case list's scope and its
    cache key). Through the queryset a five-district contact's read took 0.53 ms of CPU, this way 0.12 ms
    (bench/results/cpu_per_request.md): Django spent the difference building the same query each time.
    Tests check that both give equal objects, field by field.
    """
    if not user.is_authenticated or not user.is_active:
        return []
    alias = router.db_for_read(Membership)
    query = _memberships_query(alias)
    db = connections[alias]
    split = len(query.membership_fields)
    district_cache = Membership._meta.get_field("district")
    result = []
    with db.cursor() as cursor:
        cursor.execute(query.sql, [user.pk])
        rows = cursor.fetchall()
    for values in rows:
        row = list(values)
        for index, converters, column in query.converters:
            for converter in converters:
                row[index] = converter(row[index], column, db)
        membership = Membership.from_db(alias, query.membership_fields, row[:split])
        district_cache.set_cached_value(
            membership, District.from_db(alias, query.district_fields, row[split:])
        )
        result.append(membership)
    return result
