"""The Celery application and beat's schedule.

The schedule is code (django-celery-beat does not support Django 6.1). Jobs compute what is due from
database state, so a missed or doubled tick changes nothing (DESIGN §2 rule 4). Run exactly one beat.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["portal"])

# How often beat runs each scheduled job (jobs.registry), in seconds: fixed intervals, never local-time
# crontabs (Celery's daylight-saving bugs). A job does what is due from stored due moments, so the interval
# only bounds how late an action can be.
JOB_INTERVALS: dict[str, float] = {
    "sla-watch": 60.0,
}


def job_entry(name: str, seconds: float) -> dict[str, object]:
    # A tick that waited in the broker past the next one is dropped: the next run does the same work.
    return {
        "task": "jobs.tasks.run_job",
        "args": (name,),
        "schedule": seconds,
        "options": {"expires": seconds * 0.9},
    }


# Each entry names a task in an app's tasks.py.
app.conf.beat_schedule = {
    "heartbeat": {"task": "portal.tasks.heartbeat", "schedule": 300.0},
    # The "email outbox" job: sends pending e-mail that is due (retries with backoff). A tick that waited
    # in the broker past the next one is dropped: the next sweep does the same work.
    "email-outbox": {
        "task": "outbox.tasks.sweep_outbox",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}
app.conf.beat_schedule.update(
    {f"job-{name}": job_entry(name, seconds) for name, seconds in JOB_INTERVALS.items()}
)
