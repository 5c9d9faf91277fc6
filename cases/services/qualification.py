"""Qualification by support (SPEC §3.3, §3.5): impact assessment and escalation."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from cases.casetypes import Team
from cases.models import (
    Case,
    CaseEvent,
    Disruption,
    ImpactAssessment,
    Post,
)
from cases.services.common import (
    lock_case,
    modified,
    record_event,
    require_advisor,
    resolve_now,
)
from cases.services.notify import notify_change
from cases.services.posts import public_post, record_first_response
from cases.workflow import (
    Status,
    WorkflowError,
)
from contacts.models import User
from portal.lib.sanitize import html_to_text, sanitize_html


@transaction.atomic
def impact_assess(
    *,
    actor: User,
    case: Case,
    disruption: Disruption | str,
    cannot_perform_daily_functions: bool = False,
    workaround_exists: bool = False,
    multiple_districts: bool = False,
    multiple_users: bool = False,
    now: datetime | None = None,
) -> ImpactAssessment:
    """An advisor records (or revises) the case's impact assessment; shown on the case page."""
    require_advisor(actor)
    case = lock_case(case)
    now = resolve_now(now)  # after the lock: the order of events is the order of the locks
    values = {
        "disruption": Disruption(disruption),
        "cannot_perform_daily_functions": cannot_perform_daily_functions,
        "workaround_exists": workaround_exists,
        "multiple_districts": multiple_districts,
        "multiple_users": multiple_users,
        "assessed_by": actor,
        "assessed_at": now,
    }
    previous = ImpactAssessment.objects.filter(case=case).values_list("disruption", flat=True).first()
    assessment, _ = ImpactAssessment.objects.update_or_create(case=case, defaults=values)
    case.save(update_fields=modified(case, now))
    record_event(case, CaseEvent.Kind.IMPACT_ASSESSED, actor, now, old=previous, new=assessment.disruption)
    return assessment


ESCALATION_TEAMS = (
    Team.MANAGED_SERVICES,
    Team.TRAINING,
    Team.PROCESS_CONSULTING,
    Team.TECHNICAL_SERVICES,
    Team.DEVELOPMENT,
)


@transaction.atomic
def case_escalate(
    *, actor: User, case: Case, team: Team | str, note: str, now: datetime | None = None
) -> Post:
    """An advisor escalates the case to another team (SPEC §3.3): the team changes, and a public note tells the
    district, by e-mail too."""
    require_advisor(actor)
    team = Team(team)
    if team not in ESCALATION_TEAMS:
        raise ValidationError({"team": f"Cases are not escalated to {team.label}."})
    case = lock_case(case)
    now = resolve_now(now)  # after the lock: the order of events is the order of the locks
    if case.status == Status.CLOSED:
        raise WorkflowError("A closed case cannot be escalated; re-open it first.")
    body = sanitize_html(note)
    if not html_to_text(body):
        raise ValidationError({"note": "Tell the district why the case is escalated and what happens next."})
    previous = case.team
    post = public_post(case, actor, body, now)
    record_first_response(case, now)
    case.team = team
    case.save(update_fields=["team", *modified(case, now)])
    record_event(case, CaseEvent.Kind.ESCALATED, actor, now, old=previous, new=team, note_post=post.pk)
    notify_change(case, actor, post=post, escalated_to=team.label)
    return post
