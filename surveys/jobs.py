"""The "survey" job (SPEC §8, §9): each closed case's survey is sent to its contact, at most one per contact in
30 days and none after an opt-out. Due rows: pending surveys, by the moment their case was closed (partial
index ``survey_pending_due``)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Model

from jobs.registry import Job, register
from surveys import services
from surveys.models import Survey


def describe(row: Model, now: datetime) -> str:
    if not isinstance(row, Survey):
        raise TypeError(f"The survey job describes surveys, not {type(row).__name__}.")
    return services.describe(row, now)


register(
    Job(
        name="survey",
        title="Satisfaction survey",
        summary="Sends each closed case's satisfaction survey to its contact, unless the contact was sent one in "
        "the last 30 days or opted out.",
        due=services.due_surveys,
        due_field="closed_at",
        handle=services.send_survey,
        describe=describe,
    )
)
