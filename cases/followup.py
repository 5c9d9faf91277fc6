"""The 3x10 rule (SPEC §8, CALENDAR.md §6) on a case: its sequences, their stored moments and how people read
them. The moments come from ``portal.lib.businesstime``; the writes that act on them (the job's steps, a
contact's "more time") are in ``cases.services.followup``.

``sequence_on_status_change`` is called by the one function that changes a case's status
(``cases.services.common.apply_status``), so every way into Pending Customer Verification starts a sequence
and every way out of it (a contact's reply, an advisor's change, a close) ends it.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format

from cases.models import Case, FollowUpSequence
from cases.workflow import Status
from portal.lib import businesstime

End = FollowUpSequence.End
CLOSE_STEP = FollowUpSequence.CLOSE_STEP


def running_sequence(case: Case) -> FollowUpSequence | None:
    return FollowUpSequence.objects.filter(case=case, ended_at__isnull=True).first()


def start_sequence(case: Case, now: datetime) -> FollowUpSequence:
    """A new sequence for a case that entered Pending Customer Verification at ``now``."""
    schedule = businesstime.followup_schedule(now)
    last = FollowUpSequence.objects.filter(case=case).aggregate(last=Max("number"))["last"] or 0
    first, second, third = (followup.due_at for followup in schedule.followups)
    return FollowUpSequence.objects.create(
        case=case,
        number=last + 1,
        entered_at=now,
        followup_1_at=first,
        followup_2_at=second,
        followup_3_at=third,
        close_at=schedule.auto_close_at,
        next_step=1,
        next_due_at=first,
    )


def end_sequence(case: Case, now: datetime, reason: str) -> None:
    """Stop the running sequence: nothing more is sent for it."""
    FollowUpSequence.objects.filter(case=case, ended_at__isnull=True).update(
        ended_at=now, end_reason=reason, next_step=None, next_due_at=None
    )


def sequence_on_status_change(case: Case, old: str, target: str, now: datetime, reason: str) -> None:
    """Start a sequence when the case enters Pending Customer Verification; end it, for ``reason`` (an
    ``End``), when it leaves. The case is locked by the caller."""
    if target == Status.PENDING_CUSTOMER_VERIFICATION:
        end_sequence(case, now, End.STATUS_CHANGED)  # none should be running; never two at once
        start_sequence(case, now)
    elif old == Status.PENDING_CUSTOMER_VERIFICATION:
        end_sequence(case, now, reason)


def shifted(moment: datetime, days: int, *, close: bool) -> datetime:
    """``moment`` (a follow-up at a business day's opening, or the close at its end) ``days`` business days
    later, at the same point of that business day."""
    day = businesstime.BusinessDay.of(
        businesstime.nth_business_day_after(timezone.localtime(moment).date(), days)
    )
    return day.deadline if close else day.opening


def _short_dates(days: list[date]) -> str:
    """ "Thu 10, Tue 15, Fri 18 Dec": the month once after the last date of each month."""
    parts = []
    for index, day in enumerate(days):
        last_of_month = index == len(days) - 1 or days[index + 1].month != day.month
        parts.append(date_format(day, "D j M" if last_of_month else "D j"))
    return ", ".join(parts)


def timeline_text(sequence: FollowUpSequence) -> str:
    """What the district reads about a running sequence: "Follow-ups Thu 10, Tue 15, Fri 18 Dec; closes
    automatically Mon 21 Dec unless you reply". The follow-ups already sent are left out."""
    step = sequence.next_step or CLOSE_STEP
    coming = [
        timezone.localtime(at).date()
        for number, at in enumerate(sequence.followups, start=1)
        if number >= step
    ]
    close = date_format(timezone.localtime(sequence.close_at).date(), "D j M")
    if not coming:
        return f"No more follow-ups; closes automatically {close} unless you reply"
    label = "Follow-up" if len(coming) == 1 else "Follow-ups"
    return f"{label} {_short_dates(coming)}; closes automatically {close} unless you reply"
