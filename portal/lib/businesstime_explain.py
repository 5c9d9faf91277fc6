"""How a first-response due time was computed, in words a district contact can check against a calendar.

"4 business hours: 2 h on Wednesday 25 November and 2 h on Monday 30 November; Thanksgiving Day, Day after
Thanksgiving and the weekend skipped." The walk is the one ``businesstime.add_business_time`` makes (clock
start at the next opening, whole business days, 18:00 closing), day by day, keeping what it counted and what
it skipped; the due moment it reports is ``add_business_time``'s own, so the words can never disagree with
the stored due time (a test walks the calendar vectors through both). No Django dependency, like
``businesstime``: the case page and the work page format the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from portal.lib.businesstime import (
    CLOSING_TIME,
    ONCALL_TARGET,
    OPENING_TIME,
    SUPPORT_TZ,
    add_business_time,
    is_business_day,
    next_opening,
    observed_holidays,
)

__all__ = ["BusinessDueExplanation", "explain_business_due", "explain_oncall_due", "hours_words"]

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Counted:
    """Business time counted on one business day."""

    day: date
    amount: timedelta


@dataclass(frozen=True, slots=True)
class Skipped:
    """Days the clock stood still: a weekend (Saturday and Sunday together) or one holiday closure."""

    first: date
    last: date
    reason: str  # "weekend" or the holiday's name as the calendar gives it


@dataclass(frozen=True, slots=True)
class BusinessDueExplanation:
    submitted_at: datetime  # Chicago time
    clock_start: datetime  # the next opening from submission (the submission itself inside business hours)
    amount: timedelta
    due: datetime
    counted: tuple[Counted, ...]
    skipped: tuple[Skipped, ...]

    @property
    def started_late(self) -> bool:
        """Submitted outside business hours: the clock started at the next opening."""
        return self.clock_start != self.submitted_at

    @property
    def sentence(self) -> str:
        """ "4 business hours: 2 h on Wednesday 25 November and 2 h on Monday 30 November; Thanksgiving Day, Day
        after Thanksgiving and the weekend skipped." """
        head = hours_words(self.amount)
        if not self.counted:
            return f"{head}: due at the clock start."
        parts = [f"{_span(c.amount)} on {_day(c.day)}" for c in self.counted]
        text = f"{head}: {_join(parts)}"
        if self.skipped:
            weekends = sum(1 for s in self.skipped if s.reason == "weekend")
            names = [_skipped_words(s, several_weekends=weekends > 1) for s in self.skipped]
            text += f"; {_join(names)} skipped"
        return text + "."

    @property
    def text(self) -> str:
        """The whole explanation: when the clock started, the sentence, and the due moment."""
        start = ""
        if self.started_late:
            start = (
                f"Submitted {_moment(self.submitted_at)}, outside support hours: the clock started at the next "
                f"opening, {_moment(self.clock_start)}. "
            )
        return f"{start}{self.sentence} Due {_moment(self.due)}."


def explain_business_due(submitted_at: datetime, amount: timedelta) -> BusinessDueExplanation:
    """How ``add_business_time(submitted_at, amount)`` is reached: business time counted per business day,
    and the weekends and holidays between the submission and the due moment that did not count."""
    due = add_business_time(submitted_at, amount)
    submitted = submitted_at.astimezone(UTC).astimezone(SUPPORT_TZ)
    start = next_opening(submitted_at)
    counted: list[Counted] = []
    skipped_days: list[date] = []
    # Days from the submission's date up to the clock start that are not business days (a Saturday
    # submission skips the weekend before anything counts).
    day = submitted.date()
    while day < start.date():
        if not is_business_day(day):
            skipped_days.append(day)
        day += _ONE_DAY
    current = start.replace(tzinfo=None)
    remaining = amount
    while remaining > timedelta(0):
        closing = datetime.combine(current.date(), CLOSING_TIME)
        take = min(remaining, closing - current)
        counted.append(Counted(current.date(), take))
        remaining -= take
        if remaining <= timedelta(0):
            break
        day = current.date() + _ONE_DAY
        while not is_business_day(day):
            skipped_days.append(day)
            day += _ONE_DAY
        current = datetime.combine(day, OPENING_TIME)
    return BusinessDueExplanation(
        submitted_at=submitted,
        clock_start=start,
        amount=amount,
        due=due,
        counted=tuple(counted),
        skipped=_group(skipped_days),
    )


def explain_oncall_due(start: datetime) -> str:
    """The on-call promise in words: "One clock hour, day and night, from Saturday 5 December 3:02 AM: due
    4:02 AM." Across a daylight-saving change the wall clock shows it ("the clocks went back an hour")."""
    begin = start.astimezone(UTC).astimezone(SUPPORT_TZ)
    due = (start.astimezone(UTC) + ONCALL_TARGET).astimezone(SUPPORT_TZ)
    same_day = due.date() == begin.date()
    text = f"One clock hour, day and night, from {_moment(begin)}: due {_clock(due) if same_day else _moment(due)}"
    shift = (due.utcoffset() or timedelta(0)) - (begin.utcoffset() or timedelta(0))
    if shift < timedelta(0):
        text += " (the clocks went back an hour in between)"
    elif shift > timedelta(0):
        text += " (the clocks went forward an hour in between)"
    return text + "."


def hours_words(amount: timedelta) -> str:
    """ "4 business hours", "1 business hour", "12 business hours (one business day)"."""
    minutes = amount // timedelta(minutes=1)
    hours, rest = divmod(minutes, 60)
    if rest:
        text = f"{hours} h {rest:02d} min of business time"
    else:
        text = f"{hours} business hour{'' if hours == 1 else 's'}"
    if minutes and minutes % (12 * 60) == 0:
        days = minutes // (12 * 60)
        text += " (one business day)" if days == 1 else f" ({_number(days)} business days)"
    return text


def _group(days: list[date]) -> tuple[Skipped, ...]:
    """Consecutive weekend days as one weekend; each holiday closure on its own (its observed name)."""
    names: dict[date, str] = {}
    for year in {day.year for day in days}:
        names.update(observed_holidays(year))
    groups: list[Skipped] = []
    for day in sorted(set(days)):
        reason = "weekend" if day.weekday() >= 5 else names.get(day, "holiday")
        last = groups[-1] if groups else None
        if last and reason == "weekend" and last.reason == "weekend" and day - last.last == _ONE_DAY:
            groups[-1] = Skipped(last.first, day, reason)
        else:
            groups.append(Skipped(day, day, reason))
    return tuple(groups)


def _skipped_words(skipped: Skipped, *, several_weekends: bool) -> str:
    if skipped.reason != "weekend":
        return skipped.reason
    if not several_weekends:
        return "the weekend"
    if skipped.first == skipped.last:
        return f"{skipped.first:%A} {skipped.first.day} {skipped.first:%B}"
    return f"the weekend of {skipped.first.day}\u2013{skipped.last.day} {skipped.last:%B}"


def _span(amount: timedelta) -> str:
    minutes = amount // timedelta(minutes=1)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest:02d} min" if rest else "")


def _day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def _clock(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def _moment(moment: datetime) -> str:
    return f"{_day(moment.date())} {_clock(moment)}"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def _number(n: int) -> str:
    return {2: "two", 3: "three", 4: "four", 5: "five"}.get(n, str(n))
