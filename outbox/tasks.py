"""Celery tasks of the e-mail outbox: thin interfaces over ``outbox.services``.

Both are idempotent (late acknowledgement redelivers a task whose worker died): a row is claimed with
``SELECT … FOR NO KEY UPDATE SKIP LOCKED`` and only while it is pending, so nothing is sent twice.
"""

from celery import shared_task

from outbox import services


@shared_task(name="outbox.tasks.deliver_email", acks_late=True)
def deliver_email(email_id: str) -> str:
    """Deliver one queued e-mail now; queued by ``enqueue_email`` on commit. Returns the outcome."""
    return services.deliver(email_id).value


@shared_task(name="outbox.tasks.sweep_outbox", acks_late=True)
def sweep_outbox() -> dict[str, int]:
    """The "email outbox" job (SPEC §8), every minute from beat: send every pending e-mail that is due."""
    result = services.sweep()
    return {
        "sent": result.sent,
        "retrying": result.retrying,
        "dead": result.dead,
        "cancelled": result.cancelled,
    }
