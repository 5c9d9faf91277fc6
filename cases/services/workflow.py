"""Moving a case through the workflow (SPEC §3.2): assign, set status, close, re-open."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from cases.models import (
    Case,
    CaseEvent,
    DevIssue,
    Post,
    Release,
)
from cases.selectors.reopen import reopen_allowed
from cases.services.common import (
    actor_kind,
    apply_status,
    lock_case,
    modified,
    record_event,
    require_advisor,
    resolve_now,
)
from cases.services.notify import notify_change
from cases.services.posts import already_posted, await_support, public_post, record_first_response
from cases.workflow import (
    Actor,
    Requirement,
    Status,
    WorkflowError,
    transition_for,
)
from contacts.access import Capability, is_advisor
from contacts.models import User
from portal.lib import businesstime
from portal.lib.sanitize import html_to_text, sanitize_html
from surveys import services as surveys


@transaction.atomic
def case_assign(
    *, actor: User, case: Case, assignee: User, take: bool = False, now: datetime | None = None
) -> Case:
    """Give the case to an advisor. A New or Re-Opened case becomes Assigned; an open case changes owner.

    ``take``: the advisor takes a case from the queue; refused when someone else took it a moment earlier
    (the case is no longer New or Re-Opened), so the loser of that race is told instead of overriding."""
    require_advisor(actor)
    if not is_advisor(assignee):
        raise ValidationError({"assigned_to": "Cases can only be assigned to an active advisor."})
    case = lock_case(case)
    now = resolve_now(now)  # after the lock: the order of events is the order of the locks
    if case.status == Status.CLOSED:
        raise WorkflowError("A closed case cannot be assigned; re-open it first.")
    if take and case.status not in (Status.NEW, Status.REOPENED):
        owner = case.assigned_to.get_full_name() if case.assigned_to else "another advisor"
        raise WorkflowError(f"Case #{case.number} was already taken by {owner}.")
    previous = case.assigned_to
    case.assigned_to = assignee
    if previous != assignee:
        record_event(
            case,
            CaseEvent.Kind.ASSIGNED,
            actor,
            now,
            old=previous.pk if previous else None,
            new=assignee.pk,
        )
    if case.status in (Status.NEW, Status.REOPENED):
        transition_for(case.status, Status.ASSIGNED, Actor.ADVISOR)
        event = apply_status(case, Status.ASSIGNED, actor, now)
        notify_change(case, actor, event=event)
    else:
        case.save(update_fields=["assigned_to", *modified(case, now)])
    return case


@transaction.atomic
def case_set_status(
    *,
    actor: User,
    case: Case,
    status: Status | str,
    resolution: str = "",
    dev_issue: DevIssue | None = None,
    release_name: str = "",
    scheduled_for: date | None = None,
    now: datetime | None = None,
) -> Case:
    """An advisor moves an open case to another status, with what that status requires (SPEC §3.2):
    a written resolution for Pending Customer Verification, a development issue for Assigned to Development,
    a release name for Available in Release, the business day of the planned action for Scheduled. Closing
    and re-opening have their own functions."""
    require_advisor(actor)
    target = Status(status)
    if target == Status.CLOSED:
        return case_close(actor=actor, case=case, now=now)
    if target == Status.REOPENED:
        # The 60-day window and the additional details are checked there, not skipped here.
        return case_reopen(actor=actor, case=case, details=resolution, now=now)
    case = lock_case(case)
    now = resolve_now(now)  # after the lock: the order of events is the order of the locks
    event, post = move_case(
        case,
        actor,
        target,
        now,
        resolution=resolution,
        dev_issue=dev_issue,
        release_name=release_name,
        scheduled_for=scheduled_for,
    )
    notify_change(case, actor, event=event, post=post)
    return case


def move_case(
    case: Case,
    actor: User,
    target: Status,
    now: datetime,
    *,
    resolution: str = "",
    dev_issue: DevIssue | None = None,
    release_name: str = "",
    scheduled_for: date | None = None,
    resolution_post: Post | None = None,
) -> tuple[CaseEvent, Post | None]:
    """An advisor's move of a locked open case to ``target`` with what it requires; no e-mail (the caller
    sends one for everything it changed). ``resolution_post``: the public reply just written as the resolution
    (otherwise ``resolution`` is posted). Returns the status event and the resolution post, if any."""
    transition = transition_for(case.status, target, Actor.ADVISOR)
    unhandled = transition.requires - {
        Requirement.ASSIGNEE,
        Requirement.DEV_ISSUE,
        Requirement.RELEASE,
        Requirement.RESOLUTION_POST,
        Requirement.SCHEDULED_DATE,
    }
    if unhandled:
        raise WorkflowError(f"This change needs {', '.join(sorted(unhandled))}.")
    data: dict[str, Any] = {}
    if Requirement.ASSIGNEE in transition.requires and case.assigned_to is None:
        raise WorkflowError("Assign the case to an advisor first.")
    if Requirement.DEV_ISSUE in transition.requires:
        dev_issue = dev_issue or case.dev_issue
        if dev_issue is None:
            raise ValidationError(
                {"dev_issue": "Link a development issue to move the case to Assigned to Development."}
            )
        if case.dev_issue != dev_issue:
            case.dev_issue = dev_issue
            record_event(case, CaseEvent.Kind.DEV_ISSUE_LINKED, actor, now, new=dev_issue.pk)
    if Requirement.RELEASE in transition.requires:
        release_name = " ".join(release_name.split())
        if not release_name:
            raise ValidationError({"release_name": "Name the release the fix is available in."})
        case.release, _ = Release.objects.get_or_create(name=release_name)
        data["release"] = case.release.pk
    if Requirement.SCHEDULED_DATE in transition.requires:
        case.scheduled_for = check_scheduled_date(scheduled_for, now)
        data["scheduled_for"] = case.scheduled_for.isoformat()
    post = None
    if Requirement.RESOLUTION_POST in transition.requires and resolution_post is not None:
        if resolution_post.is_internal:
            raise ValidationError(
                {"internal": "The resolution must be a public reply: the district verifies it."}
            )
        post = resolution_post
        data["resolution_post"] = post.pk
    elif Requirement.RESOLUTION_POST in transition.requires:
        body = sanitize_html(resolution)
        if not html_to_text(body):
            raise ValidationError(
                {"body": "Write the resolution for the district before asking them to verify it."}
            )
        post = public_post(case, actor, body, now)
        record_first_response(case, now)
        data["resolution_post"] = post.pk
    return apply_status(case, target, actor, now, **data), post


def check_scheduled_date(day: date | None, now: datetime) -> date:
    """The date of a Scheduled case's planned action: a support business day, today or later. A weekend or a
    support holiday is refused with the next business day offered."""
    if day is None:
        raise ValidationError({"scheduled_for": "Choose the date of the planned action."})
    today = timezone.localdate(now)
    if day < today:
        raise ValidationError({"scheduled_for": "The planned action's date cannot be in the past."})
    if not businesstime.is_business_day(day):
        offer = businesstime.nth_business_day_after(day, 1)
        raise ValidationError(
            {
                "scheduled_for": f"{date_format(day, 'l j F Y')} is not a support business day (a weekend or a "
                f"support holiday). The next business day is {date_format(offer, 'l j F Y')}."
            }
        )
    return day


@transaction.atomic
def case_close(*, actor: User | None, case: Case, now: datetime | None = None) -> Case:
    """Close an open case: an authorized contact of the district, an advisor, or (actor None) the 3x10 job."""
    case = lock_case(case)
    now = resolve_now(now)  # after the lock: the order of events is the order of the locks
    event = close_case(case, actor, now)
    notify_change(case, actor, event=event)
    return case


def close_case(case: Case, actor: User | None, now: datetime) -> CaseEvent:
    """Close a locked open case; no e-mail (the caller sends it). Every close makes the case eligible for a
    satisfaction survey, in the same transaction (the survey job reads that stored state)."""
    kind = actor_kind(actor, case, Capability.CLOSE_REOPEN)
    transition_for(case.status, Status.CLOSED, kind)
    event = apply_status(case, Status.CLOSED, actor, now, by=kind.value)
    surveys.case_closed(case, now)
    return event


@transaction.atomic
def case_reopen(
    *,
    actor: User,
    case: Case,
    details: str,
    client_token: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Case:
    """Re-open a closed case within 60 calendar days of closing, with a post giving the additional details.
    ``client_token`` (the form's): the same form sent twice re-opens once."""
    case = lock_case(case)
    now = resolve_now(now)  # after the lock: the order of events is the order of the locks
    kind = actor_kind(actor, case, Capability.CLOSE_REOPEN)
    if already_posted(case, actor, client_token) is not None:
        return case
    transition_for(case.status, Status.REOPENED, kind)
    if not reopen_allowed(case, now):
        raise WorkflowError(
            f"Case #{case.number} was closed more than 60 days ago and can no longer be re-opened. "
            "Submit a new case referencing it instead."
        )
    body = sanitize_html(details)
    if not html_to_text(body):
        raise ValidationError(
            {"details": "Tell us what is still wrong: re-opening needs the additional details."}
        )
    post = public_post(case, actor, body, now, client_token=client_token)
    if kind == Actor.CONTACT:
        await_support(case, now)
    event = apply_status(case, Status.REOPENED, actor, now, details_post=post.pk)
    notify_change(case, actor, event=event, post=post)
    return case
