"""What every case service does the same way: the clock, the row lock, the event row, who is acting and
the status change itself."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cases import followup
from cases.models import (
    Case,
    CaseEvent,
)
from cases.selectors.reopen import window_end
from cases.workflow import (
    Actor,
    Status,
)
from contacts.access import Capability, is_advisor, require_capability
from contacts.models import User
from portal.lib import businesstime


def resolve_now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def business_seconds(start: datetime, end: datetime) -> int:
    """Whole seconds of business time between two moments (CALENDAR.md), as stored for the reports."""
    return businesstime.business_time_between(start, end) // timedelta(seconds=1)


def record_event(
    case: Case,
    kind: str,
    actor: User | None,
    now: datetime,
    *,
    old: str | int | None = None,
    new: str | int | None = None,
    **data: Any,
) -> CaseEvent:
    """Write the event of a change. ``old`` and ``new`` are values (a code, a pk; ``None`` for nothing), never
    display text: names and labels are rendered when the event is read, so they are always today's."""
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor,
        old="" if old is None else str(old),
        new="" if new is None else str(new),
        data=data,
        created_at=now,
    )


def lock_case(case: Case) -> Case:
    """Re-read the case under a row lock; every check after this sees the committed state."""
    return Case.objects.select_for_update(of=("self",)).get(pk=case.pk)


class StalePage(Exception):
    """The case changed since the page the person acted from was opened: nothing was written. ``events`` are
    the changes made since, oldest first, for the page to show."""

    def __init__(self, events: list[CaseEvent]) -> None:
        super().__init__("This case changed since you opened it.")
        self.events = events


def require_unchanged(case: Case, actor: User, seen_event: int | None) -> Case:
    """Lock the case and refuse (``StalePage``) when someone else changed it after the page was opened: its
    newest event then was ``seen_event`` (None: the page did not say, nothing to compare). Called in the same
    transaction as the change, before it, so two advisors' saves are serialized and the second is told."""
    case = lock_case(case)
    if seen_event is not None:
        since = list(
            CaseEvent.objects.filter(case=case, pk__gt=seen_event)
            .exclude(actor=actor)
            # The SLA watch's records change nothing a person acts on (cases/services/slawatch.py).
            .exclude(kind__in=[CaseEvent.Kind.SLA_WARNED, CaseEvent.Kind.SLA_MISSED])
            .select_related("actor")
            .order_by("created_at", "pk")
        )
        if since:
            raise StalePage(since)
    return case


def require_advisor(actor: User) -> None:
    if not is_advisor(actor):
        raise PermissionDenied("Only a support advisor can do this.")


def actor_kind(actor: User | None, case: Case, capability: Capability) -> Actor:
    """SYSTEM for the portal's jobs (no actor), ADVISOR for staff, CONTACT for a contact allowed to act."""
    if actor is None:
        return Actor.SYSTEM
    if is_advisor(actor):
        return Actor.ADVISOR
    require_capability(actor, case.district, capability)
    return Actor.CONTACT


def modified(case: Case, now: datetime, *, public: bool = True) -> list[str]:
    """Move Last Modified; returns the fields to save. Every change moves it for advisors (``updated_at``);
    every change a contact can see, that is all but an internal note, also moves the district's
    (``public_updated_at``), so a note never reorders or re-dates the contacts' list."""
    case.updated_at = now
    if not public:
        return ["updated_at"]
    case.public_updated_at = now
    return ["updated_at", "public_updated_at"]


def apply_status(case: Case, target: Status, actor: User | None, now: datetime, **data: Any) -> CaseEvent:
    old = case.status
    case.status = target
    case.status_changed_at = now
    case.closed_at = now if target == Status.CLOSED else None
    # The reopen-window job's due moment, from the one rule the page and the re-open service ask.
    case.reopen_window_ends_at = window_end(now) if case.closed_at else None
    if target != Status.SCHEDULED:
        case.scheduled_for = None
    # Resolution is measured from submission to the last close: a re-opened case was not resolved yet.
    case.resolution_business_seconds = business_seconds(case.created_at, now) if case.closed_at else None
    case.save(
        update_fields=[
            "status",
            "status_changed_at",
            *modified(case, now),
            "closed_at",
            "reopen_window_ends_at",
            "resolution_business_seconds",
            "assigned_to",
            "dev_issue",
            "release",
            "scheduled_for",
        ]
    )
    followup.sequence_on_status_change(case, old, target, now, _sequence_end(actor, target))
    return record_event(case, CaseEvent.Kind.STATUS_CHANGED, actor, now, old=old, new=target, **data)


def _sequence_end(actor: User | None, target: Status) -> str:
    """Why a 3x10 sequence ends when the case leaves Pending Customer Verification for ``target``."""
    if target == Status.CLOSED:
        return followup.End.AUTO_CLOSED if actor is None else followup.End.CLOSED
    if actor is not None and not is_advisor(actor):
        return followup.End.REPLIED
    return followup.End.STATUS_CHANGED
