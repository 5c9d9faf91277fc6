"""Scheduled jobs with real Celery processes (RELIABILITY §3): two beats (F5) and a worker killed mid-batch
(F7), with the e-mail outbox job as the job under test. Mail is counted in the files the workers wrote."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from jobs.models import JobRun
from outbox.models import OutboundEmail
from tests.faults.conftest import CeleryProcesses, wait_until

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]
Status = OutboundEmail.Status


def pending_emails(count: int) -> list[OutboundEmail]:
    """E-mails the job must send: pending and due (as after a broker outage: no delivery task queued)."""
    due = timezone.now() - timedelta(seconds=1)
    return OutboundEmail.objects.bulk_create(
        OutboundEmail(
            key=f"fault-{n}-{uuid.uuid4().hex[:8]}",
            to_address=f"person{n}@a.example.org",
            for_account=False,
            subject=f"Message {n}",
            body_text=f"Message {n}",
            next_attempt_at=due,
        )
        for n in range(count)
    )


def sent() -> int:
    return OutboundEmail.objects.filter(status=Status.SENT).count()


def test_f5_two_beats_queue_every_job_twice_and_every_effect_happens_once(
    celery_processes: CeleryProcesses, personas, settings
) -> None:
    celery_processes.env["FAULT_MAIL_DELAY"] = "0.02"  # a run takes long enough for the next tick to overlap
    first, second = celery_processes.beat("beat-1"), celery_processes.beat("beat-2")
    celery_processes.ready(celery_processes.worker(), first, second)
    # Each beat warns once it sees the other: the later one at start-up, the other at its next refresh.
    first.wait_for("2 beats are running", timeout=20)
    second.wait_for("2 beats are running", timeout=20)

    # The ops page says so.
    settings.REDIS_URL = celery_processes.redis_url
    client = Client()
    client.force_login(personas.advisor)
    assert "2 beats are running." in client.get("/admin/jobs/jobrun/ops/").text

    # Both beats run the job while the e-mails fall due, then at least three ticks each find nothing to do.
    emails = pending_emails(60)
    wait_until(lambda: sent() == len(emails), timeout=30, what="every e-mail sent")
    done_at = timezone.now()
    wait_until(
        lambda: JobRun.objects.filter(job="email-outbox", started_at__gt=done_at).count() >= 6,
        timeout=20,
        what="six more runs of the outbox job",
    )
    for process in celery_processes.running:
        process.kill()

    ids = celery_processes.message_ids()
    assert sorted(ids) == sorted(email.message_id for email in emails)
    assert set(ids.values()) == {1}  # each e-mail once
    runs = JobRun.objects.filter(job="email-outbox")
    assert sum(run.done for run in runs) == len(emails)
    assert sum(run.failed for run in runs) == 0


def test_f7_a_worker_killed_mid_batch_leaves_no_email_unsent_and_at_most_one_duplicate(
    celery_processes: CeleryProcesses,
) -> None:
    celery_processes.env["FAULT_MAIL_DELAY"] = "0.03"  # 100 e-mails: a run of about 3 s
    emails = pending_emails(100)
    worker = celery_processes.worker()
    celery_processes.ready(worker)
    celery_processes.send("jobs.tasks.run_job", "email-outbox")
    # The worker that takes over starts meanwhile (the one task is the first worker's already).
    replacement = celery_processes.worker("worker-2")
    wait_until(lambda: sent() >= 20, timeout=20, what="the run sending its first e-mails")
    worker.kill()  # SIGKILL, mid-batch: most likely right after a message was written, before its commit
    assert sent() < len(emails)  # the run was cut short

    # The rows are the queue: the next run (beat's next tick, sent here at once) sends the rest.
    celery_processes.ready(replacement)
    celery_processes.send("jobs.tasks.run_job", "email-outbox")
    wait_until(lambda: sent() == len(emails), timeout=30, what="every e-mail sent after the kill")
    for process in celery_processes.running:
        process.kill()

    assert not OutboundEmail.objects.exclude(status=Status.SENT).exists()
    ids = celery_processes.message_ids()
    assert sorted(set(ids)) == sorted(email.message_id for email in emails)
    duplicates = {message_id: n for message_id, n in ids.items() if n > 1}
    # One message was in flight when the worker died: it may have been written twice, with one Message-ID.
    assert len(duplicates) <= 1, duplicates
    assert all(n == 2 for n in duplicates.values()), duplicates
