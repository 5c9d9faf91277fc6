"""The job runner and ``manage.py run_job`` with a job over stand-in rows (each app tests its own jobs)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from jobs import runner
from jobs.models import JobRun
from jobs.registry import JOBS, Job, count_due, register

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=CHICAGO)


def mark_done(pk: int, now: datetime) -> str | None:
    """Stand-in handler: the rows are JobRun rows of a made-up job, "done" once finished_at is set."""
    with transaction.atomic(durable=True):
        row = (
            JobRun.objects.select_for_update(skip_locked=True, no_key=True)
            .filter(pk=pk, finished_at__isnull=True, evaluated_at__lte=now)
            .first()
        )
        if row is None:
            return None
        if row.failed:
            raise RuntimeError(f"row {pk} is broken")
        row.finished_at = now
        row.save(update_fields=["finished_at"])
        return "marked done"


@pytest.fixture
def toy() -> Iterator[Job]:
    job = register(
        Job(
            name="toy",
            title="Toy",
            summary="Marks stand-in rows done.",
            due=lambda now: JobRun.objects.filter(
                job="source", finished_at__isnull=True, evaluated_at__lte=now
            ).order_by("evaluated_at"),
            due_field="evaluated_at",
            handle=mark_done,
            describe=lambda row, now: f"would mark {row.pk} done",
        )
    )
    yield job
    del JOBS["toy"]


def rows(*due: datetime, broken: bool = False) -> list[JobRun]:
    return [
        JobRun.objects.create(job="source", started_at=moment, evaluated_at=moment, failed=int(broken))
        for moment in due
    ]


def test_a_run_handles_what_is_due_once_and_records_it(toy: Job) -> None:
    due = rows(NOW - timedelta(hours=1), NOW)
    later = rows(NOW + timedelta(minutes=1))
    first = runner.run("toy", now=NOW)
    assert (first.due, first.done, first.skipped, first.failed) == (2, 2, 0, 0)
    assert first.finished_at is not None
    assert first.evaluated_at == NOW
    assert all(JobRun.objects.get(pk=row.pk).finished_at == NOW for row in due)
    assert JobRun.objects.get(pk=later[0].pk).finished_at is None
    second = runner.run("toy", now=NOW)
    assert (second.due, second.done) == (0, 0)


def test_a_failing_row_is_recorded_and_the_others_are_done(toy: Job) -> None:
    [bad] = rows(NOW - timedelta(hours=2), broken=True)
    rows(NOW - timedelta(hours=1))
    record = runner.run("toy", now=NOW)
    assert (record.done, record.failed) == (1, 1)
    assert record.failures == [{"row": str(bad.pk), "error": f"RuntimeError: row {bad.pk} is broken"}]
    assert JobRun.objects.get(pk=bad.pk).finished_at is None


def test_a_run_stops_after_failures_in_a_row(toy: Job) -> None:
    rows(*(NOW - timedelta(minutes=m) for m in range(10, 3, -1)), broken=True)
    record = runner.run("toy", now=NOW)
    assert record.stopped_early
    assert record.failed == runner.STOP_AFTER_FAILURES
    assert record.done == 0


def test_the_command_dry_run_changes_nothing(toy: Job) -> None:
    [row] = rows(NOW)
    out = StringIO()
    call_command("run_job", "toy", "--dry-run", "--now", "2026-12-07T09:00-06:00", stdout=out)
    assert f"would mark {row.pk} done" in out.getvalue()
    assert "1 due" in out.getvalue()
    assert JobRun.objects.exclude(job="source").count() == 0
    assert JobRun.objects.get(pk=row.pk).finished_at is None


def test_the_command_runs_at_the_given_moment(toy: Job) -> None:
    rows(NOW, NOW + timedelta(days=1))
    out = StringIO()
    call_command("run_job", "toy", "--now", "2026-12-07T09:00-06:00", stdout=out)
    assert "1 due, 1 done, 0 skipped" in out.getvalue()


def test_the_command_refuses_a_moment_without_a_time_zone_and_an_unknown_job(toy: Job) -> None:
    rows(NOW)
    with pytest.raises(CommandError, match="has no time zone"):
        call_command("run_job", "toy", "--now", "2026-12-07T09:00", stdout=StringIO())
    with pytest.raises(CommandError, match="There is no job called 'nope'"):
        call_command("run_job", "nope", stdout=StringIO())
    with pytest.raises(CommandError, match="not a moment"):
        call_command("run_job", "toy", "--now", "Monday", stdout=StringIO())
    assert JobRun.objects.exclude(job="source").count() == 0


def test_the_command_fails_when_a_row_failed(toy: Job) -> None:
    rows(NOW, broken=True)
    with pytest.raises(CommandError, match="1 row\\(s\\) failed"):
        call_command("run_job", "toy", "--now", "2026-12-07T09:00-06:00", stdout=StringIO())


def test_beat_runs_every_registered_job_and_nothing_else() -> None:
    from portal.celery import JOB_INTERVALS, app

    assert set(JOB_INTERVALS) == set(JOBS) - {"toy"}
    for name in JOBS:
        if name != "toy":
            assert app.conf.beat_schedule[f"job-{name}"]["args"] == (name,)


@dataclass(frozen=True)
class Item:
    pk: str
    due_at: datetime


def test_a_job_whose_due_rows_are_not_a_table_runs_from_a_list() -> None:
    """The orphaned-files sweep's shape: ``due`` returns a list of rows with ``pk`` and the due moment."""
    handled: list[str] = []
    items = [Item("b", NOW - timedelta(hours=2)), Item("a", NOW - timedelta(hours=1))]
    job = register(
        Job(
            name="toy-list",
            title="Toy list",
            summary="Handles items of a list.",
            due=lambda now: [item for item in items if item.due_at <= now],
            due_field="due_at",
            handle=lambda pk, now: handled.append(pk) or f"handled {pk}",
            describe=lambda row, now: f"would handle {row.pk}",
        )
    )
    try:
        assert count_due(job.due(NOW)) == 2
        assert [row for row, _ in runner.plan("toy-list", now=NOW, limit=1).rows] == [str(items[0])]
        record = runner.run("toy-list", now=NOW)
        assert (record.due, record.done) == (2, 2)
        assert handled == ["b", "a"]
    finally:
        del JOBS["toy-list"]
