"""The case app's scheduled jobs (jobs.registry): each due row is handled by a service in cases/services."""

from cases.services import slawatch
from jobs.registry import Job, register

register(
    Job(
        name="sla-watch",
        title="SLA watch",
        summary="Warns support before a first-response target and records the cases that miss it.",
        due=slawatch.due,
        due_field="sla_watch_at",
        handle=slawatch.handle,
        describe=slawatch.describe,
    )
)
