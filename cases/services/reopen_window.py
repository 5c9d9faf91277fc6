"""The end of a closed case's 60-day reopen window, recorded once per close (SPEC §8 "reopen window").

Whether a case may be re-opened is computed on every request (``cases.selectors.reopen``); nothing here changes
that. What the reopen-window job adds is a fact the reports and the survey job can read: "the window of this
close ended at …", a ``CaseEvent`` written once per close under a unique constraint, in the same transaction
that clears the case's due moment.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.db.models import QuerySet

from cases.models import Case, CaseEvent
from cases.selectors.reopen import reopen_allowed, window_end
from cases.services.common import record_event


def due_reopen_windows(now: datetime) -> QuerySet[Case]:
    """The closed cases whose window has ended at ``now`` and is not recorded yet, oldest end first: read from
    the partial index of their stored due moment."""
    return Case.objects.filter(reopen_window_ends_at__lt=now).order_by("reopen_window_ends_at", "pk")


def close_moment(closed_at: datetime) -> str:
    """The close a window belongs to, as the event stores it: one window per close (a case closed, re-opened
    and closed again has two)."""
    return closed_at.astimezone(UTC).isoformat()


def case_record_reopen_window_end(*, case_id: int, now: datetime) -> str | None:
    """Record that the reopen window of the case's current close ended, once. Claims the case (a case another
    process holds is skipped and stays due), re-checks with the rule the page and the re-open service ask, and
    writes the event and clears the due moment together. ``None`` when there was nothing to do."""
    with transaction.atomic(durable=True):
        case = (
            Case.objects.select_for_update(skip_locked=True, no_key=True)
            .filter(pk=case_id, reopen_window_ends_at__lt=now)
            .first()
        )
        if case is None:
            return None  # held by another process, re-opened, or already recorded
        closed_at = case.closed_at
        if closed_at is None:  # the check constraint keeps the due moment to closed cases
            return None
        if reopen_allowed(case, now):
            # The stored moment disagrees with the rule (it was written by an older rule): the rule wins.
            case.reopen_window_ends_at = window_end(closed_at)
            case.save(update_fields=["reopen_window_ends_at"])
            return None
        record_event(
            case,
            CaseEvent.Kind.REOPEN_WINDOW_ENDED,
            None,
            now,
            new=close_moment(closed_at),
            deadline=window_end(closed_at).isoformat(),
        )
        # The case's "last modified" stays: nobody changed it, a period ran out.
        case.reopen_window_ends_at = None
        case.save(update_fields=["reopen_window_ends_at"])
        return (
            f"recorded the end of the reopen window of case #{case.number} (closed {case.closed_at:%Y-%m-%d})"
        )
