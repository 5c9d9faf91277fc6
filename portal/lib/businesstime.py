"""Business time for the Support Case Portal: the support calendar, business days and SLA due times.

Everything time-based in the portal is computed here: first-response due times, the "N business days"
deadlines, the 3x10 follow-up schedule, the reopen window and the inactivity flag. The rules are those of
SPEC §7/§8 as made exact in CALENDAR.md; ``docs/business-time.md`` explains them in plain words.

In short:

* The support desk works in Chicago time (``America/Chicago``). Business hours are 06:00 up to (not
  including) 18:00 on business days; a business day is a Monday to Friday that is not an observed support
  holiday.
* There are nine support holidays. A fixed-date holiday on a Saturday is observed on the weekday before, on
  a Sunday on the weekday after, moving further when that day is already taken by another holiday
  (the Christmas Eve / Christmas Day pairs). New Year's Day on a Saturday is observed on Friday 31 December
  of the year before.
* Daylight-saving switches happen at 02:00 on Sundays, never inside business hours, so business time is
  counted on the local wall clock and only the UTC offset of a result changes across a switch.

Every function that takes a moment in time requires a timezone-aware ``datetime`` (any zone; it is
converted to Chicago time first) and rejects a naive one with :class:`NaiveDatetimeError`. Every moment
returned is aware and expressed in Chicago time. This module has no Django dependency.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Final
from zoneinfo import ZoneInfo

from holidays.groups.christian import ChristianHolidays
from holidays.groups.international import InternationalHolidays
from holidays.observed_holiday_base import (
    SAT_TO_PREV_FRI,
    SAT_TO_PREV_WORKDAY,
    SUN_TO_NEXT_MON,
    SUN_TO_NEXT_WORKDAY,
    ObservedHolidayBase,
)

__all__ = [
    "AUTO_CLOSE_BUSINESS_DAY",
    "BUSINESS_DAY_LENGTH",
    "CLOSING_TIME",
    "FOLLOWUP_BUSINESS_DAYS",
    "INACTIVITY_PERIOD",
    "ONCALL_TARGET",
    "OPENING_TIME",
    "REOPEN_WINDOW",
    "SLA_TARGETS",
    "SUPPORT_CALENDAR",
    "SUPPORT_TZ",
    "BusinessDay",
    "BusinessTimeError",
    "FollowUp",
    "FollowUpSchedule",
    "NaiveDatetimeError",
    "Priority",
    "SupportHolidays",
    "UnknownPriorityError",
    "add_business_days",
    "add_business_time",
    "business_time_between",
    "followup_schedule",
    "inactivity_flag_at",
    "is_business_day",
    "is_business_time",
    "is_inactive",
    "next_opening",
    "nth_business_day_after",
    "observed_holidays",
    "oncall_due",
    "reopen_allowed",
    "reopen_deadline",
    "reopenable_closed_at",
    "sla_due",
]

# --------------------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------------------

SUPPORT_TZ: Final = ZoneInfo("America/Chicago")
"""The support desk's time zone. Business hours and calendar days are read on this wall clock."""

OPENING_TIME: Final = time(6, 0)
"""Business hours open at 06:00 local time (06:00:00 is inside business hours)."""

CLOSING_TIME: Final = time(18, 0)
"""Business hours close at 18:00 local time (18:00:00 is already outside business hours)."""

BUSINESS_DAY_LENGTH: Final = timedelta(hours=12)
"""Length of the business hours of one business day."""

ONCALL_TARGET: Final = timedelta(hours=1)
"""A Critical case pages on-call around the clock; on-call must respond within one clock hour."""

REOPEN_WINDOW: Final = timedelta(days=60)
"""A closed case may be reopened for 60 calendar days (same local clock time, 60 dates later)."""

INACTIVITY_PERIOD: Final = timedelta(days=180)
"""A contact with no login and no case activity for 180 calendar days is flagged for deactivation."""

FOLLOWUP_BUSINESS_DAYS: Final = (3, 6, 9)
"""The 3x10 rule: follow-ups go out on these business days after the case entered Pending Verification."""

AUTO_CLOSE_BUSINESS_DAY: Final = 10
"""The 3x10 rule: an unanswered case is closed automatically at the end of this business day."""

_ONE_DAY: Final = timedelta(days=1)
_ONE_HOUR: Final = timedelta(hours=1)


# --------------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------------


class BusinessTimeError(ValueError):
    """Base class of the errors raised for bad input to the business-time functions."""


class NaiveDatetimeError(BusinessTimeError):
    """A moment was given without a time zone, so it is unknown which instant it means."""

    def __init__(self, argument: str, value: datetime) -> None:
        self.argument = argument
        self.value = value
        super().__init__(
            f"{argument} must be a timezone-aware datetime, got the naive datetime {value.isoformat()}; "
            f"attach a zone first (e.g. value.replace(tzinfo=ZoneInfo('America/Chicago')))."
        )


class UnknownPriorityError(BusinessTimeError):
    """A priority that is not one of Critical, High, Medium or Low."""

    def __init__(self, value: object) -> None:
        self.value = value
        allowed = ", ".join(p.value for p in Priority)
        super().__init__(f"unknown priority {value!r}; expected one of: {allowed}")


# --------------------------------------------------------------------------------------------------------
# Priorities and SLA targets
# --------------------------------------------------------------------------------------------------------


class Priority(StrEnum):
    """The priority a case is submitted with; it decides the first-response target."""

    CRITICAL = "Critical"
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"

    @classmethod
    def parse(cls, value: Priority | str) -> Priority:
        """Return the priority for ``value`` (a :class:`Priority` or its exact text, e.g. ``"High"``).

        Raises :class:`UnknownPriorityError` for anything else.
        """
        if isinstance(value, Priority):
            return value
        if isinstance(value, str):
            try:
                return cls(value)
            except ValueError:
                pass
        raise UnknownPriorityError(value)


SLA_TARGETS: Final[Mapping[Priority, timedelta]] = MappingProxyType(
    {
        Priority.CRITICAL: timedelta(hours=1),
        Priority.HIGH: timedelta(hours=4),
        Priority.MEDIUM: timedelta(hours=12),  # one business day
        Priority.LOW: timedelta(hours=24),  # two business days
    }
)
"""First-response targets, in business hours, by priority."""


# --------------------------------------------------------------------------------------------------------
# The support holiday calendar
# --------------------------------------------------------------------------------------------------------


class SupportHolidays(ObservedHolidayBase, ChristianHolidays, InternationalHolidays):
    """The nine support holidays and the days on which the desk is closed for them.

    The holidays: New Year's Day, Memorial Day, Juneteenth, Independence Day, Labor Day, Thanksgiving,
    the day after Thanksgiving, Christmas Eve and Christmas Day. The four floating ones (Memorial Day,
    Labor Day, Thanksgiving and the day after) always fall on a weekday. A fixed-date holiday that falls on
    a Saturday is observed on the closest earlier weekday that is not already a holiday, on a Sunday on the
    closest later such weekday. New Year's Day on a Saturday is observed on Friday 31 December of the year
    before (and so belongs to that year's list); on a Sunday, on Monday 2 January.

    The calendar keys also contain the actual weekend dates of shifted holidays; they are not business days
    anyway. Use :func:`observed_holidays` for the list of weekday closures in a year. Years are filled in
    on first use, so one instance serves any range of dates.

    Built on the ``holidays`` package's own observed-date machinery (as its country calendars are). Its
    ``_add_*`` helpers are not a promised API, hence ``holidays`` is pinned exactly and the calendar is
    checked against the reference vectors by the test suite.
    """

    observed_label = "%s (observed)"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        ChristianHolidays.__init__(self)
        InternationalHolidays.__init__(self)
        # "Workday" searches skip weekends and dates that already hold a holiday, which is exactly the
        # "next free weekday before/after" of SPEC §7 for the Christmas Eve / Christmas Day pairs.
        kwargs.setdefault("observed_rule", SAT_TO_PREV_WORKDAY + SUN_TO_NEXT_WORKDAY)
        super().__init__(*args, **kwargs)

    def _populate_public_holidays(self) -> None:
        # New Year's Day uses a plain one-day shift: the workday search never leaves the calendar year,
        # while a Saturday New Year's Day must move back to 31 December of the previous year.
        new_year_rule = SAT_TO_PREV_FRI + SUN_TO_NEXT_MON
        self._add_observed(self._add_new_years_day("New Year's Day"), rule=new_year_rule)
        # Next year's New Year's Day, when it is a Saturday, closes 31 December of this year.
        self._add_observed(self._next_year_new_years_day, name="New Year's Day", rule=new_year_rule)

        self._add_holiday_last_mon_of_may("Memorial Day")
        self._add_observed(self._add_holiday_jun_19("Juneteenth"))
        self._add_observed(self._add_holiday_jul_4("Independence Day"))
        self._add_holiday_1st_mon_of_sep("Labor Day")
        self._add_holiday_4th_thu_of_nov("Thanksgiving Day")
        self._add_holiday_1_day_past_4th_thu_of_nov("Day after Thanksgiving")

        # Both Christmas dates go in before either is shifted, so that each shift sees the other date as
        # taken: Sat 25 Dec -> Fri 24 is Christmas Eve -> Thu 23; Sun 24 Dec -> Mon 25 is Christmas -> Tue 26.
        christmas_eve = self._add_christmas_eve("Christmas Eve")
        christmas_day = self._add_christmas_day("Christmas Day")
        self._add_observed(christmas_eve)
        self._add_observed(christmas_day)


SUPPORT_CALENDAR: Final = SupportHolidays()
"""The shared support calendar (filled in year by year on first use; guarded by a lock)."""

_CALENDAR_LOCK: Final = threading.Lock()


@lru_cache(maxsize=8)
def _observed_holidays(year: int) -> tuple[tuple[date, str], ...]:
    calendar = SupportHolidays(years=year)
    return tuple(
        sorted((day, name) for day, name in calendar.items() if day.year == year and day.weekday() < 5)
    )


def observed_holidays(year: int) -> list[tuple[date, str]]:
    """The days the desk is closed for a holiday in ``year``, in date order, with the holiday's name.

    Only weekday closures are listed, in the year they are observed: 2027 lists Friday 31 December 2027
    ("New Year's Day (observed)", for Saturday 1 January 2028), and 2028 has no January entry.
    """
    return list(_observed_holidays(int(year)))


@lru_cache(maxsize=65536)
def _is_business_date(day: date) -> bool:
    if day.weekday() >= 5:
        return False
    with _CALENDAR_LOCK:
        return day not in SUPPORT_CALENDAR


def is_business_day(day: date) -> bool:
    """Whether the desk is open on the local calendar date ``day`` (a weekday that is not a holiday).

    Takes a ``date``, not a ``datetime``: to ask about a moment, use :func:`is_business_time` or first take
    the moment's Chicago date.
    """
    if isinstance(day, datetime):
        raise TypeError(
            "is_business_day() takes a local calendar date, not a datetime; "
            "use is_business_time() or pass moment.astimezone(SUPPORT_TZ).date()"
        )
    if not isinstance(day, date):
        raise TypeError(f"is_business_day() takes a date, got {type(day).__name__}")
    return _is_business_date(day)


def _next_business_date(day: date) -> date:
    """The first business day strictly after ``day``."""
    day += _ONE_DAY
    while not _is_business_date(day):
        day += _ONE_DAY
    return day


def _nth_business_date(day: date, n: int) -> date:
    for _ in range(n):
        day = _next_business_date(day)
    return day


def _check_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 1:
        raise BusinessTimeError(f"n must be at least 1 (the 1st business day after the start), got {n}")


def nth_business_day_after(day: date, n: int) -> date:
    """The ``n``-th business day strictly after the local calendar date ``day`` (``n`` >= 1)."""
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(
            "nth_business_day_after() takes a local calendar date; for a moment use add_business_days()"
        )
    _check_n(n)
    return _nth_business_date(day, n)


# --------------------------------------------------------------------------------------------------------
# Moments: conversion helpers (internal)
# --------------------------------------------------------------------------------------------------------


def _local_wall(value: datetime, argument: str) -> datetime:
    """The Chicago wall-clock time of an aware moment, as a naive datetime."""
    if not isinstance(value, datetime):
        raise TypeError(f"{argument} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(argument, value)
    # Through UTC: astimezone() to the zone a datetime already has would keep a non-existent wall time.
    return value.astimezone(UTC).astimezone(SUPPORT_TZ).replace(tzinfo=None)


def _aware_business(wall: datetime) -> datetime:
    """Attach the Chicago zone to a wall-clock time that lies within business hours (never ambiguous)."""
    return wall.replace(tzinfo=SUPPORT_TZ)


def _to_support_tz(value: datetime) -> datetime:
    """The same instant, expressed in Chicago time (normalised: a non-existent wall time moves forward)."""
    return value.astimezone(UTC).astimezone(SUPPORT_TZ)


def _opening(day: date) -> datetime:
    return datetime.combine(day, OPENING_TIME)


def _closing(day: date) -> datetime:
    return datetime.combine(day, CLOSING_TIME)


def _wall_next_opening(wall: datetime) -> datetime:
    """``wall`` itself if it is inside business hours, else the next opening (all naive wall-clock)."""
    day = wall.date()
    if _is_business_date(day):
        clock = wall.time()
        if clock < OPENING_TIME:
            return _opening(day)
        if clock < CLOSING_TIME:
            return wall
    return _opening(_next_business_date(day))


def _wall_add(start: datetime, amount: timedelta) -> datetime:
    """Add ``amount`` (>= 0) of business time to the wall-clock ``start``, jumping day by day."""
    current = _wall_next_opening(start)
    remaining = amount
    while True:
        left_today = _closing(current.date()) - current
        if remaining <= left_today:
            # A target that ends exactly at closing time is due at 18:00 that day.
            return current + remaining
        remaining -= left_today
        current = _opening(_next_business_date(current.date()))


@lru_cache(maxsize=64)
def _year_prefix(year: int) -> tuple[int, ...]:
    """``prefix[i]``: how many of the first ``i`` days of ``year`` are business days (``_is_business_date``)."""
    first = date(year, 1, 1)
    prefix = [0]
    for i in range((date(year + 1, 1, 1) - first).days):
        prefix.append(prefix[-1] + _is_business_date(first + timedelta(days=i)))
    return tuple(prefix)


def _business_dates_in(first: date, last: date) -> int:
    """How many business days ``d`` there are with ``first <= d < last``: the same count as asking
    ``_is_business_date`` day by day, read from per-year running totals (a wait of years costs a few steps)."""
    if last <= first:
        return 0
    if first.year == last.year:
        prefix = _year_prefix(first.year)
        return prefix[last.timetuple().tm_yday - 1] - prefix[first.timetuple().tm_yday - 1]
    head = _year_prefix(first.year)
    count = head[-1] - head[first.timetuple().tm_yday - 1]
    for year in range(first.year + 1, last.year):
        count += _year_prefix(year)[-1]
    return count + _year_prefix(last.year)[last.timetuple().tm_yday - 1]


def _wall_between(start: datetime, end: datetime) -> timedelta:
    """Business time in [start, end) for wall-clock times with start <= end."""
    if end <= start:
        return timedelta(0)
    first, last = start.date(), end.date()
    if first == last:
        if not _is_business_date(first):
            return timedelta(0)
        low = max(start, _opening(first))
        high = min(end, _closing(first))
        return max(high - low, timedelta(0))
    total = timedelta(0)
    if _is_business_date(first):
        total += max(_closing(first) - max(start, _opening(first)), timedelta(0))
    total += BUSINESS_DAY_LENGTH * _business_dates_in(first + _ONE_DAY, last)
    if _is_business_date(last):
        total += max(min(end, _closing(last)) - _opening(last), timedelta(0))
    return total


# --------------------------------------------------------------------------------------------------------
# Business hours
# --------------------------------------------------------------------------------------------------------


def is_business_time(moment: datetime) -> bool:
    """Whether ``moment`` falls inside business hours: 06:00 (inclusive) to 18:00 (exclusive), Chicago
    time, on a business day."""
    wall = _local_wall(moment, "moment")
    return _is_business_date(wall.date()) and OPENING_TIME <= wall.time() < CLOSING_TIME


def next_opening(moment: datetime) -> datetime:
    """When the business clock runs from ``moment`` on: ``moment`` itself (in Chicago time) if it is inside
    business hours, otherwise 06:00 of the next business day (or of the same day, before opening)."""
    wall = _local_wall(moment, "moment")
    opening = _wall_next_opening(wall)
    if opening == wall:
        return _to_support_tz(moment)
    return _aware_business(opening)


def add_business_time(start: datetime, amount: timedelta) -> datetime:
    """The moment at which ``amount`` of business time has elapsed since ``start``.

    The clock starts at ``start`` if it is inside business hours, else at the next opening. If the amount
    runs out exactly at closing time, the answer is 18:00 that day (not 06:00 of the next business day).
    ``amount`` must not be negative; zero gives the clock start.
    """
    wall = _local_wall(start, "start")
    if not isinstance(amount, timedelta):
        raise TypeError(f"amount must be a timedelta, got {type(amount).__name__}")
    if amount < timedelta(0):
        raise BusinessTimeError(f"amount of business time must not be negative, got {amount}")
    result = _wall_add(wall, amount)
    if result == wall:
        return _to_support_tz(start)
    return _aware_business(result)


def business_time_between(start: datetime, end: datetime) -> timedelta:
    """How much business time lies between two moments, as a ``timedelta`` (exact to the microsecond).

    Behaves like a subtraction ``end - start`` that only counts business hours: if ``end`` is before
    ``start`` the result is negative, ``-business_time_between(end, start)``. So for a first response,
    ``business_time_between(responded_at, due)`` is how much earlier than due it came ("met by", positive)
    and ``business_time_between(due, responded_at)`` how late it was ("missed by"). Whole business minutes:
    ``business_time_between(a, b) // timedelta(minutes=1)``.
    """
    start_wall = _local_wall(start, "start")
    end_wall = _local_wall(end, "end")
    if end.astimezone(UTC) < start.astimezone(UTC):  # as instants (same-zone comparison ignores fold)
        return -_wall_between(end_wall, start_wall)
    return _wall_between(start_wall, end_wall)


# --------------------------------------------------------------------------------------------------------
# "N business days after T"
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BusinessDay:
    """A business day reached by counting, with its opening (06:00) and its deadline (18:00), Chicago time."""

    date: _dt.date
    opening: datetime
    deadline: datetime

    @classmethod
    def of(cls, day: _dt.date) -> BusinessDay:
        """The business day ``day`` with its opening and deadline moments."""
        return cls(day, _aware_business(_opening(day)), _aware_business(_closing(day)))


def add_business_days(start: datetime, n: int) -> BusinessDay:
    """The ``n``-th business day after the day of ``start``, and its deadline (18:00 that day).

    Counting starts from the Chicago calendar date of ``start``; the time of day does not matter, and that
    date itself never counts (a start before opening, late at night, on a weekend or a holiday all count
    from the next day). ``n`` must be at least 1.
    """
    wall = _local_wall(start, "start")
    _check_n(n)
    return BusinessDay.of(_nth_business_date(wall.date(), n))


# --------------------------------------------------------------------------------------------------------
# SLA first-response targets
# --------------------------------------------------------------------------------------------------------


def sla_due(submitted_at: datetime, priority: Priority | str) -> datetime:
    """When the first response to a case submitted at ``submitted_at`` is due.

    Targets in business hours: Critical 1, High 4, Medium 12 (one business day), Low 24 (two business
    days). The clock starts at submission if inside business hours, otherwise at the next opening. A target
    ending exactly at 18:00 is due at 18:00 that day. This is the stored due time for every priority;
    a Critical case additionally pages on-call with the clock-hour target of :func:`oncall_due`.
    """
    wall = _local_wall(submitted_at, "submitted_at")
    target = SLA_TARGETS[Priority.parse(priority)]
    return _aware_business(_wall_add(wall, target))


def oncall_due(submitted_at: datetime) -> datetime:
    """When on-call must respond to a Critical case: one real (clock) hour after submission, day or night.

    Computed on the UTC time line, so across a daylight-saving switch the local clock may show 0 or 2 hours
    later (01:30 CDT -> 01:30 CST on the fall-back night).
    """
    _local_wall(submitted_at, "submitted_at")
    return _to_support_tz(submitted_at.astimezone(UTC) + ONCALL_TARGET)


# --------------------------------------------------------------------------------------------------------
# 3x10 follow-up
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FollowUp:
    """One follow-up of the 3x10 rule: its number (1-3), the business day it falls on, and when it is due."""

    number: int
    business_day: int
    due_at: datetime

    @property
    def date(self) -> _dt.date:
        """The local date of the follow-up."""
        return self.due_at.date()


@dataclass(frozen=True, slots=True)
class FollowUpSchedule:
    """The 3x10 schedule of a case that entered Pending Customer Verification at ``entered_at``."""

    entered_at: datetime
    followups: tuple[FollowUp, ...]
    auto_close_business_day: int
    auto_close_at: datetime

    @property
    def auto_close_date(self) -> date:
        """The local date on which the case is closed automatically."""
        return self.auto_close_at.date()


def followup_schedule(entered_at: datetime) -> FollowUpSchedule:
    """The 3x10 schedule for a case that entered Pending Customer Verification at ``entered_at``.

    Follow-ups 1, 2 and 3 are due at the opening (06:00) of business days 3, 6 and 9 after the day the case
    entered the status (counted as in :func:`add_business_days`); without an answer the case is closed
    automatically at the end (18:00) of business day 10.
    """
    wall = _local_wall(entered_at, "entered_at")
    days: list[date] = []
    day = wall.date()
    for _ in range(AUTO_CLOSE_BUSINESS_DAY):
        day = _next_business_date(day)
        days.append(day)
    followups = tuple(
        FollowUp(number, business_day, _aware_business(_opening(days[business_day - 1])))
        for number, business_day in enumerate(FOLLOWUP_BUSINESS_DAYS, start=1)
    )
    return FollowUpSchedule(
        entered_at=_to_support_tz(entered_at),
        followups=followups,
        auto_close_business_day=AUTO_CLOSE_BUSINESS_DAY,
        auto_close_at=_aware_business(_closing(days[AUTO_CLOSE_BUSINESS_DAY - 1])),
    )


# --------------------------------------------------------------------------------------------------------
# Calendar-day windows: reopen and inactivity
# --------------------------------------------------------------------------------------------------------


def _add_calendar_days(moment: datetime, days: timedelta) -> datetime:
    """The same Chicago wall-clock time ``days`` dates later.

    A result in the repeated hour of a fall-back night means its first occurrence (CDT); a result in the
    skipped hour of a spring-forward night is read with the offset before the switch, i.e. one hour later
    on the new clock (02:30 -> 03:30 CDT).
    """
    local = _to_support_tz(moment)
    return _to_support_tz((local + days).replace(fold=0))


def reopen_deadline(closed_at: datetime) -> datetime:
    """The last moment a case closed at ``closed_at`` may be reopened: the same Chicago clock time
    60 calendar days later. Reopening is allowed while ``now <= reopen_deadline(closed_at)``."""
    _local_wall(closed_at, "closed_at")
    return _add_calendar_days(closed_at, REOPEN_WINDOW)


def reopen_allowed(closed_at: datetime, now: datetime) -> bool:
    """Whether a case closed at ``closed_at`` may still be reopened at ``now``."""
    _local_wall(now, "now")
    return now.astimezone(UTC) <= reopen_deadline(closed_at).astimezone(UTC)


def reopenable_closed_at(now: datetime) -> list[tuple[datetime, datetime | None]]:
    """The close times whose window is still open at ``now``, as half-open ranges ``[start, end)`` in time
    order, the last one without an end: ``reopen_allowed(closed_at, now)`` exactly when ``closed_at`` lies in
    one of them. Usually one range from a single cutoff.

    Wall-clock arithmetic is not monotonic around a daylight-saving change (closed 13 January 2027 02:30 CST
    ends at 03:30 CDT on 14 March, closed 03:10 CST at 03:10 CDT), so the ranges come from
    ``reopen_deadline`` itself, one UTC hour at a time: Chicago changes its offset only on whole UTC hours, so
    within such an hour the deadline is the close time plus a constant.
    """
    _local_wall(now, "now")
    now = now.astimezone(UTC)
    # The deadline lies within an hour of the close time plus 60 x 24 hours: before the first checked hour
    # every window has ended, from the last one on every window is open.
    first = (now - REOPEN_WINDOW - 2 * _ONE_HOUR).replace(minute=0, second=0, microsecond=0)
    starts = [first + hours * _ONE_HOUR for hours in range(6)]
    ranges: list[tuple[datetime, datetime | None]] = []
    for start, end in zip(starts, [*starts[1:], None], strict=True):
        cutoff = max(start, now - (reopen_deadline(start).astimezone(UTC) - start))
        if end is not None and cutoff >= end:
            continue
        if ranges and ranges[-1][1] == cutoff:
            cutoff = ranges.pop()[0]
        ranges.append((cutoff, end))
    return ranges


def inactivity_flag_at(last_activity: datetime) -> datetime:
    """When a contact whose last login or case activity was at ``last_activity`` becomes inactive: the same
    Chicago clock time 180 calendar days later. The contact is flagged once ``now >= inactivity_flag_at``."""
    _local_wall(last_activity, "last_activity")
    return _add_calendar_days(last_activity, INACTIVITY_PERIOD)


def is_inactive(last_activity: datetime, now: datetime) -> bool:
    """Whether a contact with the given last activity is due to be flagged as inactive at ``now``."""
    _local_wall(now, "now")
    return now.astimezone(UTC) >= inactivity_flag_at(last_activity).astimezone(UTC)
