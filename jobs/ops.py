"""What the ops page shows of each scheduled job: how often beat runs it, its last run, what is due now and
how late the oldest due row is, its recent failures; and which beats are running.

Reads a fixed number of queries whatever the number of runs: the last run of every job in one query, the
recent failed runs in one, and two small indexed queries per job (a capped count and the oldest due moment).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import redis
from django.db import transaction
from django.db.models import QuerySet
from kombu.exceptions import OperationalError

from jobs import beat
from jobs.models import JobRun
from jobs.registry import JOBS, Job, count_due, oldest_due
from portal.celery import JOB_INTERVALS

logger = logging.getLogger(__name__)

# Counting stops here: the page answers "10,000+" at once rather than counting a large backlog exactly.
DUE_COUNT_CAP = 10_000
# Failed runs shown per job, from the last week.
RECENT_FAILURES = 3
FAILURES_SINCE = timedelta(days=7)
# A job whose last run is older than this many of its intervals is late: beat or the workers are not running.
LATE_AFTER_INTERVALS = 3


@dataclass
class JobStatus:
    job: Job
    interval: float | None  # seconds between two beat runs; None: beat does not run it
    last_run: JobRun | None
    due_now: int  # at most DUE_COUNT_CAP + 1
    oldest_due: datetime | None
    failed_runs: list[JobRun] = field(default_factory=list)
    now: datetime | None = None

    @property
    def due_now_text(self) -> str:
        if self.due_now > DUE_COUNT_CAP:
            return f"{DUE_COUNT_CAP:,}+"
        return f"{self.due_now:,}"

    @property
    def lag(self) -> timedelta | None:
        if self.oldest_due is None or self.now is None:
            return None
        return max(self.now - self.oldest_due, timedelta(0))

    @property
    def late(self) -> bool:
        """Beat should have run it several times since its last run."""
        if self.interval is None or self.now is None:
            return False
        last = self.last_run.started_at if self.last_run else None
        return last is None or self.now - last > timedelta(seconds=self.interval * LATE_AFTER_INTERVALS)


@dataclass
class Beats:
    running: list[beat.Beat]
    error: str = ""  # Redis could not be asked


def _per_job(parts: list[QuerySet[JobRun]]) -> QuerySet[JobRun] | list[JobRun]:
    """One query for a few runs of every job: the parts joined by ``UNION ALL``."""
    if not parts:
        return []
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


def last_runs() -> dict[str, JobRun]:
    """The latest run of every registered job, in one query (each part reads the job's newest index entry)."""
    parts = [JobRun.objects.filter(job=name).order_by("-started_at")[:1] for name in sorted(JOBS)]
    return {run.job: run for run in _per_job(parts)}


def recent_failed_runs(now: datetime) -> dict[str, list[JobRun]]:
    """The latest failed runs of every job in the last week, a few each, in one query (the partial index of
    failed runs: a job that fails every minute does not hide another's failures)."""
    since = now - FAILURES_SINCE
    parts = [
        JobRun.objects.filter(job=name, failed__gt=0, started_at__gte=since).order_by("-started_at")[
            :RECENT_FAILURES
        ]
        for name in sorted(JOBS)
    ]
    runs: dict[str, list[JobRun]] = {}
    for run in sorted(_per_job(parts), key=lambda run: run.started_at, reverse=True):
        runs.setdefault(run.job, []).append(run)
    return runs


def status_of(job: Job, now: datetime, last: JobRun | None, failed: list[JobRun]) -> JobStatus:
    due = job.due(now)
    return JobStatus(
        job=job,
        interval=JOB_INTERVALS.get(job.name),
        last_run=last,
        due_now=count_due(due, DUE_COUNT_CAP + 1),
        oldest_due=oldest_due(due, job.due_field),
        failed_runs=failed,
        now=now,
    )


def overview(now: datetime) -> list[JobStatus]:
    last = last_runs()
    failed = recent_failed_runs(now)
    return [
        status_of(job, now, last.get(name), failed.get(name, []))
        for name, job in sorted(JOBS.items(), key=lambda item: item[1].title)
    ]


def beats() -> Beats:
    try:
        return Beats(running=beat.live_beats())
    except redis.RedisError as error:
        logger.warning("Could not read the running beats from Redis: %s", error)
        return Beats(running=[], error=str(error))


class QueueDown(RuntimeError):
    pass


def queue_run(name: str) -> None:
    """Ask a worker to run the job now (the admin's "Run now"), once the caller's transaction commits. Raises
    ``QueueDown`` when the broker cannot take the task: nothing was queued."""
    from jobs.tasks import run_job  # the tasks module is Celery's; imported when used

    def send() -> None:
        try:
            run_job.delay(name)
        except (OperationalError, OSError, redis.RedisError) as error:
            logger.warning("Could not queue the job %s (broker unavailable?).", name, exc_info=True)
            raise QueueDown(str(error)) from error

    transaction.on_commit(partial(send))
