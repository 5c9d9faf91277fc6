"""The e-mail outbox: queueing in the caller's transaction, delivery, retries with backoff, the sweep
(DESIGN §2 rules 4-5, RELIABILITY rules 5-6, SPEC §5 and §8)."""

import logging
import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from kombu.exceptions import OperationalError

from jobs import runner
from jobs.models import JobRun
from outbox import services
from outbox.models import OutboundEmail
from outbox.services import Delivery, OutboxError, enqueue_email
from outbox.tasks import deliver_email, sweep_outbox
from outbox.tests.conftest import FAILING_MAILER
from portal.celery import JOB_INTERVALS, app

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
FOOTER = "Replies to this e-mail are not read"
Status = OutboundEmail.Status


class Boom(Exception):
    pass


def sweep(*, limit: int | None = None) -> JobRun:
    """The "email-outbox" job, once, at the current time: ``done`` counts the e-mails it sent (or dropped for
    a deactivated account), ``failed`` the attempts that failed."""
    return runner.run("email-outbox", limit=limit)


# --- queueing ---------------------------------------------------------------------------------------------


def test_enqueue_writes_one_row_inside_the_transaction_and_delivers_on_commit(
    personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        email = enqueue_email(
            recipient=personas.support,
            template="outbox_test",
            context={"number": 123, "title": "Grades not syncing"},
            key="case-123-post-1-user-1",
        )
        assert OutboundEmail.objects.count() == 1
        assert callbacks == []  # nothing is queued before the commit
    row = OutboundEmail.objects.get()
    assert row == email
    assert (row.status, row.attempts, row.to_address) == (Status.PENDING, 0, "support@a.example.org")
    assert row.subject == "Case 123: Grades not syncing"
    assert len(callbacks) == 1
    assert mail.outbox == []  # delivery is the task's job


def test_enqueue_writes_nothing_when_the_transaction_rolls_back(personas, django_capture_on_commit_callbacks):
    def change_that_fails() -> None:
        with transaction.atomic():
            enqueue_email(
                recipient=personas.support,
                template="outbox_test",
                context={"number": 1, "title": "x"},
                key="k",
            )
            raise Boom

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Boom):
        change_that_fails()
    assert OutboundEmail.objects.count() == 0
    assert callbacks == []


# --- plain addresses (a team's queue, the on-call address) ------------------------------------------------------


def queue_to_address(address: str, *, key: str = "case-123-post-1-to-queue") -> OutboundEmail | None:
    with transaction.atomic():
        return enqueue_email(
            recipient=address, template="outbox_test", context={"number": 123, "title": "Down"}, key=key
        )


def test_mail_to_a_plain_address_is_queued_once_and_sent_with_its_message_id(personas, settings):
    settings.DEFAULT_FROM_EMAIL = "Support Case Portal <support-portal@mail.example.com>"
    email = queue_to_address("campus-support@queues.example.org")
    assert (email.recipient, email.for_account, email.to_address) == (
        None,
        False,
        "campus-support@queues.example.org",
    )
    assert queue_to_address("campus-support@queues.example.org") is None  # same key: first one wins
    assert OutboundEmail.objects.count() == 1
    assert services.deliver(email.pk) is Delivery.SENT
    assert services.deliver(email.pk) is Delivery.SKIPPED
    [message] = mail.outbox
    assert message.to == ["campus-support@queues.example.org"]
    assert message.extra_headers["Message-ID"] == f"<outbox.{email.pk}@mail.example.com>"
    assert message.body.startswith("Hello ,\n")  # templates get no account for a plain address


def test_mail_to_a_plain_address_is_not_cancelled_like_a_deleted_account(personas):
    """No account stands behind it: nothing to be deactivated, and a missing recipient is not a deleted one."""
    email = queue_to_address("oncall@queues.example.org")
    assert sweep().done == 1
    email.refresh_from_db()
    assert email.status == Status.SENT


def test_a_plain_address_that_is_not_an_address_is_a_clear_error(personas):
    with pytest.raises(OutboxError, match="not an e-mail address"):
        queue_to_address("campus support")
    assert OutboundEmail.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_a_transaction_is_refused(personas):
    with pytest.raises(OutboxError, match=r"inside transaction\.atomic"):
        enqueue_email(
            recipient=personas.support, template="outbox_test", context={"number": 1, "title": "x"}, key="k"
        )
    assert OutboundEmail.objects.count() == 0


def test_a_second_enqueue_with_the_same_key_queues_nothing(
    personas, queue, django_capture_on_commit_callbacks
):
    first = queue(personas.support)
    with django_capture_on_commit_callbacks() as callbacks:
        second = queue(personas.support, title="Another title")
    assert first is not None
    assert second is None
    assert OutboundEmail.objects.get().subject == "Case 123: Grades not syncing"
    assert callbacks == []


def test_same_event_for_two_people_queues_two_emails(personas, queue):
    queue(personas.support)
    queue(personas.technical)
    assert sorted(OutboundEmail.objects.values_list("to_address", flat=True)) == [
        "support@a.example.org",
        "technical@a.example.org",
    ]


def test_deactivated_user_gets_no_row(personas, queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert queue(personas.deactivated) is None
    assert OutboundEmail.objects.count() == 0
    assert callbacks == []


def test_a_too_long_key_is_a_clear_error(personas, queue):
    with pytest.raises(OutboxError, match="longer than 200"):
        queue(personas.support, key="k" * 200)


# --- delivery ---------------------------------------------------------------------------------------------


def test_delivery_sends_exactly_one_message_with_text_html_and_the_portal_footer(personas, queue, settings):
    settings.SITE_URL = "https://portal.example.com"
    settings.DEFAULT_FROM_EMAIL = "Support Case Portal <support-portal@mail.example.com>"
    email = queue(personas.support)

    assert deliver_email(str(email.pk)) == "sent"

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["support@a.example.org"]
    assert message.from_email == "Support Case Portal <support-portal@mail.example.com>"
    assert message.subject == "Case 123: Grades not syncing"
    assert message.extra_headers["Message-ID"] == f"<outbox.{email.pk}@mail.example.com>"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert message.body.startswith("Hello Dana,\n")
    assert "https://portal.example.com/cases/123/" in message.body
    assert FOOTER in message.body
    assert "log in to the portal and post on your case:\nhttps://portal.example.com/" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert '<html lang="en">' in html
    assert FOOTER in html
    assert '<a href="https://portal.example.com/"' in html
    parsed = message.message()
    assert parsed["Message-ID"] == f"<outbox.{email.pk}@mail.example.com>"
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.SENT, 1)
    assert email.sent_at is not None


def test_text_is_not_html_escaped_and_html_is(personas, queue):
    email = queue(personas.support, title='Grades & "report cards" <urgent>')
    services.deliver(email.pk)
    message = mail.outbox[0]
    assert message.subject == 'Case 123: Grades & "report cards" <urgent>'
    assert 'Case 123 "Grades & "report cards" <urgent>" has a new post.' in message.body
    html = message.alternatives[0].content
    assert "Grades &amp; &quot;report cards&quot; &lt;urgent&gt;" in html
    assert "<urgent>" not in html


def test_message_id_falls_back_to_the_site_host(personas, queue, settings):
    settings.DEFAULT_FROM_EMAIL = "webmaster"
    settings.SITE_URL = "https://portal.example.com"
    email = queue(personas.support)
    assert email.message_id == f"<outbox.{email.pk}@portal.example.com>"


def test_delivering_the_same_email_twice_sends_once(personas, queue):
    email = queue(personas.support)
    assert deliver_email(str(email.pk)) == "sent"
    assert deliver_email(str(email.pk)) == "skipped"
    assert sweep().done == 0
    assert len(mail.outbox) == 1


def test_sweep_sends_what_is_due_and_a_second_sweep_sends_nothing(personas, queue):
    queue(personas.support)
    queue(personas.technical)
    first = sweep()
    second = sweep_outbox()  # the task name beat used before: the same job
    assert (first.due, first.done, first.failed) == (2, 2, 0)
    assert second == {"due": 0, "done": 0, "skipped": 0, "failed": 0}
    assert len(mail.outbox) == 2
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {Status.SENT}


def test_sweep_respects_its_batch_size(personas, queue):
    for n in range(3):
        queue(personas.support, key=f"case-{n}")
    assert sweep(limit=2).done == 2
    assert sweep(limit=2).done == 1


def test_a_person_deactivated_after_queueing_gets_nothing(personas, queue):
    email = queue(personas.support)
    personas.support.is_active = False
    personas.support.save()
    assert services.deliver(email.pk) is Delivery.CANCELLED
    assert mail.outbox == []
    email.refresh_from_db()
    assert email.status == Status.DEAD
    assert "deactivated" in email.last_error
    assert sweep().done == 0


@pytest.mark.django_db(transaction=True)
def test_a_row_another_worker_is_sending_is_skipped_not_sent_twice(personas, queue, monkeypatch):
    monkeypatch.setattr(deliver_email, "delay", lambda email_id: None)  # the commit is real: no broker here
    email = queue(personas.support)
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                OutboundEmail.objects.select_for_update(no_key=True).get(pk=email.pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    worker = threading.Thread(target=other_worker)
    worker.start()
    try:
        assert locked.wait(timeout=10)
        assert services.deliver(email.pk) is Delivery.SKIPPED
        assert sweep().done == 0
    finally:
        release.set()
        worker.join()
    assert mail.outbox == []
    assert sweep().done == 1
    assert len(mail.outbox) == 1


# --- failures and retries ---------------------------------------------------------------------------------


def test_backoff_doubles_from_one_minute_up_to_an_hour():
    assert [services.backoff(n) for n in range(1, 10)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60, 60)
    ]


def test_smtp_failure_leaves_the_row_pending_with_backoff(personas, queue, settings, caplog):
    settings.MAILERS = FAILING_MAILER
    with time_machine.travel(T0, tick=False):
        email = queue(personas.support)
        assert deliver_email(str(email.pk)) == "retrying"
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.PENDING, 1)
    assert email.next_attempt_at == T0 + timedelta(minutes=1)
    assert "SMTPException: 421 4.3.2 Service not available" in email.last_error
    assert "attempt 1 failed" in caplog.text

    with time_machine.travel(T0 + timedelta(seconds=59), tick=False):
        assert sweep().failed == 0  # not due yet
    email.refresh_from_db()
    assert email.attempts == 1

    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        assert sweep().failed == 1
    email.refresh_from_db()
    assert email.attempts == 2
    assert email.next_attempt_at == T0 + timedelta(minutes=1 + 2)

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        assert sweep().done == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.sent_at) == (Status.SENT, 3, T0 + timedelta(minutes=3))
    assert len(mail.outbox) == 1


def test_after_the_last_attempt_the_email_is_dead_and_logged(personas, queue, settings, caplog):
    settings.MAILERS = FAILING_MAILER
    settings.OUTBOX_MAX_ATTEMPTS = 3
    moment = T0
    with time_machine.travel(moment, tick=False):
        email = queue(personas.support)
    errors = []
    for _ in range(3):
        with time_machine.travel(moment, tick=False):
            result = sweep()
            assert result.failed == 1
            errors.append(result.failures[0]["error"])
        email.refresh_from_db()
        moment = email.next_attempt_at
    assert "(attempt 1; next at " in errors[0]
    assert "(attempt 2; next at " in errors[1]
    assert errors[2] == (
        "DeliveryFailed: SMTPException: 421 4.3.2 Service not available, try again later "
        "(failed permanently after 3 attempts)"
    )
    assert (email.status, email.attempts) == (Status.DEAD, 3)
    assert "failed permanently after 3 attempts" in caplog.text
    assert any(r.levelno == logging.ERROR for r in caplog.records)
    with time_machine.travel(moment + timedelta(days=1), tick=False):
        assert sweep().failed == 0
    assert mail.outbox == []


def test_a_sweep_stops_early_when_the_mail_server_is_down(personas, queue, settings):
    settings.MAILERS = FAILING_MAILER
    with time_machine.travel(T0, tick=False):
        for n in range(runner.STOP_AFTER_FAILURES + 2):
            queue(personas.support, key=f"case-{n}")
        result = sweep()
    assert result.stopped_early
    assert result.failed == runner.STOP_AFTER_FAILURES
    assert OutboundEmail.objects.filter(attempts=0).count() == 2


def test_an_unexpected_error_is_retried_too_so_no_row_blocks_the_queue(personas, queue, monkeypatch):
    email = queue(personas.support)

    def broken(_: OutboundEmail):
        raise ValueError("bad header")

    monkeypatch.setattr(services, "build_message", broken)
    assert services.deliver(email.pk) is Delivery.RETRYING
    email.refresh_from_db()
    assert email.last_error == "ValueError: bad header"


def test_retry_now_revives_dead_and_hurries_pending_but_never_resends_sent(personas, queue, settings):
    settings.MAILERS = FAILING_MAILER
    settings.OUTBOX_MAX_ATTEMPTS = 1
    with time_machine.travel(T0, tick=False):
        dead = queue(personas.support, key="dead")
        services.deliver(dead.pk)
        settings.OUTBOX_MAX_ATTEMPTS = 5
        waiting = queue(personas.support, key="waiting")
        services.deliver(waiting.pk)
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    sent = queue(personas.support, key="sent")
    services.deliver(sent.pk)
    dead.refresh_from_db()
    assert dead.status == Status.DEAD

    later = T0 + timedelta(seconds=10)
    assert services.retry_now(emails=OutboundEmail.objects.all(), now=later) == 2
    dead.refresh_from_db()
    waiting.refresh_from_db()
    assert (dead.status, dead.attempts, dead.next_attempt_at) == (Status.PENDING, 0, later)
    assert (waiting.status, waiting.attempts, waiting.next_attempt_at) == (Status.PENDING, 1, later)
    with time_machine.travel(later, tick=False):
        assert sweep().done == 2
    assert len(mail.outbox) == 3  # sent once each


# --- broker outage ----------------------------------------------------------------------------------------


def _broker_down(*args, **kwargs):
    raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_a_broker_outage_on_commit_neither_fails_nor_loses_the_email(
    personas, queue, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(deliver_email, "delay", _broker_down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = queue(personas.support)
    assert len(callbacks) == 1
    assert "the outbox sweep will send it" in caplog.text
    email.refresh_from_db()
    assert email.status == Status.PENDING
    assert sweep().done == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_after_a_real_commit_keeps_the_change_and_the_email(
    personas, queue, monkeypatch, caplog
):
    monkeypatch.setattr(deliver_email, "delay", _broker_down)
    email = queue(personas.support)  # commits for real; the on_commit callback runs and must not raise
    assert "the outbox sweep will send it" in caplog.text
    assert OutboundEmail.objects.get(pk=email.pk).status == Status.PENDING
    call_command("run_job", "email-outbox", stdout=StringIO())
    assert len(mail.outbox) == 1


def test_the_commit_hands_the_id_to_the_delivery_task(
    personas, queue, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(deliver_email, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        email = queue(personas.support)
    assert queued == [str(email.pk)]


# --- the job: beat entry and command ----------------------------------------------------------------------


def test_beat_runs_the_outbox_sweep_every_minute():
    app.loader.import_default_modules()
    assert JOB_INTERVALS["email-outbox"] == 60.0
    assert app.conf.beat_schedule["job-email-outbox"]["args"] == ("email-outbox",)
    assert "outbox.tasks.deliver_email" in app.tasks
    assert "outbox.tasks.sweep_outbox" in app.tasks  # a tick queued under the old name still runs
    assert "heartbeat" in app.conf.beat_schedule


def test_the_command_sends_what_is_due_and_says_how_many(personas, queue, settings):
    queue(personas.support)
    queue(personas.technical)
    out = StringIO()
    call_command("run_job", "email-outbox", stdout=out)
    assert ": 2 due, 2 done, 0 skipped" in out.getvalue()
    assert len(mail.outbox) == 2

    settings.MAILERS = FAILING_MAILER
    queue(personas.implementation)
    out = StringIO()
    with pytest.raises(CommandError, match=r"1 row\(s\) failed"):
        call_command("run_job", "email-outbox", stdout=out)
    assert ": 1 due, 0 done, 0 skipped (held or done elsewhere), 1 failed." in out.getvalue()
    assert "SMTPException: 421 4.3.2 Service not available" in out.getvalue()
    assert "(attempt 1; next at " in out.getvalue()


def test_the_dry_run_says_what_would_be_sent_and_sends_nothing(personas, queue):
    queue(personas.support)
    out = StringIO()
    call_command("run_job", "email-outbox", "--dry-run", stdout=out)
    assert "1 due." in out.getvalue()
    assert "send 'Case 123: Grades not syncing' to support@a.example.org (first attempt)" in out.getvalue()
    assert mail.outbox == []
    assert OutboundEmail.objects.get().status == Status.PENDING


def test_a_row_sent_since_the_run_listed_it_is_skipped(personas, queue):
    """The run lists the due rows first; one delivered meanwhile (the task queued on commit) is not resent."""
    email = queue(personas.support)
    from outbox.jobs import handle

    assert services.deliver(email.pk) is Delivery.SENT
    assert handle(email.pk, datetime.now(UTC)) is None
    assert len(mail.outbox) == 1
