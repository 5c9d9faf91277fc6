"""E-mail about a case (SPEC §5): who is told what."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q

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
            Q(pk__in=User.objects.advisors().values("pk"))
            | Q(id__in=contact_memberships([case.district_id]).values("user_id"))
        )
        .order_by("pk")
    )
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return list(users)
