"""Every write to a case goes through one of these functions (DESIGN §2 rules 2 and 3).

Shape of each: check who is acting, lock the case row, check the change against the workflow table, write,
record a ``CaseEvent`` in the same transaction, and queue side effects (e-mail) so they happen only on
commit. A refused change raises ``WorkflowError`` (a workflow rule), ``ValidationError`` (bad input, keyed by
field) or ``PermissionDenied`` (the role may not act), and writes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cases import search
from cases.casetypes import CASE_TYPES, CaseType, clean_details
from cases.models import Case, CaseEvent, Category, DevIssue, Module, Post, Priority, Recipient, Release
from cases.workflow import WAITING_ON_DISTRICT, Actor, Requirement, Status, WorkflowError, transition_for
from contacts.access import Capability, is_advisor, require_capability
from contacts.models import District, Membership, Role, User
from notifications.outbox import enqueue_email
from portal.lib import businesstime
from portal.lib.sanitize import html_to_text, sanitize_html

SUBJECT_MAX = 255
CRITICAL_ONLY_FOR_OUTAGES = (
    "Critical priority is only for Report an Outage cases (the product is not operational). "
    "Choose High if a time-sensitive task cannot be done."
)


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def _event(
    case: Case, kind: str, actor: User | None, now: datetime, *, old: Any = "", new: Any = "", **data: Any
) -> None:
    CaseEvent.objects.create(
        case=case, kind=kind, actor=actor, old=str(old), new=str(new), data=data, created_at=now
    )


def _lock(case: Case) -> Case:
    """Re-read the case under a row lock; every check after this sees the committed state."""
    return Case.objects.select_for_update(of=("self",)).get(pk=case.pk)


def authorized_contacts(district: District) -> list[User]:
    """Active authorized (not read-only) contacts of the district: who may own a case."""
    return list(
        User.objects.filter(
            is_active=True,
            memberships__district=district,
            memberships__is_active=True,
            memberships__role__in=Role.authorized(),
        ).order_by("last_name", "first_name")
    )


def _is_authorized_contact(user: User, district: District) -> bool:
    return (
        user.is_active
        and Membership.objects.filter(
            user=user, district=district, is_active=True, role__in=Role.authorized()
        ).exists()
    )


# ---------------------------------------------------------------------------------------------------------------
# Submission


@transaction.atomic
def case_submit(
    *,
    submitter: User,
    district: District,
    contact: User,
    case_type: CaseType | str,
    subject: str,
    description: str,
    priority: Priority | int = Priority.MEDIUM,
    module: Module | None = None,
    details: dict[str, Any] | None = None,
    category: Category = Category.PORTAL,
    follows_case: Case | None = None,
    now: datetime | None = None,
) -> Case:
    """Store a new case exactly as submitted, compute its first-response target and confirm it by e-mail."""
    now = _now(now)
    spec = CASE_TYPES[CaseType(case_type)]
    require_capability(submitter, district, Capability.SUBMIT)
    if spec.technical_only and not is_advisor(submitter):
        require_capability(submitter, district, Capability.SUBMIT_SERVER)
    errors: dict[str, str] = {}
    if not district.is_active:
        errors["district"] = "This district can no longer submit cases. Please contact support by phone."
    if not _is_authorized_contact(contact, district):
        errors["contact"] = "Choose an authorized contact of this district."
    priority = Priority(int(priority))
    if spec.outage and priority != Priority.CRITICAL:
        errors["priority"] = "An outage is always Critical."
    elif not spec.outage and priority == Priority.CRITICAL:
        errors["priority"] = CRITICAL_ONLY_FOR_OUTAGES
    if not spec.uses_module and module is not None:
        errors["module"] = f"{spec.label} cases have no module."
    elif spec.module_required and module is None:
        errors["module"] = "Choose a module, or Not Applicable."
    elif module is not None and not module.is_active:
        errors["module"] = "This module is no longer offered; choose another."
    subject, description = subject.strip(), description.strip()
    if not subject:
        errors["subject"] = "Enter a subject."
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = f"Keep the subject under {SUBJECT_MAX} characters."
    if not description:
        errors["description"] = "Describe the issue or request."
    try:
        stored_details = clean_details(spec, details or {}, today=timezone.localdate(now))
    except ValidationError as exc:
        stored_details = {}
        for field_name, messages in exc.message_dict.items():
            errors.setdefault(field_name, messages[0])
    if follows_case is not None and follows_case.district_id != district.pk:
        errors["follows_case"] = "A follow-up case must belong to the same district."
    if errors:
        raise ValidationError(errors)

    permission = stored_details.get("written_permission") is True
    case = Case.objects.create(
        district=district,
        contact=contact,
        submitted_by=submitter,
        case_type=spec.key,
        category=category,
        team=spec.team,
        priority=priority,
        module=module,
        subject=subject,
        description=description,
        details=stored_details,
        follows_case=follows_case,
        written_permission_at=now if permission else None,
        written_permission_by=submitter if permission else None,
        first_response_due_at=businesstime.sla_due(now, priority.business),
        oncall_due_at=businesstime.oncall_due(now) if priority == Priority.CRITICAL else None,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )
    search.index_case(case)
    recipients = [contact] if submitter == contact or submitter.is_staff else [contact, submitter]
    Recipient.objects.bulk_create([Recipient(case=case, user=u, added_by=submitter) for u in recipients])
    _event(
        case, CaseEvent.Kind.CREATED, submitter, now, new=Status.NEW, type=spec.key, priority=priority.label
    )
    for user in recipients:
        enqueue_email(
            recipient=user,
            template="case_submitted",
            context={"case": case, "spec": spec},
            key=f"case-{case.pk}-submitted-{user.pk}",
        )
    return case


# ---------------------------------------------------------------------------------------------------------------
# Workflow


def _require_advisor(actor: User) -> None:
    if not is_advisor(actor):
        raise PermissionDenied("Only a support advisor can do this.")


def _actor_kind(actor: User | None, case: Case, capability: Capability) -> Actor:
    """SYSTEM for the portal's jobs (no actor), ADVISOR for staff, CONTACT for a contact allowed to act."""
    if actor is None:
        return Actor.SYSTEM
    if is_advisor(actor):
        return Actor.ADVISOR
    require_capability(actor, case.district, capability)
    return Actor.CONTACT


def _apply_status(case: Case, target: Status, actor: User | None, now: datetime, **data: Any) -> None:
    old = case.status
    case.status = target
    case.status_changed_at = now
    case.updated_at = now
    case.closed_at = now if target == Status.CLOSED else None
    case.save(
        update_fields=[
            "status",
            "status_changed_at",
            "updated_at",
            "closed_at",
            "assigned_to",
            "dev_issue",
            "release",
        ]
    )
    _event(case, CaseEvent.Kind.STATUS, actor, now, old=old, new=target, **data)


def _public_post(case: Case, author: User | None, body_html: str, now: datetime) -> Post:
    post = Post.objects.create(case=case, author=author, body=body_html, created_at=now)
    search.index_post(post)
    _event(case, CaseEvent.Kind.POSTED, author, now, new=post.pk, internal=False)
    return post


@transaction.atomic
def case_assign(*, actor: User, case: Case, assignee: User, now: datetime | None = None) -> Case:
    """Give the case to an advisor. A New or Re-Opened case becomes Assigned; an open case changes owner."""
    now = _now(now)
    _require_advisor(actor)
    if not is_advisor(assignee):
        raise ValidationError({"assigned_to": "Cases can only be assigned to an active advisor."})
    case = _lock(case)
    if case.status == Status.CLOSED:
        raise WorkflowError("A closed case cannot be assigned; re-open it first.")
    previous = case.assigned_to
    case.assigned_to = assignee
    if previous != assignee:
        _event(case, CaseEvent.Kind.ASSIGNED, actor, now, old=previous or "", new=assignee)
    if case.status in (Status.NEW, Status.REOPENED):
        transition_for(case.status, Status.ASSIGNED, Actor.ADVISOR)
        _apply_status(case, Status.ASSIGNED, actor, now)
    else:
        case.updated_at = now
        case.save(update_fields=["assigned_to", "updated_at"])
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
    now: datetime | None = None,
) -> Case:
    """An advisor moves an open case to another status, with what that status requires (SPEC §3.2):
    a written resolution for Pending Customer Verification, a development issue for Assigned to Development,
    a release name for Available in Release. Closing and re-opening have their own functions."""
    now = _now(now)
    _require_advisor(actor)
    target = Status(status)
    if target == Status.CLOSED:
        return case_close(actor=actor, case=case, now=now)
    case = _lock(case)
    transition = transition_for(case.status, target, Actor.ADVISOR)
    data: dict[str, Any] = {}
    if Requirement.ASSIGNEE in transition.requires and case.assigned_to is None:
        raise WorkflowError("Assign the case to an advisor first.")
    if Requirement.DEV_ISSUE in transition.requires:
        dev_issue = dev_issue or case.dev_issue
        if dev_issue is None:
            raise WorkflowError("Link a development issue to move the case to Assigned to Development.")
        if case.dev_issue != dev_issue:
            case.dev_issue = dev_issue
            _event(case, CaseEvent.Kind.DEV_ISSUE, actor, now, new=dev_issue.number)
    if Requirement.RELEASE in transition.requires:
        release_name = release_name.strip()
        if not release_name:
            raise WorkflowError("Name the release the fix is available in.")
        case.release, _ = Release.objects.get_or_create(name=release_name)
        data["release"] = release_name
    if Requirement.RESOLUTION_POST in transition.requires:
        body = sanitize_html(resolution)
        if not html_to_text(body):
            raise WorkflowError("Write the resolution for the district before asking them to verify it.")
        post = _public_post(case, actor, body, now)
        _record_first_response(case, now)
        data["resolution_post"] = post.pk
    _apply_status(case, target, actor, now, **data)
    return case


@transaction.atomic
def case_close(*, actor: User | None, case: Case, now: datetime | None = None) -> Case:
    """Close an open case: an authorized contact of the district, an advisor, or (actor None) the 3x10 job."""
    now = _now(now)
    case = _lock(case)
    kind = _actor_kind(actor, case, Capability.CLOSE_REOPEN)
    transition_for(case.status, Status.CLOSED, kind)
    _apply_status(case, Status.CLOSED, actor, now, by=kind.value)
    return case


def reopen_allowed(case: Case, now: datetime | None = None) -> bool:
    """Whether the case can still be re-opened: the button and the service ask this same function."""
    return (
        case.status == Status.CLOSED
        and case.closed_at is not None
        and businesstime.reopen_allowed(case.closed_at, _now(now))
    )


@transaction.atomic
def case_reopen(*, actor: User, case: Case, details: str, now: datetime | None = None) -> Case:
    """Re-open a closed case within 60 calendar days of closing, with a post giving the additional details."""
    now = _now(now)
    case = _lock(case)
    kind = _actor_kind(actor, case, Capability.CLOSE_REOPEN)
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
    post = _public_post(case, actor, body, now)
    _apply_status(case, Status.REOPENED, actor, now, details_post=post.pk)
    return case


# ---------------------------------------------------------------------------------------------------------------
# Posts


def _record_first_response(case: Case, now: datetime) -> None:
    """First response = the first public advisor post (SPEC §7); whether it met the target is stored."""
    if case.first_response_at is None:
        case.first_response_at = now
        case.first_response_met = now <= case.first_response_due_at
        case.save(update_fields=["first_response_at", "first_response_met"])


@transaction.atomic
def post_create(
    *, author: User, case: Case, body: str, internal: bool = False, now: datetime | None = None
) -> Post:
    """Add a post. A contact's post on a case waiting on the district hands it back to the advisor
    (→ Assigned); an advisor's first public post is the case's first response."""
    now = _now(now)
    case = _lock(case)
    advisor = is_advisor(author)
    if not advisor:
        require_capability(author, case.district, Capability.POST)
        if internal:
            raise PermissionDenied("Only advisors can write internal notes.")
        if case.status == Status.CLOSED:
            raise WorkflowError("This case is closed. Re-open it to continue the conversation.")
    cleaned = sanitize_html(body)
    if not html_to_text(cleaned) and "<img" not in cleaned:
        raise ValidationError({"body": "Write a message before posting."})
    post = Post.objects.create(case=case, author=author, body=cleaned, is_internal=internal, created_at=now)
    search.index_post(post)
    _event(case, CaseEvent.Kind.POSTED, author, now, new=post.pk, internal=internal)
    if advisor and not internal:
        _record_first_response(case, now)
    if not advisor and case.status in WAITING_ON_DISTRICT:
        transition_for(case.status, Status.ASSIGNED, Actor.CONTACT)
        _apply_status(case, Status.ASSIGNED, author, now, reason="contact replied")
    else:
        case.updated_at = now
        case.save(update_fields=["updated_at"])
    return post
