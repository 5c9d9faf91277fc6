"""The 60-day reopen window (SPEC §3.2, §8, CALENDAR.md §7): a closed case may be re-opened until the same
Chicago wall-clock time 60 calendar days after it was closed. The Re-open button and its deadline on the case
page, the re-open service, the "Closed in the last 60 days" quick view, the workbench's preview of a close and
the reopen-window job all ask this module, which alone asks ``businesstime.reopen_deadline``, so they cannot
disagree, not even across a daylight-saving change. The rule is computed from ``closed_at`` on every request;
``Case.reopen_window_ends_at`` is only the job's due moment."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from cases.models import Case
from cases.workflow import Status
from portal.lib import businesstime


def window_end(closed_at: datetime) -> datetime:
    """The last moment a case closed at ``closed_at`` may be re-opened."""
    return businesstime.reopen_deadline(closed_at)


def reopen_deadline(case: Case) -> datetime | None:
    """The last moment the case may be re-opened; ``None`` unless it is closed."""
    if case.status != Status.CLOSED or case.closed_at is None:
        return None
    return window_end(case.closed_at)


def reopen_allowed(case: Case, now: datetime | None = None) -> bool:
    """Whether the case can still be re-opened."""
    return (
        case.status == Status.CLOSED
        and case.closed_at is not None
        and businesstime.reopen_allowed(case.closed_at, now or timezone.now())
    )


def recently_closed(cases: QuerySet[Case], now: datetime | None = None) -> QuerySet[Case]:
    """The closed cases that can still be re-opened: exactly those ``reopen_allowed`` accepts."""
    closed_at = Q()
    for start, end in businesstime.reopenable_closed_at(now or timezone.now()):
        closed_at |= Q(closed_at__gte=start) if end is None else Q(closed_at__gte=start, closed_at__lt=end)
    return cases.filter(closed_at, status=Status.CLOSED)
