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

# Each entry names a task in an app's tasks.py. Later issues add the scheduled jobs of SPEC §8.
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
