"""The Celery application and beat's schedule.

The schedule is code (django-celery-beat does not support Django 6.1). Jobs compute what is due from
database state, so a missed or doubled tick changes nothing (DESIGN §2 rule 4). Run exactly one beat: its
scheduler (``jobs.beat.PresenceScheduler``, settings ``CELERY_BEAT_SCHEDULER``) warns when it sees another.
"""

import os

from celery import Celery
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["portal"])

# How often beat runs each scheduled job (jobs.registry), in seconds: fixed intervals, never local-time
# crontabs (Celery's daylight-saving bugs). A job does what is due from stored due moments, so the interval
# only bounds how late an action can be.
JOB_INTERVALS: dict[str, float] = {
    "email-outbox": 60.0,
    "sla-watch": 60.0,
    "survey": 300.0,
    "followup-3x10": 300.0,
    "inactivity": 3600.0,
    "reopen-window": 900.0,
    "orphaned-files": 3600.0,
}


def interval_scale() -> float:
    """``JOB_INTERVAL_SCALE`` multiplies every interval of the schedule (default 1). The fault tests run a
    real beat with 0.01 so that a minute's job ticks every 0.6 s; nothing else should set it."""
    value = os.environ.get("JOB_INTERVAL_SCALE", "1")
    try:
        scale = float(value)
    except ValueError:
        scale = 0.0
    if not 0 < scale <= 1:
        raise ImproperlyConfigured(f"Environment variable JOB_INTERVAL_SCALE={value!r} must be in (0, 1].")
    return scale


SCALE = interval_scale()


def job_entry(name: str, seconds: float) -> dict[str, object]:
    # A tick that waited in the broker past the next one is dropped: the next run does the same work.
    seconds *= SCALE
    return {
        "task": "jobs.tasks.run_job",
        "args": (name,),
        "schedule": seconds,
        "options": {"expires": seconds * 0.9},
    }


# Each entry names a task in an app's tasks.py.
app.conf.beat_schedule = {
    "heartbeat": {"task": "portal.tasks.heartbeat", "schedule": 300.0 * SCALE},
}
app.conf.beat_schedule.update(
    {f"job-{name}": job_entry(name, seconds) for name, seconds in JOB_INTERVALS.items()}
)
