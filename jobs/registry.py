"""The scheduled jobs (SPEC §8) as data: what each one selects as due and how it handles one due row.

An app declares its jobs in its ``jobs.py`` with ``register(Job(...))``; ``jobs.runner.run`` runs one by name
(the Celery task beat calls, ``manage.py run_job``, the admin's "run now"). The contract every job keeps
(DESIGN §2 rule 4):

* ``due(now)`` returns the rows due at ``now``, oldest due moment first, from a stored and indexed due moment
  (``due_field``): a run reads only due rows, whatever happened to beat.
* ``handle(pk, now)`` handles one row in its own durable transaction: claim it (``select_for_update(
  skip_locked=True)`` or a conditional update), re-check inside the lock that it is still due, act through
  the services, record the effect under a unique constraint. It returns a short description of what it did,
  or ``None`` when it did nothing (another process holds or already did the row, or it is no longer due). It
  raises on failure; the transaction rolls back and the runner records the error and goes on.
* ``describe(row, now)`` says what ``handle`` would do, for ``--dry-run``.

A job whose due work is not rows of a table (the orphaned-files sweep walks the file system) returns from
``due`` a list of rows instead: objects with ``pk`` (what ``handle`` takes) and the ``due_field`` attribute,
in the same order. ``due_keys``, ``count_due`` and ``oldest_due`` read either kind.

How often beat runs each job is in ``portal/celery.py`` (``JOB_INTERVALS``), with the rest of the schedule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet


@dataclass(frozen=True)
class Job:
    name: str  # the command's argument and the beat entry's: lower-case words joined by hyphens
    title: str  # as ops read it: "3x10 follow-up"
    summary: str  # one sentence: what it does
    due: Callable[[datetime], QuerySet[Any] | Sequence[Any]]
    due_field: str  # the stored due moment in ``due``'s rows, for the oldest due row's lag
    handle: Callable[[Any, datetime], str | None]
    describe: Callable[[Any, datetime], str]  # a due row (a model instance, or a row of a list)
    batch: int = 10_000  # a run handles at most this many rows; the next run takes the rest


JOBS: dict[str, Job] = {}


class UnknownJobError(LookupError):
    def __init__(self, name: str) -> None:
        known = ", ".join(sorted(JOBS)) or "none"
        super().__init__(f"There is no job called {name!r}. The jobs are: {known}.")


def register(job: Job) -> Job:
    if job.name in JOBS and JOBS[job.name] != job:
        raise ValueError(f"Two jobs are called {job.name!r}.")
    JOBS[job.name] = job
    return job


def get_job(name: str) -> Job:
    try:
        return JOBS[name]
    except KeyError:
        raise UnknownJobError(name) from None


def due_keys(rows: QuerySet[Any] | Sequence[Any], limit: int) -> list[Any]:
    """What ``handle`` takes for each of the first ``limit`` due rows: their primary keys."""
    if isinstance(rows, QuerySet):
        return list(rows.values_list("pk", flat=True)[:limit])
    return [row.pk for row in rows[:limit]]


def count_due(rows: QuerySet[Any] | Sequence[Any], cap: int | None = None) -> int:
    """How many rows are due (at most ``cap``), counted in SQL for a queryset."""
    if isinstance(rows, QuerySet):
        return (rows.order_by()[:cap] if cap is not None else rows).count()
    return len(rows) if cap is None else min(len(rows), cap)


def oldest_due(rows: QuerySet[Any] | Sequence[Any], due_field: str) -> Any:
    """The earliest due moment among the rows, or None when nothing is due."""
    if isinstance(rows, QuerySet):
        return rows.order_by(due_field).values_list(due_field, flat=True).first()
    return min((getattr(row, due_field) for row in rows), default=None)
