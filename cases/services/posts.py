"""Posts on a case, their attachments and the images they show (SPEC §4)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from cases import attachments as attachment_files
from cases import search
from cases.models import (
    Attachment,
    Case,
    CaseEvent,
    Post,
)
from cases.services import slawatch
from cases.services.common import (
    apply_status,
    business_seconds,
    lock_case,
    modified,
    record_event,
    resolve_now,
)
from cases.services.notify import notify_change
from cases.workflow import (
    WAITING_ON_DISTRICT,
    Actor,
    Status,
    WorkflowError,
    transition_for,
)
from contacts.access import Capability, is_advisor, require_capability
from contacts.models import User
from portal.lib.sanitize import html_to_text, image_sources, replace_images, sanitize_html


def public_post(
    case: Case, author: User | None, body_html: str, now: datetime, *, client_token: uuid.UUID | None = None
) -> Post:
    # Images may only show this case's image attachments (these posts have no files of their own).
    body_html = _resolve_images(body_html, case, [], internal=False)
    post = Post.objects.create(
        case=case, author=author, body=body_html, created_at=now, client_token=client_token
    )
    search.index_post(post)
    record_event(case, CaseEvent.Kind.POST_ADDED, author, now, new=post.pk, internal=False)
    return post


def record_first_response(case: Case, now: datetime) -> None:
    """First response = the first public advisor post (SPEC §7); whether it met the target and how much business
    time it took are stored. Every public advisor post answers the district: the case no longer needs a reply."""
    if case.awaiting_support_since is not None:
        case.awaiting_support_since = None
        case.save(update_fields=["awaiting_support_since"])
    if case.first_response_at is None:
        case.first_response_at = now
        case.first_response_met = now <= case.first_response_due_at
        case.first_response_business_seconds = business_seconds(case.created_at, now)
        case.save(
            update_fields=[
                "first_response_at",
                "first_response_met",
                "first_response_business_seconds",
                *slawatch.record_answer(case, now),
            ]
        )


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
    notify: bool = True,
) -> Post:
    """Add a post with its attachments, in one transaction.

    A contact's post on a case waiting on the district hands it back to the advisor (→ Assigned), which also
    ends any follow-up sequence (it runs only in Pending Customer Verification); an advisor's first public
    post is the case's first response. Every public post is e-mailed to the case's recipients (not to its
    author), a contact's also to support (the assigned advisor, or the team's queue); an internal note to
    nobody.

    ``attachments`` are uploaded files; ``pasted`` are images pasted into the text, which refers to the i-th
    of them as ``<img src="/attachments/new/i">`` (replaced here by its download URL). Images may otherwise
    only show attachments of this case. ``client_token`` is the form's token: the same form sent twice (two
    clicks) stores one post, and the second call returns the first post. Files are checked before anything
    is written and stored last, so a refused post leaves nothing behind, in the database or on disk.
    ``notify=False``: the caller e-mails the post together with the rest of its change (``case_respond``).
    """
    case = lock_case(case)
    now = resolve_now(now)  # after the lock: the order of events is the order of the locks
    advisor = is_advisor(author)
    if not advisor:
        require_capability(author, case.district, Capability.POST)
        if internal:
            raise PermissionDenied("Only advisors can write internal notes.")
    existing = already_posted(case, author, client_token)
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
    record_event(
        case,
        CaseEvent.Kind.POST_ADDED,
        author,
        now,
        new=post.pk,
        internal=internal,
        attachments=[a.name for a in new_attachments],
    )
    if advisor and not internal:
        record_first_response(case, now)
    status_event = None
    if not advisor:
        await_support(case, now)
    if not advisor and case.status in WAITING_ON_DISTRICT:
        transition_for(case.status, Status.ASSIGNED, Actor.CONTACT)
        status_event = apply_status(case, Status.ASSIGNED, author, now, reason="contact_replied")
    else:
        case.save(update_fields=modified(case, now, public=not internal))
    if notify and not internal:
        notify_change(case, author, event=status_event, post=post, attachments=new_attachments)
    for attachment in new_attachments:
        attachment.post = post
    attachment_files.store_files(
        new_attachments, checked, save_rows=lambda: Attachment.objects.bulk_create(new_attachments)
    )
    return post


def await_support(case: Case, now: datetime) -> None:
    """A contact posted: the case needs a reply from support, waiting since the first unanswered post."""
    if case.awaiting_support_since is None:
        case.awaiting_support_since = now
        case.save(update_fields=["awaiting_support_since"])


def already_posted(case: Case, author: User, client_token: uuid.UUID | None) -> Post | None:
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


_PENDING_SRC = re.compile(r"^/attachments/new/(\d{1,3})$")
_ATTACHMENT_SRC = re.compile(r"^/attachments/([0-9a-f-]{36})/")


def _resolve_images(html: str, case: Case, pasted: list[Attachment], *, internal: bool) -> str:
    """Point pasted images at their attachments and drop every image that is not an image attachment of this
    case that the post's readers may see. ``html`` is sanitized already."""
    if "<img" not in html:
        return html
    keys = {found.group(1) for src in image_sources(html) if (found := _ATTACHMENT_SRC.match(src))}
    known: dict[str, str] = {}
    if keys:
        images = Attachment.objects.filter(case=case, key__in=keys, content_type__startswith="image/")
        if not internal:
            images = images.filter(post__is_internal=False)
        known = {str(image.key): image.url for image in images.select_related(None)}

    def new_src(src: str) -> str | None:
        if pending := _PENDING_SRC.match(src):
            index = int(pending.group(1))
            return pasted[index].url if index < len(pasted) else None
        if (found := _ATTACHMENT_SRC.match(src)) and found.group(1) in known:
            # Rebuilt from the attachment row: whatever followed the key in the typed URL is dropped.
            return known[found.group(1)]
        return None

    return replace_images(html, new_src)
