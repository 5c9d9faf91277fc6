"""The scheduled jobs of cases (SPEC §8), found by ``jobs.registry``'s autodiscovery. Each job is self-contained:
its due rows, its handler."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from cases import orphaned_files
from cases.models import Case, FollowUpSequence
from cases.selectors.reopen import reopen_deadline
from cases.services import followup as followup_services
from cases.services import slawatch
from cases.services.reopen_window import case_record_reopen_window_end, due_reopen_windows
from jobs.registry import Job, register

# --- 3x10 follow-up (SPEC §8) -------------------------------------------------------------------------------


def followup_due(now: datetime) -> QuerySet[FollowUpSequence]:
    """Running sequences whose next step's moment has come, oldest first (index ``followup_due``)."""
    return FollowUpSequence.objects.filter(next_due_at__lte=now).order_by("next_due_at", "pk")


def followup_handle(pk: Any, now: datetime) -> str | None:
    """One case's due step, in one transaction: the case row is locked first (as every person's change locks
    it), so a contact's reply and the automatic close never overlap; a case a person holds right now is left
    for the next run. Re-checked under the lock: a sequence a reply ended, or a step already taken, does
    nothing."""
    # Written at the run's moment, or later when the run took a while: the feed's order is the locks' order.
    at = max(now, timezone.now())
    with transaction.atomic(durable=True):
        # One statement locks the case row and its sequence (FOR NO KEY UPDATE of both, skipping rows a
        # person's change holds: the next run takes the case).
        sequence = (
            FollowUpSequence.objects.select_for_update(skip_locked=True, no_key=True)
            .select_related("case")
            .filter(pk=pk, next_due_at__lte=now)
            .first()
        )
        if sequence is None:
            return None
        return followup_services.take_due_step(sequence.case, sequence, now, at=at)


def followup_describe(row: Model, now: datetime) -> str:
    row = cast(FollowUpSequence, row)  # a row of followup_due
    step = followup_services.due_step(row, now)
    if step is None:
        return "nothing (no longer due)"
    if step == FollowUpSequence.CLOSE_STEP:
        return f"close case #{row.case.number} automatically, with a note and e-mail"
    return f"post follow-up {step} of 3 on case #{row.case.number} and e-mail its recipients"


register(
    Job(
        name="followup-3x10",
        title="3x10 follow-up",
        summary="Posts and e-mails the follow-ups of cases in Pending Customer Verification on business days "
        "3, 6 and 9, and closes them automatically at the end of business day 10.",
        due=followup_due,
        due_field="next_due_at",
        handle=followup_handle,
        describe=followup_describe,
    )
)

# --- reopen window and orphaned files ---------------------------------------------------------------------


def _describe_reopen_window(case: Case, now: datetime) -> str:
    deadline = reopen_deadline(case)
    return f"would record that the reopen window of case #{case.number} ended ({deadline:%Y-%m-%d %H:%M %Z})"


register(
    Job(
        name="reopen-window",
        title="Reopen window",
        summary="Records, once per close, that a closed case's 60-day reopen window ended.",
        due=due_reopen_windows,
        due_field="reopen_window_ends_at",
        handle=lambda pk, now: case_record_reopen_window_end(case_id=pk, now=now),
        describe=_describe_reopen_window,
    )
)

register(
    Job(
        name="orphaned-files",
        title="Orphaned files",
        summary="Deletes uploaded files that no attachment names, a day after they were written.",
        due=orphaned_files.due_orphans,
        due_field="due_at",
        handle=orphaned_files.delete_orphan,
        describe=orphaned_files.describe_orphan,
    )
)

# --- SLA watch -------------------------------------------------------------------------------------------------

register(
    Job(
        name="sla-watch",
        title="SLA watch",
        summary="Warns support before a first-response target and records the cases that miss it.",
        due=slawatch.due,
        due_field="sla_watch_at",
        handle=slawatch.handle,
        describe=slawatch.describe,
    )
)
