"""The e-mail outbox service: queue an e-mail inside the caller's transaction, deliver it, resend what is due.

* ``enqueue_email`` renders the message and writes one ``OutboundEmail`` row in the caller's transaction, then
  asks Celery (on commit) to deliver it right away.
* ``deliver`` sends one pending row by id: the ``deliver_email`` task.
* ``due`` and ``send_due`` are the "email-outbox" job (``outbox/jobs.py``, SPEC §8): the sweep that sends
  every pending row whose next attempt has come, run by the job runner like every scheduled job (beat every
  minute, ``manage.py run_job email-outbox``).

Every delivery claims its row with ``SELECT … FOR NO KEY UPDATE SKIP LOCKED`` filtered on ``status='pending'``
in its own durable transaction, sends while holding the lock, and records the outcome before committing. A
second worker, a second sweep or a redelivered task finds the row locked or no longer pending and sends
nothing (DESIGN §2 rule 4). If the process dies after the SMTP server accepted the message but before the
commit, the row is still pending and is sent again with the same ``Message-ID``: at most one visible
duplicate (RELIABILITY rule 6).
"""

from __future__ import annotations

import enum
import logging
import uuid
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from outbox.models import OutboundEmail

if TYPE_CHECKING:
    from contacts.models import User

logger = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 10  # settings.OUTBOX_MAX_ATTEMPTS overrides
BACKOFF_CAP = timedelta(hours=1)
ERROR_MAX_LENGTH = 2000
STATUS = OutboundEmail.Status


class OutboxError(RuntimeError):
    """The outbox was used the wrong way (a programming error, not a delivery failure)."""


class Delivery(enum.StrEnum):
    """What one delivery attempt did."""

    SENT = "sent"
    RETRYING = "retrying"  # failed; the row stays pending with a later next_attempt_at
    DEAD = "dead"  # failed for the last time
    CANCELLED = "cancelled"  # not sent: the recipient was deactivated or deleted after it was queued
    SKIPPED = "skipped"  # not pending (already sent or dead), or another worker holds it


# --- queueing ---------------------------------------------------------------------------------------------


def enqueue_email(
    *,
    recipient: User | str,
    template: str,
    context: dict[str, Any],
    key: str,
    headers: dict[str, str] | None = None,
) -> OutboundEmail | None:
    """Queue the e-mail ``templates/emails/<template>/`` for ``recipient`` in the current transaction.

    ``recipient`` is a person's account, or a plain address that no account stands behind (a team's queue, the
    on-call address: settings). Mail to an account follows the account (not queued, or not sent, once it is
    deactivated); mail to a plain address is always sent, and its templates get ``recipient`` as ``None``.

    Must run inside ``transaction.atomic()``, together with the change it reports: the row is committed or
    rolled back with that change. The subject (one line), text and HTML bodies are rendered now, with
    ``context`` plus ``site_url``, ``recipient`` and (bodies only) ``subject``. After the commit the
    ``deliver_email`` task is queued; if the broker is down the row stays pending and the sweep sends it.

    ``headers``: extra message headers (e.g. ``List-Unsubscribe``), stored with the row and sent with it; they
    cannot replace the outbox's own (``Message-ID``, ``Auto-Submitted``).

    Returns the new row, or ``None`` when nothing was queued: the recipient is deactivated (SPEC §5), or a
    row with the same ``key`` already exists (the first one wins; a second enqueue is a no-op, also under a
    concurrent race, thanks to ``INSERT … ON CONFLICT DO NOTHING``).
    """
    if not transaction.get_connection().in_atomic_block:
        raise OutboxError(
            "enqueue_email() must be called inside transaction.atomic(), in the same transaction as the "
            "change the e-mail reports."
        )
    if len(key) > OutboundEmail._meta.get_field("key").max_length:  # type: ignore[operator]
        raise OutboxError(f"Outbox key {key!r} is longer than 200 characters.")
    account: User | None
    if isinstance(recipient, str):
        account, address = None, recipient
        try:
            validate_email(address)
        except ValidationError:
            raise OutboxError(f"Cannot send e-mail to {address!r}: not an e-mail address.") from None
    else:
        account, address = recipient, recipient.email
        if not account.is_active:
            return None

    values = {**context, "site_url": settings.SITE_URL, "recipient": account}
    subject = " ".join(render_to_string(f"emails/{template}/subject.txt", values).split())
    if len(subject) > 255:
        subject = subject[:254] + "…"
    values["subject"] = subject
    email = OutboundEmail(
        key=key,
        recipient=account,
        for_account=account is not None,
        to_address=address,
        subject=subject,
        body_text=render_to_string(f"emails/{template}/body.txt", values),
        body_html=render_to_string(f"emails/{template}/body.html", values),
        headers=dict(headers or {}),
        next_attempt_at=timezone.now(),
    )
    # ON CONFLICT DO NOTHING: a duplicate key, even one inserted by a concurrent transaction, is skipped
    # without an error that would break the caller's transaction.
    OutboundEmail.objects.bulk_create([email], ignore_conflicts=True)
    if not OutboundEmail.objects.filter(pk=email.pk).exists():
        logger.info("Outbound e-mail with key %s already queued; not queued again.", key)
        return None
    transaction.on_commit(partial(schedule_delivery, email.pk), robust=True)
    return email


def schedule_delivery(email_id: uuid.UUID) -> None:
    """Ask a worker to deliver now. Runs on commit; a broker outage must not fail the request, and loses
    nothing: the row is pending and the sweep sends it."""
    from outbox.tasks import deliver_email  # the tasks module imports this one

    try:
        deliver_email.delay(str(email_id))
    except Exception:
        logger.warning(
            "Could not queue delivery of outbound e-mail %s (broker unavailable?); the outbox sweep will send it.",
            email_id,
            exc_info=True,
        )


def retry_now(*, emails: QuerySet[OutboundEmail], now: datetime | None = None) -> int:
    """Make the chosen pending and dead e-mails due now; the sweep sends them within a minute.

    A dead e-mail becomes pending again with its attempt count reset, so it gets a full new round of
    retries; its last error is kept until the next attempt. Sent e-mails are never sent again. Returns
    how many rows were rescheduled.
    """
    now = now or timezone.now()
    with transaction.atomic():
        hurried = emails.filter(status=STATUS.PENDING).update(next_attempt_at=now)
        revived = emails.filter(status=STATUS.DEAD).update(
            status=STATUS.PENDING, attempts=0, next_attempt_at=now
        )
    return hurried + revived


# --- delivery ---------------------------------------------------------------------------------------------


def max_attempts() -> int:
    return int(getattr(settings, "OUTBOX_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed attempt: 1, 2, 4, 8 … minutes, at most one hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def deliver(email_id: uuid.UUID | str, *, now: datetime | None = None) -> Delivery:
    """Deliver one pending e-mail by id, whatever its ``next_attempt_at``: the ``deliver_email`` task queued
    on commit. Not pending (already sent or dead), or locked by another worker: does nothing. Retries after a
    failure are the sweep's job, which honours the backoff."""
    with transaction.atomic(durable=True):
        email = _claim(OutboundEmail.objects.filter(pk=email_id))
        if email is None:
            return Delivery.SKIPPED
        return _attempt(email, now=now or timezone.now())


def due(now: datetime) -> QuerySet[OutboundEmail]:
    """Pending e-mails whose next attempt has come, oldest first: the "email-outbox" job's due rows, read
    through the partial index ``outbox_pending_due_idx``."""
    return OutboundEmail.objects.filter(status=STATUS.PENDING, next_attempt_at__lte=now).order_by(
        "next_attempt_at"
    )


def send_due(email_id: uuid.UUID | str, *, now: datetime) -> tuple[Delivery, OutboundEmail | None]:
    """Attempt one e-mail if it is still pending and due at ``now``: one row of the "email-outbox" job
    (``outbox/jobs.py``), which runs them oldest first and stops after failures in a row. Claimed, sent and
    recorded in its own transaction; a row another worker holds, or one sent or rescheduled since the run
    listed it, is skipped. Returns the outcome and the row as recorded (``None`` when skipped)."""
    with transaction.atomic(durable=True):
        email = _claim(due(now).filter(pk=email_id))
        if email is None:
            return Delivery.SKIPPED, None
        return _attempt(email, now=now), email


def _claim(queryset: QuerySet[OutboundEmail]) -> OutboundEmail | None:
    # FOR NO KEY UPDATE (explicit lock strength): we change no key column, so inserts referencing the row
    # are not blocked. SKIP LOCKED: a row another worker is sending is left to it.
    return queryset.filter(status=STATUS.PENDING).select_for_update(skip_locked=True, no_key=True).first()


def _attempt(email: OutboundEmail, *, now: datetime) -> Delivery:
    """Send a claimed row and record the outcome (inside the claiming transaction)."""
    recipient = email.recipient
    if email.for_account and (recipient is None or not recipient.is_active):
        # SPEC §5: deactivated accounts get nothing, also mail queued before the deactivation.
        email.status = STATUS.DEAD
        email.last_error = "Not sent: the recipient's account was deactivated or deleted after it was queued."
        email.save(update_fields=["status", "last_error"])
        logger.info("Outbound e-mail %s cancelled: recipient deactivated or deleted.", email.pk)
        return Delivery.CANCELLED

    try:
        if mailers.default.send_messages([build_message(email)]) != 1:
            raise OutboxError("The mail backend reported that it sent nothing.")
    except Exception as error:
        return _record_failure(email, error, now=now)

    email.status = STATUS.SENT
    email.sent_at = now
    email.attempts += 1
    email.save(update_fields=["status", "sent_at", "attempts"])
    return Delivery.SENT


def _record_failure(email: OutboundEmail, error: Exception, *, now: datetime) -> Delivery:
    email.attempts += 1
    email.last_error = f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH]
    # SMTP and network errors (smtplib.SMTPException is an OSError) are expected during an outage; anything
    # else is a bug worth a traceback. Both are retried, then given up, so no row is retried for ever.
    expected = isinstance(error, OSError)
    traceback = None if expected else error
    if email.attempts >= max_attempts():
        email.status = STATUS.DEAD
        email.save(update_fields=["status", "attempts", "last_error"])
        logger.error(
            "Outbound e-mail %s failed permanently after %d attempts: %s",
            email.pk,
            email.attempts,
            email.last_error,
            exc_info=traceback,
        )
        return Delivery.DEAD
    email.next_attempt_at = now + backoff(email.attempts)
    email.save(update_fields=["attempts", "last_error", "next_attempt_at"])
    logger.log(
        logging.WARNING if expected else logging.ERROR,
        "Outbound e-mail %s: attempt %d failed (%s); next attempt at %s.",
        email.pk,
        email.attempts,
        email.last_error,
        email.next_attempt_at.isoformat(),
        exc_info=traceback,
    )
    return Delivery.RETRYING


def build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        email.subject,
        email.body_text,
        settings.DEFAULT_FROM_EMAIL,
        [email.to_address],
        headers={
            **email.headers,
            "Message-ID": email.message_id,
            # RFC 3834: no auto-replies (out-of-office) to a machine-sent message; the second for Exchange.
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
        },
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    return message
