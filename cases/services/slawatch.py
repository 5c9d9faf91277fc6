"""SLA watch (SPEC §8): warn support before a first-response target is missed, record the miss, and store how
late the answer came.

The promise watched is the one the district was given (``Case.first_response_promise``): the business-hours
target, or for a Critical outage the on-call hour, in clock time, day and night.

* **Warning moment** (``sla_warn_at``, stored with the target): ``SLA_WARNING_BUSINESS_MINUTES`` of business
  time before the business target, or ``SLA_WARNING_CRITICAL_MINUTES`` clock minutes before the on-call hour
  ends; at the clock start when the lead is longer than the target. Business time runs forward only, so it is
  the clock start plus (target - lead); a moment that would fall at closing time (18:00) is the next opening
  instead, which is the same business moment: a business warning is always inside business hours.
* **Next watch moment** (``sla_watch_at``, indexed): the warning until it is sent, then the target until it is
  answered or missed, then nothing. The ``sla-watch`` job reads due cases from it.
* **Warning**: once per case and promise, to the assigned advisor while they are an active advisor, otherwise
  to the team's queue address (settings). Never outside business hours for a business target: a warning found
  due at night (the job was late) waits for the next opening. If the target passed meanwhile, the warning
  still goes out once, at the opening, as an overdue notice: nobody was told, and the queue alone does not
  e-mail anyone.
* **Miss**: at the target an unanswered case is recorded as missed (``sla_missed_at`` = the target, an event
  dated at the target), day or night: it is a record, not an e-mail. An answer that comes late before the job
  ran records it too, so every late answer has its miss.
* **Lateness** (``first_response_late_seconds``): stored when the first response is posted: business seconds
  after a business target, clock seconds after the on-call hour, 0 when on time.

Once per case and promise is held three ways: the row lock (``select_for_update(skip_locked=True)``) with a
re-check of the stored moments inside it, the events' unique constraint (``caseevent_sla_once``: case, kind,
target), and the outbox key (``case-<pk>-sla-warning-<target>``). A new priority gives a new target: the watch
starts over for it, and the events of the old one stay.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import transaction
from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from cases.models import OPEN_CASE, Case, CaseEvent, Priority
from cases.services.common import business_seconds
from cases.workflow import Status
from contacts.access import is_advisor
from outbox.services import enqueue_email
from portal.lib import businesstime

WATCH_FIELDS = ["sla_warn_at", "sla_warned_at", "sla_missed_at", "sla_watch_at"]
# The events the watch records: not a change anyone made to the case (a person's save is not stale because of
# them, cases.services.common.require_unchanged).
WATCH_KINDS = frozenset({CaseEvent.Kind.SLA_WARNED, CaseEvent.Kind.SLA_MISSED})


def warning_lead(oncall: bool) -> timedelta:
    if oncall:
        return timedelta(minutes=settings.SLA_WARNING_CRITICAL_MINUTES)
    return timedelta(minutes=settings.SLA_WARNING_BUSINESS_MINUTES)


def warning_moment(case: Case) -> datetime:
    """When support is warned of the case's promised target (module docstring)."""
    due, oncall = case.first_response_promise()
    lead = warning_lead(oncall)
    if oncall:
        start = due - businesstime.ONCALL_TARGET
        return max(due - lead, start)
    target = businesstime.SLA_TARGETS[Priority(case.priority).business]
    moment = businesstime.add_business_time(case.created_at, max(target - lead, timedelta(0)))
    return businesstime.next_opening(moment)


def target_key(due: datetime) -> str:
    """The promised moment as the events and the outbox key name it (UTC, ISO 8601)."""
    return due.astimezone(UTC).isoformat()


def plan(case: Case, *, previous_due: datetime | None = None) -> list[str]:
    """Plan the watch of a case's promise, when it is set (submission) or changes (priority): the fields to
    save. A new target starts the watch over; the same target keeps what was already done."""
    if case.first_response_at is not None:
        return []
    due, _ = case.first_response_promise()
    if previous_due is not None and previous_due != due:
        case.sla_warned_at = None
        case.sla_missed_at = None
    case.sla_warn_at = warning_moment(case)
    case.sla_watch_at = _next_watch(case, due)
    return list(WATCH_FIELDS)


def _next_watch(case: Case, due: datetime, *, warning_waits_until: datetime | None = None) -> datetime | None:
    pending = []
    if case.sla_warned_at is None and case.sla_warn_at is not None:
        pending.append(warning_waits_until or case.sla_warn_at)
    if case.sla_missed_at is None:
        pending.append(due)
    return min(pending) if pending else None


def record_answer(case: Case, now: datetime) -> list[str]:
    """The first response was posted at ``now`` (``posts.record_first_response``, under the case's lock): store
    how late it came, record the miss if the job has not, and stop watching. Returns the fields to save."""
    due, oncall = case.first_response_promise()
    late = 0
    if now > due:
        late = (now - due) // timedelta(seconds=1) if oncall else business_seconds(due, now)
        if case.sla_missed_at is None:
            _record_miss(case, due, oncall)
    case.first_response_late_seconds = late
    case.sla_watch_at = None
    return ["first_response_late_seconds", "sla_missed_at", "sla_watch_at"]


def _record_once(case: Case, kind: str, due: datetime, at: datetime, **data: object) -> None:
    """The watch's event for ``case`` and its target, unless it is already recorded (``caseevent_sla_once``:
    ON CONFLICT DO NOTHING, so a second one is no error and costs no query to look for the first)."""
    event = CaseEvent(case=case, kind=kind, new=target_key(due), data=data, created_at=at)
    CaseEvent.objects.bulk_create([event], ignore_conflicts=True)


def _record_miss(case: Case, due: datetime, oncall: bool) -> None:
    # Dated at the target: the case was unanswered then, whenever the job got to it.
    _record_once(case, CaseEvent.Kind.SLA_MISSED, due, due, oncall=oncall)
    case.sla_missed_at = due


def _warn(case: Case, due: datetime, oncall: bool, now: datetime) -> str:
    assignee = case.assigned_to
    advisor = assignee if assignee is not None and is_advisor(assignee) else None
    key = target_key(due)
    overdue = due <= now
    left = (due - now) if oncall else businesstime.business_time_between(now, due)
    late = (now - due) if oncall else businesstime.business_time_between(due, now)
    context = {
        "case": case,
        "district_name": case.district.name,
        "due_long": date_format(timezone.localtime(due), "l j F Y, g:i A T"),
        "overdue": overdue,
        "left": _minutes(left),
        "late": _minutes(late),
        "oncall": oncall,
        "explanation": case.first_response_explained,
        "work_path": reverse("admin:cases_case_change", args=[case.pk]),
        "team": case.get_team_display(),
        "former_assignee": (assignee.get_full_name() or assignee.email) if assignee and not advisor else "",
    }
    address = settings.SUPPORT_TEAM_QUEUE_ADDRESSES[case.team]
    # One e-mail per case and target (the outbox key), one event (the constraint), whoever runs it.
    enqueue_email(
        recipient=advisor if advisor is not None else address,
        template="sla_warning",
        context=context,
        key=f"case-{case.pk}-sla-warning-{key}",
    )
    to = str(advisor.pk) if advisor is not None else f"queue:{case.team}"
    _record_once(case, CaseEvent.Kind.SLA_WARNED, due, now, to=to, oncall=oncall, overdue=overdue)
    case.sla_warned_at = now
    return advisor.email if advisor is not None else address


def _minutes(amount: timedelta) -> str:
    minutes = max(amount // timedelta(minutes=1), 0)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d} min"


# --- the job -------------------------------------------------------------------------------------------------


def due(now: datetime) -> QuerySet[Case]:
    """Open cases whose next watch moment has come, oldest first (index ``case_sla_watch``)."""
    return Case.objects.filter(OPEN_CASE, sla_watch_at__lte=now).order_by("sla_watch_at", "pk")


def handle(pk: int, now: datetime) -> str | None:
    """Do what is due on one case, in its own transaction: record the miss, send the warning (or let it wait
    for the next opening), and store the next watch moment."""
    with transaction.atomic(durable=True):
        # Claimed by primary key alone, the re-check in Python: with the due conditions in the query, PostgreSQL
        # may walk the due index to find one row, once per row of the run.
        case = (
            Case.objects.select_for_update(skip_locked=True, no_key=True, of=("self",))
            .select_related("district", "assigned_to")
            .filter(pk=pk)
            .first()
        )
        if (
            case is None
            or case.status == Status.CLOSED
            or case.sla_watch_at is None
            or case.sla_watch_at > now
        ):
            return None  # another run holds it, already did it, or a person answered or closed it
        if case.first_response_at is not None:  # answered meanwhile: nothing left to watch
            case.sla_watch_at = None
            case.save(update_fields=["sla_watch_at"])
            return None
        due_at, oncall = case.first_response_promise()
        done = []
        if case.sla_missed_at is None and due_at <= now:
            _record_miss(case, due_at, oncall)
            done.append(f"recorded the miss of {_local(due_at)}")
        waits_until = None
        warn_at = case.sla_warn_at  # none planned for a case already overdue when the watch began
        if case.sla_warned_at is None and warn_at is not None and warn_at <= now:
            if oncall or businesstime.is_business_time(now):
                done.append(f"warned {_warn(case, due_at, oncall, now)}")
            else:
                waits_until = businesstime.next_opening(now)
                done.append(f"the warning waits for the opening, {_local(waits_until)}")
        case.sla_watch_at = _next_watch(case, due_at, warning_waits_until=waits_until)
        case.save(update_fields=WATCH_FIELDS)
        return "; ".join(done) or None


def describe(row: Model, now: datetime) -> str:
    """What ``handle`` would do at ``now``, for a dry run."""
    case = cast(Case, row)
    if case.first_response_at is not None:
        return "answered: stop watching"
    due_at, oncall = case.first_response_promise()
    would = []
    if case.sla_missed_at is None and due_at <= now:
        would.append(f"record the miss of {_local(due_at)}")
    warn_at = case.sla_warn_at
    if case.sla_warned_at is None and warn_at is not None and warn_at <= now:
        if oncall or businesstime.is_business_time(now):
            would.append(
                "warn the assigned advisor" if case.assigned_to_id else f"warn the {case.team} queue"
            )
        else:
            would.append(f"let the warning wait for {_local(businesstime.next_opening(now))}")
    return "; ".join(would) or "nothing yet"


def _local(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "D j M, g:i A T")
