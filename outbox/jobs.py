"""The "email-outbox" job (SPEC §8): the sweep that sends every pending e-mail whose next attempt has come.

Most e-mail is delivered at once by the ``deliver_email`` task queued on commit; this job is the safety net
(broker down, worker killed, retries with backoff). The job runner supplies the loop: oldest due first, a
transaction per row, and a stop after failures in a row (the mail server is down: the rest wait for the next
run instead of each burning an attempt on a timeout).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from jobs.registry import Job, register
from outbox import services
from outbox.models import OutboundEmail

Delivery = services.Delivery


class DeliveryFailed(RuntimeError):
    """One attempt failed; the row records it (and its next attempt). Raised after the row's transaction
    committed, so the runner counts the failure without undoing the record."""


def handle(pk: UUID, now: datetime) -> str | None:
    outcome, email = services.send_due(pk, now=now)
    if email is None:
        return None
    if outcome is Delivery.RETRYING:
        raise DeliveryFailed(
            f"{email.last_error} (attempt {email.attempts}; next at {email.next_attempt_at.isoformat()})"
        )
    if outcome is Delivery.DEAD:
        raise DeliveryFailed(f"{email.last_error} (failed permanently after {email.attempts} attempts)")
    if outcome is Delivery.CANCELLED:
        return f"not sent to {email.to_address}: the account was deactivated"
    return f"sent to {email.to_address}"


def describe(email: OutboundEmail, now: datetime) -> str:
    attempt = "first attempt" if email.attempts == 0 else f"attempt {email.attempts + 1}"
    return f"send {email.subject!r} to {email.to_address} ({attempt})"


EMAIL_OUTBOX = register(
    Job(
        name="email-outbox",
        title="E-mail outbox",
        summary="Sends queued e-mail that was not delivered at once, retrying with backoff.",
        due=services.due,
        due_field="next_attempt_at",
        handle=handle,
        describe=describe,
        # A run that meets a backlog (after a broker outage) sends this many; the next run takes the rest.
        batch=1000,
    )
)
