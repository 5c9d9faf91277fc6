"""E-mail about a case (SPEC §5): who is told what.

The district's side: the case's recipients hear of every public change (``notify_change``). Support's side:
a contact's post reaches the assigned advisor, or the team's queue when nobody works the case
(``notify_support_of_contact_post``); a new Critical case reaches the on-call address at once
(``notify_oncall_of_critical_case``). Support's mailboxes are settings (``SUPPORT_ONCALL_ADDRESS``,
``SUPPORT_TEAM_QUEUE_ADDRESSES``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse

from cases.models import (
    Attachment,
    Case,
    CaseEvent,
    Post,
)
from cases.workflow import (
    STATUS_MEANINGS,
    Status,
)
from contacts.access import is_advisor
from contacts.models import User
from contacts.selectors import contact_memberships
from outbox.services import enqueue_email
from portal.lib.sanitize import html_to_text


def notify_change(
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
    never pass an internal note.

    A contact's post (a reply, or the details of a re-open) also goes to support
    (``notify_support_of_contact_post``); the assigned advisor it reaches there is not e-mailed again as a
    recipient: one e-mail per person per post, the one with the link to their work page."""
    if post is not None and post.is_internal:
        raise ValueError("Internal notes are never e-mailed.")
    if event is None and post is None:
        return
    told = None
    if post is not None and actor is not None and not is_advisor(actor):
        told = notify_support_of_contact_post(case, actor, post=post, event=event, attachments=attachments)
    recipients = recipients_to_notify(case, exclude=[actor, told])
    if not recipients:
        return
    status_change = _status_change(event)
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


def notify_support_of_contact_post(
    case: Case,
    author: User,
    *,
    post: Post,
    event: CaseEvent | None = None,
    attachments: Sequence[Attachment] = (),
) -> User | None:
    """E-mail support a contact's public post: the assigned advisor while they are still an active advisor,
    otherwise the queue address of the case's team (nobody assigned, or the assignee was deactivated or lost
    the advisor role: the team picks the case up). Returns the advisor e-mailed, if any."""
    assignee = case.assigned_to
    advisor = assignee if assignee is not None and is_advisor(assignee) else None
    context = {
        "case": case,
        "district_name": case.district.name,
        "author_name": _display_name(author),
        "status_change": _status_change(event),
        "reopened": event is not None and event.new == Status.REOPENED,
        "post_text": html_to_text(post.body),
        "attachment_names": [a.name for a in attachments],
        "work_path": reverse("admin:cases_case_change", args=[case.pk]),
        "team": case.get_team_display(),
        "former_assignee": (assignee.get_full_name() or assignee.email) if assignee and not advisor else "",
    }
    if advisor is not None:
        enqueue_email(
            recipient=advisor,
            template="contact_replied",
            context=context,
            key=f"case-{case.pk}-post-{post.pk}-to-advisor-{advisor.pk}",
        )
    else:
        enqueue_email(
            recipient=settings.SUPPORT_TEAM_QUEUE_ADDRESSES[case.team],
            template="contact_replied",
            context=context,
            key=f"case-{case.pk}-post-{post.pk}-to-queue-{case.team}",
        )
    return advisor


def notify_oncall_of_critical_case(case: Case, *, now: datetime, raised: CaseEvent | None = None) -> None:
    """E-mail a new Critical case (an outage) to the on-call address at once, whatever the day or hour:
    on-call's one clock hour runs from submission, nights and weekends included. ``raised``: the priority
    change that made an open case Critical again; each such raise pages on-call once."""
    contact = case.contact
    enqueue_email(
        recipient=settings.SUPPORT_ONCALL_ADDRESS,
        template="critical_case",
        context={
            "case": case,
            "district_name": case.district.name,
            "contact_name": case.contact_label(advisor=True),
            "contact_email": contact.email if contact is not None else "",
            "contact_phone": contact.phone if contact is not None else case.caller_phone,
            "submitted_by": _display_name(case.submitted_by),
            "response": case.first_response(now),
            "work_path": reverse("admin:cases_case_change", args=[case.pk]),
        },
        key=f"case-{case.pk}-critical-to-oncall" + (f"-raised-{raised.pk}" if raised is not None else ""),
    )


def _status_change(event: CaseEvent | None) -> dict[str, Any] | None:
    if event is None:
        return None
    return {
        "old": Status(event.old).label if event.old else "",
        "new": Status(event.new).label,
        "meaning": STATUS_MEANINGS[Status(event.new)],
    }


def _display_name(user: User | None) -> str:
    if user is None:
        return "The Support Case Portal"
    name = user.get_full_name() or user.email
    return f"{name} (Support)" if user.is_staff else name


def recipients_to_notify(case: Case, *, exclude: Iterable[User | None] = ()) -> list[User]:
    """The case's recipients who may read it today: active accounts that are advisors or still active
    contacts of the case's district; none of ``exclude``. The recipients first, then which of them are the
    district's contacts and, only if a staff account is among the others, which are advisors: a few plain
    queries rather than one that asks every advisor of the portal on every change."""
    excluded = [user.pk for user in exclude if user is not None]
    people = list(
        User.objects.filter(case_subscriptions__case=case, is_active=True)
        .exclude(pk__in=excluded)
        .order_by("pk")
    )
    if not people:
        return []
    ids = [person.pk for person in people]
    contacts = set(
        contact_memberships([case.district_id]).filter(user_id__in=ids).values_list("user_id", flat=True)
    )
    staff = [person.pk for person in people if person.is_staff and person.pk not in contacts]
    advisors = (
        set(User.objects.advisors().filter(pk__in=staff).values_list("pk", flat=True)) if staff else set()
    )
    return [person for person in people if person.pk in contacts or person.pk in advisors]
