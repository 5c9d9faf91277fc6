"""The advisors' queues: which open cases each one holds and in which order, in one place.

Every queue is a ``Q`` over open cases and an ordering, so the admin list, its counts and the tests read the same
definitions. The counts of every queue (and of each team) come from one query, each capped at ``COUNT_CAP``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.formats import date_format

from cases.casetypes import Team
from cases.models import ONCALL_PROMISE, OPEN_CASE, Case, Priority, first_response_due_sql
from cases.workflow import WAITING_ON_DISTRICT, WHOSE_MOVE, Move, Status
from contacts.models import User
from portal.lib import businesstime

# "Due soon": the first response is due within this much business time (clock time for a Critical case's
# on-call hour), so the advisor still has half a morning to answer.
DUE_SOON = timedelta(hours=4)


def due_soon(now: datetime) -> Q:
    """Open and not yet answered, and overdue or due within ``DUE_SOON`` (business time; clock time on call)."""
    business_limit = businesstime.add_business_time(now, DUE_SOON)
    return (
        OPEN_CASE
        & Q(first_response_at__isnull=True)
        & (
            (ONCALL_PROMISE & Q(oncall_due_at__lte=now + DUE_SOON))
            | (~ONCALL_PROMISE & Q(first_response_due_at__lte=business_limit))
        )
    )


@dataclass(frozen=True)
class Queue:
    name: str
    label: str
    condition: Callable[[User, datetime], Q]
    ordering: Callable[[], list[Any]]


QUEUES: dict[str, Queue] = {
    queue.name: queue
    for queue in [
        Queue(
            "mine",
            "My open cases",
            lambda user, now: OPEN_CASE & Q(assigned_to=user),
            lambda: ["-updated_at", "-number"],
        ),
        Queue(
            "unassigned",
            "Unassigned",
            lambda user, now: Q(status__in=[Status.NEW, Status.REOPENED]),
            # Most urgent first, then the longest waiting.
            lambda: ["priority", "created_at", "number"],
        ),
        Queue(
            "needs_reply",
            "Needs reply",
            lambda user, now: OPEN_CASE & Q(awaiting_support_since__isnull=False),
            # The contact who has waited longest first.
            lambda: ["awaiting_support_since", "number"],
        ),
        Queue(
            "waiting",
            "Waiting on the district",
            lambda user, now: Q(status__in=sorted(WAITING_ON_DISTRICT)),
            # Longest in the status first: the follow-ups are due there first.
            lambda: ["status_changed_at", "number"],
        ),
        Queue(
            "due",
            "Due soon or overdue",
            lambda user, now: due_soon(now),
            lambda: [first_response_due_sql().asc(), "number"],
        ),
        Queue(
            "critical",
            "Critical now",
            lambda user, now: OPEN_CASE & Q(priority=Priority.CRITICAL),
            # The longest-running outage first.
            lambda: ["created_at", "number"],
        ),
        Queue(
            "team",
            "By team",
            lambda user, now: OPEN_CASE,
            lambda: ["team", "-updated_at", "-number"],
        ),
    ]
}


def queue_condition(name: str, *, user: User, now: datetime) -> Q:
    """The cases of the queue ``name`` (a key of ``QUEUES``) for this advisor at this moment."""
    return QUEUES[name].condition(user, now)


def queue_ordering(name: str) -> list[Any]:
    return QUEUES[name].ordering()


# A queue's count is exact up to this many cases and "1,000+" beyond: how many more would not change what an
# advisor does next, and counting every case of a large queue would cost every page of the workbench the time
# of reading them all.
COUNT_CAP = 1000


def queue_counts(*, user: User, now: datetime) -> dict[str, int]:
    """How many cases each queue holds, keyed by queue name, and each team's open cases, keyed ``team:<code>``
    (the queue "team" is counted team by team: those are its links); at most ``COUNT_CAP + 1`` (more than the
    cap). One query: a scalar subquery per count, each reading at most that many rows of its queue's index."""
    conditions = {name: queue_condition(name, user=user, now=now) for name in QUEUES if name != "team"}
    conditions |= {f"team:{team.value}": OPEN_CASE & Q(team=team) for team in Team}
    parts: list[str] = []
    params: list[Any] = []
    for index, condition in enumerate(conditions.values()):
        capped = Case.objects.filter(condition).order_by().values("pk")[: COUNT_CAP + 1]
        sql, sql_params = capped.query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped_{index})")  # noqa: S608 - querysets, values as params
        params.extend(sql_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(conditions, row, strict=True))


def capped_count(cases: QuerySet[Case]) -> int:
    """How many cases, counting at most ``COUNT_CAP + 1``."""
    return cases.order_by()[: COUNT_CAP + 1].count()


def count_label(count: int) -> str:
    """A queue's count as its link shows it: "42", "1,000+"."""
    return f"{COUNT_CAP:,}+" if count > COUNT_CAP else f"{count:,}"


# ---------------------------------------------------------------------------------------------------------------
# What a row of a queue says about its case.


def duration_label(amount: timedelta) -> str:
    """``3 h 05 min``: whole minutes, hours not folded into days (a business day is 12 hours)."""
    minutes = max(amount // timedelta(minutes=1), 0)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def first_response_label(case: Case, now: datetime) -> str:
    """The first response as the queue shows it: due in or overdue by (business hours; clock hours on call),
    met or late, or nothing for a case closed without one."""
    response = case.first_response(now)
    clock = " (clock)" if response.oncall else ""
    if response.state == "met":
        return "met"
    if response.state == "late":
        return "given late"
    if response.at is None:  # closed without a first response
        return "-"
    if response.state == "due":
        left = response.at - now if response.oncall else businesstime.business_time_between(now, response.at)
        return f"due in {duration_label(left)}{clock}"
    late = now - response.at if response.oncall else businesstime.business_time_between(response.at, now)
    return f"overdue by {duration_label(late)}{clock}"


def impact_summary(case: Case) -> str:
    """The impact assessment in a few words, "Severe · no workaround · several districts"; "-" if not assessed."""
    try:
        impact = case.impact
    except Case.impact.RelatedObjectDoesNotExist:
        return "-"
    parts = [impact.get_disruption_display().split(":")[0]]
    if impact.cannot_perform_daily_functions:
        parts.append("daily work blocked")
    parts.append("workaround" if impact.workaround_exists else "no workaround")
    if impact.multiple_districts:
        parts.append("several districts")
    if impact.multiple_users:
        parts.append("several users")
    return " · ".join(parts)


def whose_move(case: Case) -> Move | None:
    """Who has to act next on an open case: support while a contact waits for a reply, otherwise what the
    status means (``WHOSE_MOVE``). None for a closed case."""
    if case.status == Status.CLOSED:
        return None
    if case.awaiting_support_since is not None:
        return Move.SUPPORT
    return WHOSE_MOVE[Status(case.status)]


def whose_move_label(case: Case, now: datetime) -> str:
    """ "Support, waited 3 h 05 min" (business hours since the contact's post), "District", "Development",
    "Scheduled Mon 30 Nov"."""
    move = whose_move(case)
    if move is None:
        return "-"
    if move == Move.SCHEDULED and case.scheduled_for is not None:
        return f"Scheduled {date_format(case.scheduled_for, 'D j M')}"
    if move == Move.SUPPORT and case.awaiting_support_since is not None:
        waited = businesstime.business_time_between(case.awaiting_support_since, now)
        return f"Support, waited {duration_label(waited)}"
    return move.value.capitalize()
