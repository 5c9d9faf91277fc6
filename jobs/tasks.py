"""The one Celery task beat calls for every scheduled job: a thin interface over ``jobs.runner``."""

from celery import shared_task

from jobs import runner


@shared_task(name="jobs.tasks.run_job", acks_late=True)
def run_job(name: str) -> dict[str, int]:
    """Run the job ``name`` now. Safe to redeliver or to run twice at once: every row is claimed."""
    record = runner.run(name)
    return {"due": record.due, "done": record.done, "skipped": record.skipped, "failed": record.failed}
