"""Every write to a case goes through one of these functions (DESIGN §2 rules 2 and 3).

Shape of each: check who is acting, lock the case row, check the change against the workflow table, write,
record a ``CaseEvent`` in the same transaction, and queue side effects (e-mail) so they happen only on
commit. A refused change raises ``WorkflowError`` (a workflow rule), ``ValidationError`` (bad input, keyed by
field) or ``PermissionDenied`` (the role may not act), and writes nothing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from cases import attachments as attachment_files
from cases import search
from cases.casetypes import CASE_TYPES, CaseType, Team, clean_details
from cases.models import (
    Attachment,
    Case,
    CaseEvent,
    Category,
    DevIssue,
    Disruption,
    ImpactAssessment,
    Module,
    Post,
    Priority,
    Recipient,
    Release,
)
from cases.workflow import (
    STATUS_MEANINGS,
    WAITING_ON_DISTRICT,
    Actor,
    Requirement,
    Status,
    WorkflowError,
    transition_for,
)
from contacts.access import Capability, has_capability, is_advisor, require_capability
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
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, kind=kind, actor=actor, old=str(old), new=str(new), data=data, created_at=now
    )


def _modified(case: Case, now: datetime, *, public: bool = True) -> list[str]:
    """Move Last Modified; returns the fields to save. Every change moves it for advisors (``updated_at``);
    every change a contact can see, that is all but an internal note, also moves the district's
    (``public_updated_at``), so a note never reorders or re-dates the contacts' list."""
    case.updated_at = now
    if not public:
        return ["updated_at"]
    case.public_updated_at = now
    return ["updated_at", "public_updated_at"]


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


def _case_with_token(client_token: uuid.UUID | None) -> Case | None:
    return None if client_token is None else Case.objects.filter(client_token=client_token).first()


def submitted_with_token(submitter: User, client_token: uuid.UUID | None) -> Case | None:
    """The case this person already submitted from the form load with this token, if any."""
    case = _case_with_token(client_token)
    return case if case is not None and case.submitted_by_id == submitter.pk else None


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
    client_token: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Case:
    """Store a new case exactly as submitted, compute its first-response target and confirm it by e-mail.

    ``client_token`` comes from the submission form (new on every form load): a form sent again, by a second
    click or by Back and Submit, returns the case it created the first time and stores nothing.
    """
    now = _now(now)
    spec = CASE_TYPES[CaseType(case_type)]
    require_capability(submitter, district, Capability.SUBMIT)
    if spec.technical_only and not is_advisor(submitter):
        require_capability(submitter, district, Capability.SUBMIT_SERVER)
    earlier = _case_with_token(client_token)
    if earlier is not None:
        if earlier.submitted_by_id == submitter.pk:
            return earlier
        client_token = None  # another person's token, so not a form this person loaded: no protection to give
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
    values = {
        "district": district,
        "contact": contact,
        "submitted_by": submitter,
        "case_type": spec.key,
        "category": category,
        "team": spec.team,
        "priority": priority,
        "module": module,
        "subject": subject,
        "description": description,
        "details": stored_details,
        "follows_case": follows_case,
        "written_permission_at": now if permission else None,
        "written_permission_by": submitter if permission else None,
        "first_response_due_at": businesstime.sla_due(now, priority.business),
        "oncall_due_at": businesstime.oncall_due(now) if priority == Priority.CRITICAL else None,
        "created_at": now,
        "updated_at": now,
        "public_updated_at": now,
        "status_changed_at": now,
        "client_token": client_token,
    }
    if client_token is None:
        case = Case.objects.create(**values)
    else:
        try:
            with transaction.atomic():
                case = Case.objects.create(**values)
        except IntegrityError:
            # The same form sent twice at the same moment: the other request stored the case first.
            earlier = submitted_with_token(submitter, client_token)
            if earlier is None:
                raise
            return earlier
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


def _apply_status(case: Case, target: Status, actor: User | None, now: datetime, **data: Any) -> CaseEvent:
    old = case.status
    case.status = target
    case.status_changed_at = now
    case.closed_at = now if target == Status.CLOSED else None
    case.save(
        update_fields=[
            "status",
            "status_changed_at",
            *_modified(case, now),
            "closed_at",
            "assigned_to",
            "dev_issue",
            "release",
        ]
    )
    return _event(case, CaseEvent.Kind.STATUS, actor, now, old=old, new=target, **data)


def _public_post(
    case: Case, author: User | None, body_html: str, now: datetime, *, client_token: uuid.UUID | None = None
) -> Post:
    # Images may only show this case's image attachments (these posts have no files of their own).
    body_html = _resolve_images(body_html, case, [], internal=False)
    post = Post.objects.create(
        case=case, author=author, body=body_html, created_at=now, client_token=client_token
    )
    search.index_post(post)
    _event(case, CaseEvent.Kind.POSTED, author, now, new=post.pk, internal=False)
    return post


@transaction.atomic
def case_assign(
    *, actor: User, case: Case, assignee: User, take: bool = False, now: datetime | None = None
) -> Case:
    """Give the case to an advisor. A New or Re-Opened case becomes Assigned; an open case changes owner.

    ``take``: the advisor takes a case from the queue; refused when someone else took it a moment earlier
    (the case is no longer New or Re-Opened), so the loser of that race is told instead of overriding."""
    _require_advisor(actor)
    if not is_advisor(assignee):
        raise ValidationError({"assigned_to": "Cases can only be assigned to an active advisor."})
    case = _lock(case)
    now = _now(now)  # after the lock: the order of events is the order of the locks
    if case.status == Status.CLOSED:
        raise WorkflowError("A closed case cannot be assigned; re-open it first.")
    if take and case.status not in (Status.NEW, Status.REOPENED):
        owner = case.assigned_to.get_full_name() if case.assigned_to else "another advisor"
        raise WorkflowError(f"Case #{case.number} was already taken by {owner}.")
    previous = case.assigned_to
    case.assigned_to = assignee
    if previous != assignee:
        _event(case, CaseEvent.Kind.ASSIGNED, actor, now, old=previous or "", new=assignee)
    if case.status in (Status.NEW, Status.REOPENED):
        transition_for(case.status, Status.ASSIGNED, Actor.ADVISOR)
        event = _apply_status(case, Status.ASSIGNED, actor, now)
        _notify(case, actor, event=event)
    else:
        case.save(update_fields=["assigned_to", *_modified(case, now)])
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
    _require_advisor(actor)
    target = Status(status)
    if target == Status.CLOSED:
        return case_close(actor=actor, case=case, now=now)
    if target == Status.REOPENED:
        # The 60-day window and the additional details are checked there, not skipped here.
        return case_reopen(actor=actor, case=case, details=resolution, now=now)
    case = _lock(case)
    now = _now(now)  # after the lock: the order of events is the order of the locks
    transition = transition_for(case.status, target, Actor.ADVISOR)
    unhandled = transition.requires - {
        Requirement.ASSIGNEE,
        Requirement.DEV_ISSUE,
        Requirement.RELEASE,
        Requirement.RESOLUTION_POST,
    }
    if unhandled:
        raise WorkflowError(f"This change needs {', '.join(sorted(unhandled))}.")
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
    post = None
    if Requirement.RESOLUTION_POST in transition.requires:
        body = sanitize_html(resolution)
        if not html_to_text(body):
            raise WorkflowError("Write the resolution for the district before asking them to verify it.")
        post = _public_post(case, actor, body, now)
        _record_first_response(case, now)
        data["resolution_post"] = post.pk
    event = _apply_status(case, target, actor, now, **data)
    _notify(case, actor, event=event, post=post)
    return case


@transaction.atomic
def case_close(*, actor: User | None, case: Case, now: datetime | None = None) -> Case:
    """Close an open case: an authorized contact of the district, an advisor, or (actor None) the 3x10 job."""
    case = _lock(case)
    now = _now(now)  # after the lock: the order of events is the order of the locks
    kind = _actor_kind(actor, case, Capability.CLOSE_REOPEN)
    transition_for(case.status, Status.CLOSED, kind)
    event = _apply_status(case, Status.CLOSED, actor, now, by=kind.value)
    _notify(case, actor, event=event)
    return case


def reopen_allowed(case: Case, now: datetime | None = None) -> bool:
    """Whether the case can still be re-opened: the button and the service ask this same function."""
    return (
        case.status == Status.CLOSED
        and case.closed_at is not None
        and businesstime.reopen_allowed(case.closed_at, _now(now))
    )


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
    case = _lock(case)
    now = _now(now)  # after the lock: the order of events is the order of the locks
    kind = _actor_kind(actor, case, Capability.CLOSE_REOPEN)
    if _already_posted(case, actor, client_token) is not None:
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
    post = _public_post(case, actor, body, now, client_token=client_token)
    event = _apply_status(case, Status.REOPENED, actor, now, details_post=post.pk)
    _notify(case, actor, event=event, post=post)
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
    *,
    author: User,
    case: Case,
    body: str,
    internal: bool = False,
    attachments: Sequence[Any] = (),
    pasted: Sequence[Any] = (),
    client_token: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Post:
    """Add a post with its attachments, in one transaction.

    A contact's post on a case waiting on the district hands it back to the advisor (→ Assigned), which also
    ends any follow-up sequence (it runs only in Pending Customer Verification); an advisor's first public
    post is the case's first response. Every public post is e-mailed to the case's recipients (not to its
    author); an internal note to nobody.

    ``attachments`` are uploaded files; ``pasted`` are images pasted into the text, which refers to the i-th
    of them as ``<img src="/attachments/new/i">`` (replaced here by its download URL). Images may otherwise
    only show attachments of this case. ``client_token`` is the form's token: the same form sent twice (two
    clicks) stores one post, and the second call returns the first post. Files are checked before anything
    is written and stored last, so a refused post leaves nothing behind, in the database or on disk.
    """
    case = _lock(case)
    now = _now(now)  # after the lock: the order of events is the order of the locks
    advisor = is_advisor(author)
    if not advisor:
        require_capability(author, case.district, Capability.POST)
        if internal:
            raise PermissionDenied("Only advisors can write internal notes.")
    existing = _already_posted(case, author, client_token)
    if existing is not None:
        return existing
    if not advisor and case.status == Status.CLOSED:
        raise WorkflowError("This case is closed. Re-open it to continue the conversation.")

    errors: dict[str, list[str]] = {}
    try:
        checked = attachment_files.check_files(attachments, pasted)
    except ValidationError as exc:
        checked = []
        errors["attachments"] = exc.messages
    new_attachments = [
        Attachment(
            case=case,
            uploaded_by=author,
            name=item.name,
            size=item.size,
            content_type=item.kind.content_type,
            inline=item.inline,
            created_at=now,
        )
        for item in checked
    ]
    pasted_attachments = [a for a in new_attachments if a.inline]
    cleaned = _resolve_images(sanitize_html(body), case, pasted_attachments, internal=internal)
    if not html_to_text(cleaned) and "<img" not in cleaned and not new_attachments and not errors:
        errors["body"] = ["Write a message before posting."]
    if errors:
        raise ValidationError(errors)

    post = Post.objects.create(
        case=case,
        author=author,
        body=cleaned,
        is_internal=internal,
        created_at=now,
        client_token=client_token,
    )
    search.index_post(post)
    _event(
        case,
        CaseEvent.Kind.POSTED,
        author,
        now,
        new=post.pk,
        internal=internal,
        attachments=[a.name for a in new_attachments],
    )
    if advisor and not internal:
        _record_first_response(case, now)
    status_event = None
    if not advisor and case.status in WAITING_ON_DISTRICT:
        transition_for(case.status, Status.ASSIGNED, Actor.CONTACT)
        status_event = _apply_status(case, Status.ASSIGNED, author, now, reason="contact replied")
    else:
        case.save(update_fields=_modified(case, now, public=not internal))
    if not internal:
        _notify(case, author, event=status_event, post=post, attachments=new_attachments)
    _store_attachments(post, new_attachments, checked)
    return post


def _already_posted(case: Case, author: User, client_token: uuid.UUID | None) -> Post | None:
    """The post already made from this form (same token), if any. Called under the case's row lock, so of two
    simultaneous submissions the second waits for the first and then finds its post."""
    if client_token is None:
        return None
    post = Post.objects.filter(client_token=client_token).first()
    if post is not None and (post.case_id != case.pk or post.author_id != author.pk):
        raise ValidationError(
            {"body": "This form was already used. Reload the page and write your post again."}
        )
    return post


_IMG = re.compile(r"<img\b[^>]*>")
_SRC = re.compile(r'\ssrc="([^"]*)"')
_PENDING_SRC = re.compile(r"^/attachments/new/(\d{1,3})$")
_ATTACHMENT_SRC = re.compile(r"^/attachments/([0-9a-f-]{36})/")


def _resolve_images(html: str, case: Case, pasted: list[Attachment], *, internal: bool) -> str:
    """Point pasted images at their attachments and drop every image that is not an image attachment of this
    case that the post's readers may see. ``html`` is sanitized already (nh3 serializes tags predictably)."""
    if "<img" not in html:
        return html
    keys = {m.group(1) for tag in _IMG.findall(html) if (m := _ATTACHMENT_SRC.match(_src(tag)))}
    known: dict[str, str] = {}
    if keys:
        images = Attachment.objects.filter(case=case, key__in=keys, content_type__startswith="image/")
        if not internal:
            images = images.filter(post__is_internal=False)
        known = {str(image.key): image.url for image in images.select_related(None)}

    def replace(match: re.Match[str]) -> str:
        tag = match.group(0)
        src = _src(tag)
        if pending := _PENDING_SRC.match(src):
            index = int(pending.group(1))
            if index >= len(pasted):
                return ""
            return tag.replace(f'src="{src}"', f'src="{pasted[index].url}"', 1)
        if (found := _ATTACHMENT_SRC.match(src)) and found.group(1) in known:
            # Rebuilt from the attachment row: whatever followed the key in the typed URL is dropped.
            return tag.replace(f'src="{src}"', f'src="{known[found.group(1)]}"', 1)
        return ""

    return _IMG.sub(replace, html)


def _src(tag: str) -> str:
    found = _SRC.search(tag)
    return found.group(1) if found else ""


def _store_attachments(post: Post, attachments: list[Attachment], checked: list[Any]) -> None:
    """Write the checked files under random names in the private storage and their rows. The last step of the
    transaction: if a file cannot be written, the ones already written are deleted and the error rolls the
    whole post back."""
    written: list[str] = []
    try:
        for attachment, item in zip(attachments, checked, strict=True):
            attachment.post = post
            item.file.seek(0)
            attachment.file.save(item.name, item.file, save=False)
            written.append(str(attachment.file.name))
            attachment.full_clean(exclude=["case", "post", "uploaded_by"])
        Attachment.objects.bulk_create(attachments)
    except BaseException:
        storage = attachment_files.private_storage()
        for name in written:
            storage.delete(name)
        raise


# ---------------------------------------------------------------------------------------------------------------
# Notifications (SPEC §5)


def _notify(
    case: Case,
    actor: User | None,
    *,
    event: CaseEvent | None = None,
    post: Post | None = None,
    attachments: Sequence[Attachment] = (),
    escalated_to: str = "",
) -> None:
    """E-mail the case's recipients about one public change: a status change (``event``), a public post, or
    both (a post that changed the status sends one e-mail), or an escalation note. Never the actor, never a
    deactivated account, never someone who lost access to the district; never internal content: callers
    never pass an internal note."""
    if post is not None and post.is_internal:
        raise ValueError("Internal notes are never e-mailed.")
    if event is None and post is None:
        return
    recipients = recipients_to_notify(case, exclude=actor)
    if not recipients:
        return
    status_change = None
    if event is not None:
        status_change = {
            "old": Status(event.old).label if event.old else "",
            "new": Status(event.new).label,
            "meaning": STATUS_MEANINGS[Status(event.new)],
        }
    ref = f"post-{post.pk}" if post is not None else f"event-{event.pk}"  # type: ignore[union-attr]
    context = {
        "case": case,
        "actor_name": _display_name(actor),
        "status_change": status_change,
        "post_text": html_to_text(post.body) if post is not None else "",
        "attachment_names": [a.name for a in attachments],
        "escalated_to": escalated_to,
    }
    for user in recipients:
        enqueue_email(
            recipient=user, template="case_update", context=context, key=f"case-{case.pk}-{ref}-to-{user.pk}"
        )


def _display_name(user: User | None) -> str:
    if user is None:
        return "The Support Case Portal"
    name = user.get_full_name() or user.email
    return f"{name} (Support)" if user.is_staff else name


def recipients_to_notify(case: Case, *, exclude: User | None = None) -> list[User]:
    """The case's recipients who may read it today: active accounts that are advisors or still active
    contacts of the case's district."""
    users = (
        User.objects.filter(case_subscriptions__case=case, is_active=True)
        .filter(
            Q(is_staff=True)
            | Q(
                id__in=Membership.objects.filter(district_id=case.district_id, is_active=True).values(
                    "user_id"
                )
            )
        )
        .order_by("pk")
    )
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return list(users)


# ---------------------------------------------------------------------------------------------------------------
# Notification recipients (SPEC §5)


def eligible_recipients(case: Case) -> list[User]:
    """Who an authorized contact may add: the district's active authorized contacts (read-only contacts and
    non-contacts are not offered)."""
    return authorized_contacts(case.district)


def _check_recipient_change(actor: User, case: Case, users: Sequence[User]) -> None:
    """Authorized contacts and advisors change anyone eligible; read-only contacts only themselves."""
    if is_advisor(actor):
        return
    if has_capability(actor, case.district, Capability.MANAGE_RECIPIENTS):
        return
    require_capability(actor, case.district, Capability.MANAGE_OWN_NOTIFICATIONS)
    if any(user.pk != actor.pk for user in users):
        raise PermissionDenied("Read-only contacts can only add or remove themselves.")


@transaction.atomic
def recipients_add(
    *, actor: User, case: Case, users: Sequence[User], now: datetime | None = None
) -> list[Recipient]:
    """Add people to the case's notification recipients; each addition is an event. Someone already on the
    list is skipped. Authorized contacts add authorized contacts of the district (themselves included);
    a read-only contact adds only themselves."""
    case = _lock(case)
    now = _now(now)  # after the lock: the order of events is the order of the locks
    _check_recipient_change(actor, case, users)
    if not users:
        raise ValidationError({"users": "Choose at least one contact to add."})
    eligible = {u.pk for u in eligible_recipients(case)}
    for user in users:
        if user.pk == actor.pk and not is_advisor(actor) and user.is_active:
            continue  # a contact of the district (checked above) may always follow the case themselves
        if user.pk not in eligible:
            raise ValidationError(
                {"users": f"{user.get_full_name()} is not an authorized contact of {case.district.name}."}
            )
    present = set(Recipient.objects.filter(case=case).values_list("user_id", flat=True))
    added = [Recipient(case=case, user=u, added_by=actor) for u in users if u.pk not in present]
    Recipient.objects.bulk_create(added)
    for recipient in added:
        _event(
            case,
            CaseEvent.Kind.RECIPIENT_ADDED,
            actor,
            now,
            new=recipient.user.get_full_name(),
            user=recipient.user.pk,
        )
    return added


@transaction.atomic
def recipients_remove(*, actor: User, case: Case, users: Sequence[User], now: datetime | None = None) -> int:
    """Remove people from the case's notification recipients; each removal is an event. The case's contact
    (its owner) is always a recipient and cannot be removed. A read-only contact removes only themselves."""
    case = _lock(case)
    now = _now(now)  # after the lock: the order of events is the order of the locks
    _check_recipient_change(actor, case, users)
    if not users:
        raise ValidationError({"users": "Choose at least one recipient to remove."})
    if any(user.pk == case.contact_id for user in users):
        raise ValidationError(
            {"users": f"{case.contact.get_full_name()} owns the case and always receives its notifications."}
        )
    removed = 0
    for user in users:
        deleted, _ = Recipient.objects.filter(case=case, user=user).delete()
        if deleted:
            removed += 1
            _event(case, CaseEvent.Kind.RECIPIENT_REMOVED, actor, now, old=user.get_full_name(), user=user.pk)
    return removed


# ---------------------------------------------------------------------------------------------------------------
# Written permission (SPEC §3.6)


_PERMISSION_FIELDS = [
    "written_permission_at",
    "written_permission_by",
    "written_permission_withdrawn_at",
    "written_permission_withdrawn_by",
]


@transaction.atomic
def permission_grant(*, actor: User, case: Case, now: datetime | None = None) -> Case:
    """An authorized contact grants support written permission to test on or change the district's site, in
    one click; recorded with who and when (an advisor records a permission given to them)."""
    case = _lock(case)
    now = _now(now)  # after the lock: the order of events is the order of the locks
    if not is_advisor(actor):
        require_capability(actor, case.district, Capability.GRANT_PERMISSION)
    if case.status == Status.CLOSED:
        raise WorkflowError("This case is closed; re-open it before granting permission.")
    if case.written_permission_at is not None:
        return case
    case.written_permission_at, case.written_permission_by = now, actor
    case.written_permission_withdrawn_at, case.written_permission_withdrawn_by = None, None
    case.save(update_fields=[*_PERMISSION_FIELDS, *_modified(case, now)])
    _event(case, CaseEvent.Kind.PERMISSION, actor, now, new="granted")
    return case


@transaction.atomic
def permission_withdraw(*, actor: User, case: Case, now: datetime | None = None) -> Case:
    """Withdraw a written permission; recorded with who and when, and as an event."""
    case = _lock(case)
    now = _now(now)  # after the lock: the order of events is the order of the locks
    if not is_advisor(actor):
        require_capability(actor, case.district, Capability.GRANT_PERMISSION)
    if case.written_permission_at is None:
        return case
    case.written_permission_at, case.written_permission_by = None, None
    case.written_permission_withdrawn_at, case.written_permission_withdrawn_by = now, actor
    case.save(update_fields=[*_PERMISSION_FIELDS, *_modified(case, now)])
    _event(case, CaseEvent.Kind.PERMISSION_WITHDRAWN, actor, now, old="granted", new="withdrawn")
    return case


# ---------------------------------------------------------------------------------------------------------------
# Qualification by support (SPEC §3.3, §3.5)


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
    _require_advisor(actor)
    case = _lock(case)
    now = _now(now)  # after the lock: the order of events is the order of the locks
    values = {
        "disruption": Disruption(disruption),
        "cannot_perform_daily_functions": cannot_perform_daily_functions,
        "workaround_exists": workaround_exists,
        "multiple_districts": multiple_districts,
        "multiple_users": multiple_users,
        "assessed_by": actor,
        "assessed_at": now,
    }
    assessment, _ = ImpactAssessment.objects.update_or_create(case=case, defaults=values)
    case.save(update_fields=_modified(case, now))
    _event(case, CaseEvent.Kind.IMPACT, actor, now, new=assessment.get_disruption_display())
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
    _require_advisor(actor)
    team = Team(team)
    if team not in ESCALATION_TEAMS:
        raise ValidationError({"team": f"Cases are not escalated to {team.label}."})
    case = _lock(case)
    now = _now(now)  # after the lock: the order of events is the order of the locks
    if case.status == Status.CLOSED:
        raise WorkflowError("A closed case cannot be escalated; re-open it first.")
    body = sanitize_html(note)
    if not html_to_text(body):
        raise ValidationError({"note": "Tell the district why the case is escalated and what happens next."})
    previous = case.team
    post = _public_post(case, actor, body, now)
    _record_first_response(case, now)
    case.team = team
    case.save(update_fields=["team", *_modified(case, now)])
    _event(case, CaseEvent.Kind.ESCALATED, actor, now, old=previous, new=team, note_post=post.pk)
    _notify(case, actor, post=post, escalated_to=team.label)
    return post
