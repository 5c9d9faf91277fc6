"""Celery tasks of the e-mail outbox: a thin interface over ``outbox.services``.

Idempotent (late acknowledgement redelivers a task whose worker died): a row is claimed with
``SELECT … FOR NO KEY UPDATE SKIP LOCKED`` and only while it is pending, so nothing is sent twice. Resending
what is due is the "email-outbox" job (``outbox/jobs.py``), which beat runs through ``jobs.tasks.run_job``.
"""

from celery import shared_task

from jobs.tasks import run_job
from outbox import services


@shared_task(name="outbox.tasks.deliver_email", acks_late=True)
def deliver_email(email_id: str) -> str:
    """Deliver one queued e-mail now; queued by ``enqueue_email`` on commit. Returns the outcome."""
    return services.deliver(email_id).value


@shared_task(name="outbox.tasks.sweep_outbox", acks_late=True)
def sweep_outbox() -> dict[str, int]:
    """The "email-outbox" job under the task name beat used before it ran every job through
    ``jobs.tasks.run_job``: a tick queued under this name before a deploy still runs."""
    return run_job("email-outbox")
