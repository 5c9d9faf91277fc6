"""Every read of status notifications, scoped to the viewer (DESIGN §2 rule 1).

A global notification is readable by everyone, logged in or not. A district-scoped one only by the contacts of its
districts (active memberships, as for cases) and by advisors; to anyone else it does not exist (404).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import groupby
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from contacts.access import Viewer, active_memberships, is_advisor, request_memberships
from notifications.models import SEARCH_CONFIG, IncidentReport, Notification, NotificationUpdate

Kind = Notification.Kind
# The banner names at most this many open notifications; the Notifications page has them all.
BANNER_MAX = 3
# The Closed tab shows the most recently closed notifications.
CLOSED_TAB_MAX = 50
KNOWN_ISSUES_MAX = 5
# Past maintenance stays in the calendar feeds this long.
CALENDAR_HISTORY = timedelta(days=365)


def _for_districts(queryset: QuerySet[Notification], district_ids: Any) -> QuerySet[Notification]:
    """Global notifications, and those for any of these districts (ids, or a subquery of them)."""
    scoped = Notification.districts.through.objects.filter(
        notification_id=OuterRef("pk"), district_id__in=district_ids
    )
    return queryset.filter(Q(is_global=True) | Exists(scoped))


def visible_to(user: Viewer) -> QuerySet[Notification]:
    """The notifications this person may read."""
    queryset = Notification.objects.all()
    if is_advisor(user):
        return queryset
    if not user.is_authenticated or not user.is_active:
        return queryset.filter(is_global=True)
    return _for_districts(queryset, active_memberships(user).values("district_id"))


def get_notification_for_viewer(user: Viewer, pk: int) -> Notification:
    """The notification if the person may read it; otherwise 404, exactly as for one that does not exist."""
    try:
        return visible_to(user).get(pk=pk)
    except Notification.DoesNotExist:
        raise Http404("No such notification.") from None


# --- the banner --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Banner:
    """What the banner below the header says: the open notifications for the viewer, incidents first."""

    notifications: list[Notification]
    more: bool  # more open notifications than the banner names

    @property
    def state(self) -> str:
        if not self.notifications:
            return "none"
        return "incident" if self.notifications[0].kind == Kind.INCIDENT else "maintenance"


def banner_for(request: HttpRequest) -> Banner:
    """One indexed query (the open notifications' partial index). A contact's districts come from the
    memberships the layout loads anyway (``request_memberships``), so they cost nothing more."""
    user = request.user
    queryset = Notification.objects.filter(closed_at__isnull=True)
    if not is_advisor(user):
        if user.is_authenticated:
            ids = [m.district_id for m in request_memberships(request)]
            queryset = _for_districts(queryset, ids) if ids else queryset.filter(is_global=True)
        else:
            queryset = queryset.filter(is_global=True)
    # "incident" sorts before "maintenance": the orange banner wins.
    rows = list(
        queryset.order_by("kind", "-opened_at").only("pk", "kind", "title", "starts_at", "ends_at")[
            : BANNER_MAX + 1
        ]
    )
    return Banner(notifications=rows[:BANNER_MAX], more=len(rows) > BANNER_MAX)


# --- the Notifications page --------------------------------------------------------------------------------------


@dataclass
class Entry:
    notification: Notification
    updates: list[NotificationUpdate] = field(default_factory=list)


def page_entries(user: Viewer, *, closed: bool) -> list[Entry]:
    """The Open or Closed tab: each notification with its updates, newest first, in one query (the updates
    joined to their notifications), so the page stays up with nothing but the database."""
    notifications = visible_to(user).filter(closed_at__isnull=not closed)
    if closed:
        chosen = notifications.order_by("-closed_at").values("pk")[:CLOSED_TAB_MAX]
        order = ["-notification__closed_at", "notification_id", "-created_at", "-pk"]
    else:
        chosen = notifications.values("pk")
        order = ["notification__kind", "-notification__opened_at", "notification_id", "-created_at", "-pk"]
    updates = (
        NotificationUpdate.objects.filter(notification__in=chosen)
        .select_related("notification")
        .defer("changes", "author_id", "emailed")
        .order_by(*order)
    )
    return [
        Entry(notification=rows[0].notification, updates=rows)
        for rows in (list(group) for _, group in groupby(updates, key=lambda u: u.notification_id))
    ]


def updates_of(notification: Notification) -> list[NotificationUpdate]:
    return list(notification.updates.order_by("-created_at", "-pk"))


# --- the case submission form ------------------------------------------------------------------------------------


def open_incidents_for_districts(district_ids: Collection[int]) -> QuerySet[Notification]:
    """Open incidents that concern any of these districts (global ones concern every district)."""
    return _for_districts(
        Notification.objects.filter(closed_at__isnull=True, kind=Kind.INCIDENT), district_ids
    )


def incidents_by_district(user: Viewer, district_ids: Collection[int]) -> dict[int, list[Notification]]:
    """For the submission form: each district's open incidents the person may see, newest first."""
    visible = (
        visible_to(user).filter(closed_at__isnull=True, kind=Kind.INCIDENT).prefetch_related("districts")
    )
    rows = list(_for_districts(visible, list(district_ids)).order_by("-opened_at"))
    return {
        pk: [n for n in rows if n.is_global or any(d.pk == pk for d in n.districts.all())]
        for pk in district_ids
    }


_WORD = re.compile(r"\w+")


def known_issues(user: Viewer, *, district_id: int | None, text: str) -> list[Notification]:
    """Open incidents and maintenance whose titles match any word of ``text`` (full-text, English stemming), for
    the chosen district and visible to the person; best matches first."""
    words = _WORD.findall(text)[:20]
    if not words:
        return []
    query = SearchQuery(" or ".join(words), search_type="websearch", config=SEARCH_CONFIG)
    queryset = visible_to(user).filter(closed_at__isnull=True)
    queryset = _for_districts(queryset, [district_id] if district_id is not None else [])
    return list(
        queryset.annotate(search=SearchVector("title", config=SEARCH_CONFIG))
        .filter(search=query)
        .order_by("kind", "-opened_at")[:KNOWN_ISSUES_MAX]
    )


# --- advisors: who reports an incident ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reports:
    districts: int
    cases: int
    rows: list[IncidentReport]


def incident_reports(user: Viewer, notification: Notification) -> Reports:
    """How many districts and cases report the incident, and the cases (advisors only)."""
    if not is_advisor(user):
        return Reports(districts=0, cases=0, rows=[])
    reports = IncidentReport.objects.filter(notification=notification)
    totals = reports.aggregate(cases=Count("pk"), districts=Count("district", distinct=True))
    rows = list(
        reports.select_related("case", "district", "case__contact").order_by("district__name", "case__number")
    )
    return Reports(districts=totals["districts"], cases=totals["cases"], rows=rows)


# --- calendars ---------------------------------------------------------------------------------------------------


def maintenance_for_calendar(user: Viewer) -> list[Entry]:
    """Maintenance the person may see, open or ended within ``CALENDAR_HISTORY``, each with its updates."""
    since = timezone.now() - CALENDAR_HISTORY
    chosen = visible_to(user).filter(kind=Kind.MAINTENANCE, ends_at__gte=since).values("pk")
    updates = (
        NotificationUpdate.objects.filter(notification__in=chosen)
        .select_related("notification")
        .order_by("notification__starts_at", "notification_id", "-created_at", "-pk")
    )
    return [
        Entry(notification=rows[0].notification, updates=rows)
        for rows in (list(group) for _, group in groupby(updates, key=lambda u: u.notification_id))
    ]
