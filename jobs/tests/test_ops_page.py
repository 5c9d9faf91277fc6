"""The jobs' ops page in the admin: what ops read of each job, "Run now" for administrators, two beats."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from contacts.tests.factories import UserFactory
from jobs import beat, ops
from jobs.models import JobRun
from jobs.tasks import run_job
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db
OPS = "/admin/jobs/jobrun/ops/"
RUN_NOW = "/admin/jobs/jobrun/ops/email-outbox/run/"


@pytest.fixture(autouse=True)
def own_presence_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test its own set of beats in the shared Redis: the test's beats are nobody else's."""
    key = f"test:beats:{uuid.uuid4().hex}"
    monkeypatch.setattr(beat, "PRESENCE_KEY", key)
    yield key
    with contextlib.suppress(redis.RedisError):  # a test may have pointed it at a Redis that is down
        beat.client().delete(key)


@pytest.fixture
def administrator():
    return UserFactory(email="root@support.example.com", is_staff=True, is_superuser=True)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pending(count: int, *, minutes_ago: int = 5) -> None:
    moment = timezone.now() - timedelta(minutes=minutes_ago)
    OutboundEmail.objects.bulk_create(
        OutboundEmail(
            key=f"ops-{uuid.uuid4().hex}",
            to_address=f"person{n}@a.example.org",
            for_account=False,
            subject="Hello",
            body_text="Hello",
            next_attempt_at=moment,
        )
        for n in range(count)
    )


def a_run(*, minutes_ago: int = 2, failed: int = 0, error: str = "") -> JobRun:
    started = timezone.now() - timedelta(minutes=minutes_ago)
    return JobRun.objects.create(
        job="email-outbox",
        started_at=started,
        finished_at=started + timedelta(seconds=1.5),
        evaluated_at=started,
        due=4,
        done=3 - failed if failed < 3 else 0,
        skipped=1,
        failed=failed,
        failures=[{"row": "row-1", "error": error}] if error else [],
    )


def test_an_advisor_reads_each_job_its_last_run_what_is_due_and_its_failures(client, personas):
    pending(3, minutes_ago=7)
    a_run(minutes_ago=30, failed=1, error="DeliveryFailed: SMTPException: 421 try again later")
    a_run(minutes_ago=1)
    client.force_login(personas.advisor)
    page = client.get(OPS).text
    assert "Scheduled jobs" in page
    assert "E-mail outbox" in page
    assert "Sends queued e-mail that was not delivered at once" in page
    assert "every minute" in page
    assert "3 due" not in page  # the last run's figures are its own: 4 due, 3 done
    assert "4 due, 3 done, 1 skipped," in page
    assert "1.5 s" in page
    assert '<dd class="jobs-number">3</dd>' in page  # due now
    assert "7 min ago" in page  # the oldest due e-mail's lag
    assert "Failures in the last week (1 run)" in page
    assert "DeliveryFailed: SMTPException: 421 try again later" in page
    assert "Run now" not in page
    assert "Only administrators can run a job by hand" in page


def test_a_large_backlog_is_counted_up_to_a_cap(client, personas, monkeypatch):
    monkeypatch.setattr(ops, "DUE_COUNT_CAP", 3)
    pending(5)
    client.force_login(personas.advisor)
    assert '<dd class="jobs-number">3+</dd>' in client.get(OPS).text


def test_a_job_beat_has_not_run_for_a_while_is_marked_late(client, personas):
    def outbox_card() -> str:
        page = client.get(OPS).text
        return page.split('aria-labelledby="job-email-outbox"', 1)[1].split("</section>", 1)[0]

    a_run(minutes_ago=10)  # every minute, so three missed runs
    client.force_login(personas.advisor)
    assert "Late: beat or the workers are not running it" in outbox_card()
    a_run(minutes_ago=0)
    assert "Late:" not in outbox_card()


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_number_of_runs(personas):
    client = signed_in(personas.advisor)
    a_run(failed=1, error="boom")
    client.get(OPS)  # the session and the permissions, read once
    with CaptureQueriesContext(connection) as few:
        assert client.get(OPS).status_code == 200
    for n in range(60):
        a_run(minutes_ago=n, failed=n % 2, error="boom" if n % 2 else "")
    pending(20)
    with CaptureQueriesContext(connection) as many:
        assert client.get(OPS).status_code == 200
    assert len(many) == len(few)


def test_an_administrator_runs_a_job_now_once_the_request_commits(
    administrator, monkeypatch, django_capture_on_commit_callbacks
):
    queued: list[str] = []
    monkeypatch.setattr(run_job, "delay", queued.append)
    client = signed_in(administrator)
    page = client.get(OPS).text
    assert 'action="/admin/jobs/jobrun/ops/email-outbox/run/"' in page
    assert "Run now" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RUN_NOW, follow=True)
    assert queued == ["email-outbox"]
    assert response.redirect_chain[-1][0] == OPS
    assert "“E-mail outbox” is queued: a worker runs it within moments." in response.text


@pytest.mark.django_db(transaction=True)
def test_run_now_says_so_when_the_task_queue_is_down(administrator, monkeypatch):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(run_job, "delay", broker_down)
    response = signed_in(administrator).post(RUN_NOW, follow=True)
    assert response.status_code == 200
    assert "“E-mail outbox” was not run: the task queue (Redis) cannot be reached." in response.text
    assert JobRun.objects.count() == 0


def test_only_an_administrator_may_run_a_job(client, personas, monkeypatch):
    queued: list[str] = []
    monkeypatch.setattr(run_job, "delay", queued.append)
    client.force_login(personas.advisor)
    assert client.post(RUN_NOW).status_code == 403
    client.force_login(personas.support)  # a contact: the admin's own refusal
    assert client.post(RUN_NOW)["Location"].startswith("/admin/login/")
    assert client.get(OPS)["Location"].startswith("/admin/login/")
    assert queued == []


def test_an_unknown_job_cannot_be_run(administrator):
    assert signed_in(administrator).post("/admin/jobs/jobrun/ops/nope/run/").status_code == 404


def test_a_staff_account_without_the_advisor_role_gets_a_403(client):
    client.force_login(UserFactory(email="staff@support.example.com", is_staff=True))
    assert client.get(OPS).status_code == 403


def test_the_runs_list_is_read_only_and_filters_by_job(client, personas):
    run = a_run(failed=1, error="DeliveryFailed: boom")
    client.force_login(personas.advisor)
    listing = client.get(reverse("admin:jobs_jobrun_changelist") + "?job=email-outbox").text
    assert "E-mail outbox" in listing
    assert "Overview of the jobs" in listing
    assert "Add job run" not in listing
    detail = client.get(reverse("admin:jobs_jobrun_change", args=[run.pk])).text
    assert "Row row-1: DeliveryFailed: boom" in detail
    assert 'name="_save"' not in detail


# --- two beats --------------------------------------------------------------------------------------------------


def test_the_page_says_prominently_that_two_beats_are_running(client, personas):
    client.force_login(personas.advisor)
    assert "No beat is running" in client.get(OPS).text
    first = beat.Presence()
    first.refresh(force=True)
    page = client.get(OPS).text
    assert "One beat is running" in page
    beat.Presence().refresh(force=True)
    page = client.get(OPS).text
    assert '<div class="jobs-alert" role="alert">' in page
    assert "2 beats are running." in page
    first.leave()
    assert "One beat is running" in client.get(OPS).text


def test_a_beat_warns_when_it_finds_another_one(caplog):
    caplog.set_level(logging.WARNING, logger="jobs.beat")
    first, second = beat.Presence(), beat.Presence()
    first.refresh(force=True)
    assert "beats are running" not in caplog.text
    second.refresh(force=True)  # a second beat starts: it warns at once
    assert "2 beats are running (this one: " in caplog.text
    caplog.clear()
    second.refresh(force=True)  # the same two: not repeated at every tick
    assert caplog.text == ""
    first.refresh(force=True)  # the first one sees the second at its next refresh
    assert "2 beats are running" in caplog.text


def test_a_beat_that_stopped_refreshing_is_not_counted(caplog):
    caplog.set_level(logging.WARNING, logger="jobs.beat")
    connection = beat.client()
    seconds, _ = connection.time()
    connection.zadd(beat.PRESENCE_KEY, {"old-host pid 1 abcdef12": seconds - beat.PRESENCE_TTL - 1})
    beat.Presence().refresh(force=True)
    assert "beats are running" not in caplog.text
    assert [b.name for b in beat.live_beats()] != ["old-host pid 1"]
    assert len(beat.live_beats()) == 1


def test_beat_and_the_page_carry_on_when_redis_is_down(client, personas, settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    presence = beat.Presence()
    presence.refresh(force=True)  # logs, does not raise: beat keeps scheduling
    assert "Could not check for other beats" in caplog.text
    client.force_login(personas.advisor)
    page = client.get(OPS).text
    assert "Could not check which beats are running" in page


def test_beat_uses_the_presence_scheduler_and_wakes_up_often_enough(settings, tmp_path):
    from portal.celery import app

    assert settings.CELERY_BEAT_SCHEDULER == "jobs.beat:PresenceScheduler"
    scheduler = beat.PresenceScheduler(app=app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    assert scheduler.max_interval <= beat.PRESENCE_REFRESH
    scheduler.setup_schedule()  # registers at start-up
    assert [b.member for b in beat.live_beats()] == [scheduler.presence.member]
    scheduler.close()  # and leaves when it stops
    assert beat.live_beats() == []
