"""The writes of the 3x10 rule (SPEC §8): the job's step on one case, and a contact's "I need more time".

Catch-up (docs/operations.md, "3x10 follow-up"): the job acts on what is due at the moment it runs, once. When
several steps are overdue (the job did not run for days), only the latest due one is taken: the automatic close
if its moment has passed, otherwise the latest due follow-up; the earlier ones are recorded as skipped, never
sent late in a burst. A district that hears "we will close on Monday" three times in one morning learns
nothing from the first two.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape

from cases import followup
from cases.models import Case, CaseEvent, FollowUpSequence, FollowUpStep, Post
from cases.services.common import lock_case, modified, record_event, resolve_now
from cases.services.notify import recipients_to_notify
from cases.services.workflow import close_case
from cases.workflow import Status, WorkflowError
from contacts.access import Capability, is_advisor, require_capability
from contacts.models import User
from outbox.services import enqueue_email

CLOSE_STEP = FollowUpSequence.CLOSE_STEP


def _long(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "l j F Y, g:i A T")


def _day(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "l j F")


def due_step(sequence: FollowUpSequence, now: datetime) -> int | None:
    """The step to take at ``now``: the latest of the remaining steps whose moment has come (catch-up rule)."""
    if sequence.next_step is None:
        return None
    due = [step for step in range(sequence.next_step, CLOSE_STEP + 1) if sequence.moment(step) <= now]
    return due[-1] if due else None


def take_due_step(
    case: Case, sequence: FollowUpSequence, now: datetime, *, at: datetime | None = None
) -> str | None:
    """Take the step due at ``now`` on a case the caller locked, in the caller's transaction: the follow-up's
    note and e-mails, or the close with its note and e-mails, recorded under ``followup_step_once``; written
    at ``at`` (default ``now``). None when nothing is due (a rerun, or the case changed since the job selected
    it)."""
    if case.status != Status.PENDING_CUSTOMER_VERIFICATION or not sequence.running:
        return None
    step = due_step(sequence, now)
    if step is None:
        return None
    now = at or now
    for skipped in range(sequence.next_step or step, step):
        FollowUpStep.objects.create(
            case=case,
            sequence=sequence,
            step=skipped,
            due_at=sequence.moment(skipped),
            done_at=now,
            skipped=True,
        )
    if step == CLOSE_STEP:
        post = _note(case, _close_note(sequence), now)
        event = close_case(case, None, now)  # ends the sequence (apply_status)
        _record(case, sequence, step, now, post)
        _email(case, sequence, step, post, status_event=event)
        return f"closed case #{case.number} automatically (sequence {sequence.number})"
    # A reminder changes nothing on the case: "Last modified" keeps the moment of the last change people made.
    post = _note(case, _followup_note(sequence, step), now)
    _record(case, sequence, step, now, post)
    sequence.next_step = step + 1
    sequence.next_due_at = sequence.moment(step + 1)
    sequence.save(update_fields=["next_step", "next_due_at"])
    _email(case, sequence, step, post)
    return f"sent follow-up {step} of 3 on case #{case.number} (sequence {sequence.number})"


def _note(case: Case, body: str, now: datetime) -> Post:
    """The portal's public note in the feed. Its words are the same on every case in verification, so it is
    not added to the case list's search (``cases.search``): searching "follow-up" would find them all."""
    post = Post.objects.create(case=case, author=None, body=body, created_at=now)
    record_event(case, CaseEvent.Kind.POST_ADDED, None, now, new=post.pk, internal=False)
    return post


def _record(case: Case, sequence: FollowUpSequence, step: int, now: datetime, post: Post) -> None:
    FollowUpStep.objects.create(
        case=case, sequence=sequence, step=step, due_at=sequence.moment(step), done_at=now, post=post
    )


def _followup_note(sequence: FollowUpSequence, step: int) -> str:
    return (
        f"<p>Follow-up {step} of 3: support posted a resolution on {escape(_day(sequence.entered_at))} and is "
        "waiting for your confirmation. If the issue is not resolved, reply here and your advisor picks it up "
        f"again. Without a reply this case closes automatically on {escape(_long(sequence.close_at))}.</p>"
    )


def _close_note(sequence: FollowUpSequence) -> str:
    return (
        "<p>Closed automatically: support posted a resolution on "
        f"{escape(_day(sequence.entered_at))} and there was no reply in 10 business days. If the issue comes "
        "back, you can re-open this case within 60 days.</p>"
    )


def _email(
    case: Case, sequence: FollowUpSequence, step: int, post: Post, status_event: CaseEvent | None = None
) -> None:
    """The step's e-mail to every recipient who may read the case, keyed by case, sequence and step: a rerun
    never sends it twice."""
    context = {
        "case": case,
        "step": step,
        "closed": step == CLOSE_STEP,
        "resolved_on": _day(sequence.entered_at),
        "close_at": _long(sequence.close_at),
        "more_time": sequence.more_time_at is None,
        "more_time_days": settings.FOLLOWUP_MORE_TIME_MAX_BUSINESS_DAYS,
        "post_id": post.pk,
    }
    for user in recipients_to_notify(case):
        enqueue_email(
            recipient=user,
            template="case_followup",
            context=context,
            key=f"case-{case.pk}-followup-{sequence.number}-{step}-to-{user.pk}",
        )


@transaction.atomic
def followup_more_time(
    *, actor: User, case: Case, days: int | None = None, now: datetime | None = None
) -> FollowUpSequence:
    """An authorized contact asks for more time before the automatic close: the remaining follow-ups and the
    close move ``days`` business days later (at most ``FOLLOWUP_MORE_TIME_MAX_BUSINESS_DAYS``, the default).
    Once per sequence; refused (nothing written) when asked again, by a read-only contact (403), or when the
    case is not waiting for the district's verification."""
    if is_advisor(actor):
        raise PermissionDenied("Only the district's contacts ask for more time; advisors change the status.")
    require_capability(actor, case.district, Capability.POST)
    limit = settings.FOLLOWUP_MORE_TIME_MAX_BUSINESS_DAYS
    days = limit if days is None else days
    if not 1 <= days <= limit:
        raise ValidationError({"days": f"Choose between 1 and {limit} business days."})
    case = lock_case(case)
    now = resolve_now(now)  # after the lock: the order of events is the order of the locks
    sequence = followup.running_sequence(case)
    if case.status != Status.PENDING_CUSTOMER_VERIFICATION or sequence is None:
        raise WorkflowError(
            f"Case #{case.number} is not waiting for your verification: there is no automatic close to postpone."
        )
    if sequence.more_time_at is not None:
        who = sequence.more_time_by.get_full_name() if sequence.more_time_by else "Someone"
        raise WorkflowError(
            f"More time was already given once for this resolution ({who} asked on "
            f"{_day(sequence.more_time_at)}); the case now closes automatically on {_long(sequence.close_at)}. "
            "Reply on the case if the issue is not resolved."
        )
    old_close = sequence.close_at
    first = sequence.next_step or CLOSE_STEP  # a running sequence always has a next step
    for step in range(first, CLOSE_STEP + 1):
        name = "close_at" if step == CLOSE_STEP else f"followup_{step}_at"
        setattr(sequence, name, followup.shifted(sequence.moment(step), days, close=step == CLOSE_STEP))
    sequence.next_due_at = sequence.moment(first)
    sequence.more_time_at, sequence.more_time_by, sequence.more_time_days = now, actor, days
    sequence.save()
    record_event(
        case,
        CaseEvent.Kind.FOLLOWUP_MORE_TIME,
        actor,
        now,
        old=old_close.isoformat(),
        new=sequence.close_at.isoformat(),
        days=days,
        sequence=sequence.number,
    )
    case.save(update_fields=modified(case, now))
    return sequence
