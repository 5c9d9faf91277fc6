"""Run one scheduled job: every due row in its own transaction, the outcome recorded as a ``JobRun``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from jobs.models import JobRun
from jobs.registry import due_keys, get_job

logger = logging.getLogger(__name__)

# A run stops after this many failures in a row: a service it needs (mail server, database) is probably
# down, and every further row would fail the same way. The rows stay due for the next run.
STOP_AFTER_FAILURES = 5
# Failures kept on the run for the ops page; the log has them all.
KEPT_FAILURES = 20


class NaiveMomentError(ValueError):
    pass


@dataclass
class Planned:
    """A dry run's answer: each due row and what the job would do."""

    job: str
    now: datetime
    rows: list[tuple[str, str]] = field(default_factory=list)  # (row, what would be done)


def check_moment(now: datetime | None) -> datetime:
    if now is None:
        return timezone.now()
    if timezone.is_naive(now):
        raise NaiveMomentError(
            f"The moment {now.isoformat()} has no time zone; give one, e.g. 2026-12-07T09:00-06:00."
        )
    return now


def plan(name: str, *, now: datetime | None = None, limit: int | None = None) -> Planned:
    """What ``run`` would do at ``now``, without changing anything."""
    job = get_job(name)
    moment = check_moment(now)
    planned = Planned(job=name, now=moment)
    for row in job.due(moment)[: limit or job.batch]:
        planned.rows.append((str(row), job.describe(row, moment)))
    return planned


def run(name: str, *, now: datetime | None = None, limit: int | None = None) -> JobRun:
    """Handle every row due at ``now`` (default: the current time), at most ``limit`` (default: the job's
    batch). Never inside a transaction: each row is one."""
    job = get_job(name)
    moment = check_moment(now)
    pks = due_keys(job.due(moment), limit or job.batch)
    record = JobRun.objects.create(job=name, started_at=timezone.now(), evaluated_at=moment, due=len(pks))
    failures_in_a_row = 0
    for pk in pks:
        try:
            detail = job.handle(pk, moment)
        except Exception as error:
            logger.exception("Job %s failed on row %s.", name, pk)
            record.failed += 1
            if len(record.failures) < KEPT_FAILURES:
                record.failures.append({"row": str(pk), "error": f"{type(error).__name__}: {error}"[:500]})
            failures_in_a_row += 1
            if failures_in_a_row >= STOP_AFTER_FAILURES:
                logger.warning("Job %s stopped after %d failures in a row.", name, failures_in_a_row)
                record.stopped_early = True
                break
            continue
        failures_in_a_row = 0
        if detail is None:
            record.skipped += 1
        else:
            record.done += 1
            logger.info("Job %s, row %s: %s", name, pk, detail)
    record.finished_at = timezone.now()
    record.save()
    return record
