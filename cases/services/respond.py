"""The advisor's composer (the work page): a reply or an internal note, and with it a new status."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from cases.models import Case, DevIssue, Post
from cases.services.common import lock_case, require_advisor, resolve_now
from cases.services.notify import notify_change
from cases.services.posts import post_create
from cases.services.workflow import case_reopen, case_set_status, close_case, move_case
from cases.workflow import Status
from contacts.models import User
from portal.lib.sanitize import html_to_text, sanitize_html


@transaction.atomic
def case_respond(
    *,
    actor: User,
    case: Case,
    body: str,
    internal: bool = False,
    attachments: Sequence[Any] = (),
    status: Status | str = "",
    dev_issue: DevIssue | None = None,
    release_name: str = "",
    scheduled_for: date | None = None,
    client_token: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Post | None:
    """One action of the composer: a public reply or an internal note (``body``, files), a new ``status`` with
    what it requires, or both. Written together or not at all, and e-mailed to the case's recipients once
    (never an internal note). Pending Customer Verification takes the reply as the resolution; a closed case
    is re-opened with the reply as the additional details. Returns the post, if one was written."""
    require_advisor(actor)
    target = Status(status) if status else None
    written = bool(html_to_text(sanitize_html(body))) or "<img" in body or bool(attachments)
    if internal and target in (Status.PENDING_CUSTOMER_VERIFICATION, Status.REOPENED):
        raise ValidationError(
            {"internal": f"Send it as a public reply: the district reads it for {target.label}."}
        )
    if target is None:
        return post_create(
            author=actor,
            case=case,
            body=body,
            internal=internal,
            attachments=attachments,
            client_token=client_token,
            now=now,
        )
    if target == Status.REOPENED:
        case_reopen(actor=actor, case=case, details=body, client_token=client_token, now=now)
        return None
    if not written:
        case_set_status(
            actor=actor,
            case=case,
            status=target,
            dev_issue=dev_issue,
            release_name=release_name,
            scheduled_for=scheduled_for,
            now=now,
        )
        return None
    case = lock_case(case)
    now = resolve_now(now)  # after the lock: the order of events is the order of the locks
    post = post_create(
        author=actor,
        case=case,
        body=body,
        internal=internal,
        attachments=attachments,
        client_token=client_token,
        now=now,
        notify=False,
    )
    case = lock_case(case)  # as the post left it
    if target == Status.CLOSED:
        event = close_case(case, actor, now)
    else:
        event, _ = move_case(
            case,
            actor,
            target,
            now,
            dev_issue=dev_issue,
            release_name=release_name,
            scheduled_for=scheduled_for,
            resolution_post=post,
        )
    notify_change(case, actor, event=event, post=None if post.is_internal else post)
    return post
