"""The scheduled jobs of cases (SPEC §8), found by ``jobs.registry``'s autodiscovery."""

from __future__ import annotations

from datetime import datetime

from cases import orphaned_files
from cases.models import Case
from cases.selectors.reopen import reopen_deadline
from cases.services.reopen_window import case_record_reopen_window_end, due_reopen_windows
from jobs.registry import Job, register


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
