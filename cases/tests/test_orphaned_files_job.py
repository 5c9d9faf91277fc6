"""The orphaned-files sweep (SPEC §8): uploaded files that no attachment row names, once a day old, are deleted;
files of attachments, young files and anything outside the storage's layout are never touched."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from cases.models import Attachment
from cases.services import post_create
from cases.tests.page_helpers import make_case, pdf
from jobs import runner
from jobs.registry import count_due, get_job
from tests.helpers import run_together

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def root() -> Path:
    return Path(settings.PRIVATE_MEDIA_ROOT)


def written(name: str, at: datetime, content: bytes = b"%PDF-1.4 left behind") -> Path:
    path = root() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, (at.timestamp(), at.timestamp()))
    return path


def orphan(at: datetime) -> Path:
    return written(f"{at:%Y}/{at:%m}/{uuid.uuid4().hex}", at)


def attached_file(personas, at: datetime) -> Path:
    case = make_case(personas)
    post_create(author=personas.support, case=case, body="<p>The log.</p>", attachments=[pdf()])
    path = root() / str(Attachment.objects.get(post__case=case).file.name)
    os.utime(path, (at.timestamp(), at.timestamp()))
    return path


def test_only_orphans_older_than_a_day_are_deleted_once(personas):
    kept = attached_file(personas, NOW - 30 * DAY)
    old = orphan(NOW - DAY)
    young = orphan(NOW - DAY + timedelta(seconds=1))
    strangers = [written("README", NOW - 30 * DAY), written("2026/11/notes.txt", NOW - 30 * DAY)]

    run = runner.run("orphaned-files", now=NOW)
    assert (run.due, run.done, run.failed) == (1, 1, 0)
    assert not old.exists()
    assert kept.exists()
    assert young.exists()
    assert all(path.exists() for path in strangers)
    assert runner.run("orphaned-files", now=NOW).due == 0

    a_day_later = runner.run("orphaned-files", now=NOW + DAY)
    assert (a_day_later.due, a_day_later.done) == (1, 1)
    assert not young.exists()
    assert kept.exists()


def test_the_file_of_a_post_whose_commit_failed_is_swept_a_day_later(personas):
    case = make_case(personas)

    def post_then_fail() -> None:
        with transaction.atomic():
            post_create(author=personas.support, case=case, body="<p>The log.</p>", attachments=[pdf()])
            raise RuntimeError("the commit failed")

    with pytest.raises(RuntimeError):
        post_then_fail()
    assert not Attachment.objects.exists()
    [left] = [path for path in root().rglob("*") if path.is_file()]
    assert runner.run("orphaned-files", now=datetime.now(UTC)).due == 0  # written moments ago
    assert runner.run("orphaned-files", now=datetime.now(UTC) + DAY + timedelta(minutes=1)).done == 1
    assert not left.exists()


def test_the_dry_run_lists_the_orphans_and_deletes_nothing(personas):
    old = orphan(NOW - 3 * DAY)
    out = StringIO()
    call_command("run_job", "orphaned-files", "--dry-run", "--now", "2026-12-07T09:00-06:00", stdout=out)
    assert "1 due" in out.getvalue()
    assert f"would delete {old.relative_to(root())} (20 bytes" in out.getvalue()
    assert old.exists()
    assert count_due(get_job("orphaned-files").due(NOW)) == 1


def test_a_missing_storage_directory_is_nothing_due():
    assert not root().exists()
    assert runner.run("orphaned-files", now=NOW).due == 0


@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_delete_each_orphan_once():
    orphans = [orphan(NOW - 2 * DAY - timedelta(minutes=i)) for i in range(30)]
    results = run_together(*(lambda: runner.run("orphaned-files", now=NOW) for _ in range(2)))
    assert [kind for kind, _ in results] == ["ok", "ok"]
    assert sum(run.done for _, run in results) == len(orphans)
    assert sum(run.failed for _, run in results) == 0
    assert not any(path.exists() for path in orphans)
