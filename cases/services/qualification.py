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
    Priority,
)
from cases.services import slawatch
from cases.services.common import (
    lock_case,
    modified,
    record_event,
    require_advisor,
    resolve_now,
)
from cases.services.notify import notify_change, notify_oncall_of_critical_case
from cases.services.posts import public_post, record_first_response
from cases.services.submission import CRITICAL_ONLY_FOR_OUTAGES
from cases.workflow import (
    Status,
    WorkflowError,
)
from contacts.models import User
from portal.lib import businesstime
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


REASON_MAX_LENGTH = 500


def suggested_priority(
    *,
    outage: bool,
    disruption: Disruption | str,
    cannot_perform_daily_functions: bool,
    workaround_exists: bool,
    multiple_districts: bool,
    multiple_users: bool,
) -> Priority:
    """The priority an impact assessment suggests (SPEC §3.5, seed 002 "Priority"): Critical only for an outage
    that stopped work with no workaround; High when work stopped, or when it slowed and the district cannot
    perform its daily functions without a workaround; Medium when work slowed or many are affected; else Low."""
    disruption = Disruption(disruption)
    if disruption == Disruption.SEVERE:
        return Priority.CRITICAL if outage and not workaround_exists else Priority.HIGH
    if disruption == Disruption.MODERATE:
        if cannot_perform_daily_functions and not workaround_exists:
            return Priority.HIGH
        return Priority.MEDIUM
    return Priority.MEDIUM if multiple_districts or multiple_users else Priority.LOW


@transaction.atomic
def case_set_priority(
    *, actor: User, case: Case, priority: Priority | int, reason: str, now: datetime | None = None
) -> Case:
    """An advisor changes the case's priority, saying why; the district sees the change and the reason in its
    feed. A first response not yet given is due by the new priority's target from submission (SPEC §7);
    Critical stays for outages, which page the on-call team within a clock hour."""
    require_advisor(actor)
    priority = Priority(priority)
    case = lock_case(case)
    now = resolve_now(now)  # after the lock: the order of events is the order of the locks
    if case.status == Status.CLOSED:
        raise WorkflowError("A closed case keeps its priority; re-open it first.")
    errors = {}
    if priority == case.priority:
        errors["priority"] = f"The case is already {priority.label}."
    elif priority == Priority.CRITICAL and not case.type_spec.outage:
        errors["priority"] = CRITICAL_ONLY_FOR_OUTAGES
    reason = " ".join(reason.split())
    if not reason:
        errors["reason"] = "Say why the priority changes: the district reads it in the case feed."
    elif len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = f"Keep the reason under {REASON_MAX_LENGTH} characters."
    if errors:
        raise ValidationError(errors)
    previous = case.priority
    previous_due, _ = case.first_response_promise()
    case.priority = priority
    fields = ["priority"]
    if case.first_response_at is None:
        case.first_response_due_at = businesstime.sla_due(case.created_at, priority.business)
        # A case raised to Critical is an outage recognized now: the on-call hour runs from the raise.
        case.oncall_due_at = businesstime.oncall_due(now) if priority == Priority.CRITICAL else None
        fields += ["first_response_due_at", "oncall_due_at"]
        fields += slawatch.plan(case, previous_due=previous_due)
    case.save(update_fields=[*fields, *modified(case, now)])
    event = record_event(
        case, CaseEvent.Kind.PRIORITY_CHANGED, actor, now, old=previous, new=priority, reason=reason
    )
    if priority == Priority.CRITICAL:
        notify_oncall_of_critical_case(case, now=now, raised=event)
    return case


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
