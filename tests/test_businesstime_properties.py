"""Property tests for business time (hypothesis).

The module counts business time on the Chicago wall clock. The oracles here work on real instants instead
(UTC), with the holiday set taken from the arithmetic restatement of the rule in ``test_businesstime``, so a
daylight-saving switch that shifted a business interval, or a wrong holiday, would show up as a mismatch.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.lib.businesstime import (
    SLA_TARGETS,
    SUPPORT_TZ,
    BusinessDay,
    Priority,
    add_business_days,
    add_business_time,
    business_time_between,
    followup_schedule,
    inactivity_flag_at,
    is_business_day,
    is_business_time,
    is_inactive,
    next_opening,
    nth_business_day_after,
    reopen_allowed,
    reopen_deadline,
    reopenable_closed_at,
    sla_due,
)
from tests.test_businesstime import rule_closures

CHI = ZoneInfo("America/Chicago")
FIRST_YEAR, LAST_YEAR = 2019, 2036
CLOSED = {d for year in range(FIRST_YEAR - 1, LAST_YEAR + 2) for d, _ in rule_closures(year)}
SETTINGS = settings(max_examples=200, deadline=None)
SLOW_SETTINGS = settings(max_examples=100, deadline=None)
ONE_MINUTE = timedelta(minutes=1)


def open_on(day: date) -> bool:
    return day.weekday() < 5 and day not in CLOSED


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def chicago(moment: datetime) -> datetime:
    """Chicago time of an instant. (``astimezone(CHI)`` on a datetime already in CHI would keep a
    non-existent wall time such as 02:30 on a spring-forward night.)"""
    return moment.astimezone(UTC).astimezone(CHI)


# ------------------------------------------------------------------------------------------------------------
# Strategies: any aware moment in any of a few zones, plus moments near the edges that matter (opening,
# closing, midnight, the DST switch hours), and days near holidays.
# ------------------------------------------------------------------------------------------------------------

ZONES = st.sampled_from(
    [UTC, CHI, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata"), ZoneInfo("Pacific/Auckland")]
)
DAYS = st.dates(min_value=date(FIRST_YEAR, 1, 1), max_value=date(LAST_YEAR - 1, 12, 31))
HOLIDAY_DAYS = st.sampled_from(sorted(d for d in CLOSED if FIRST_YEAR <= d.year < LAST_YEAR)).flatmap(
    lambda d: st.integers(-3, 3).map(lambda k: d + timedelta(days=k))
)
EDGE_TIMES = st.sampled_from(
    [
        *(time(0, 0), time(1, 30), time(2, 30), time(5, 59), time(6, 0), time(6, 1), time(12, 0)),
        *(time(17, 0), time(17, 30), time(17, 59), time(18, 0), time(18, 1), time(23, 59)),
    ]
)


@st.composite
def edge_moments(draw: st.DrawFn) -> datetime:
    day = draw(st.one_of(DAYS, HOLIDAY_DAYS))
    clock = draw(EDGE_TIMES)
    seconds = draw(st.sampled_from([0, 0, 0, 30, 59]))
    wall = datetime.combine(day, clock) + timedelta(seconds=seconds)
    return wall.replace(tzinfo=CHI, fold=draw(st.integers(0, 1)))


ANY_MOMENTS = st.datetimes(
    min_value=datetime(FIRST_YEAR, 1, 1), max_value=datetime(LAST_YEAR - 1, 12, 31), timezones=ZONES
)
MOMENTS = st.one_of(ANY_MOMENTS, edge_moments())
WHOLE_MINUTE_MOMENTS = MOMENTS.map(lambda m: utc(m).replace(second=0, microsecond=0))
PRIORITIES = st.sampled_from(list(Priority))
SPANS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40))


# ------------------------------------------------------------------------------------------------------------
# Oracles on real instants
# ------------------------------------------------------------------------------------------------------------


def oracle_between(start: datetime, end: datetime) -> timedelta:
    """Business time in [start, end) from each business day's opening and closing *instants*."""
    total = timedelta(0)
    day, last = chicago(start).date(), chicago(end).date()
    while day <= last:
        if open_on(day):
            opening = utc(datetime.combine(day, time(6), tzinfo=CHI))
            closing = utc(datetime.combine(day, time(18), tzinfo=CHI))
            low, high = max(utc(start), opening), min(utc(end), closing)
            if high > low:
                total += high - low
        day += timedelta(days=1)
    return total


def oracle_due_by_minutes(submitted: datetime, target: timedelta) -> datetime:
    """Step through real time one minute at a time, counting the minutes that start inside business hours."""
    moment, remaining = utc(submitted), target // ONE_MINUTE
    while remaining:
        wall = chicago(moment)
        if open_on(wall.date()) and time(6) <= wall.time() < time(18):
            remaining -= 1
        moment += ONE_MINUTE
    return moment


# ------------------------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------------------------


@SETTINGS
@given(submitted=MOMENTS, priority=PRIORITIES)
def test_sla_due_is_business_time_and_exactly_the_target_away(submitted, priority):
    due = sla_due(submitted, priority)
    target = SLA_TARGETS[priority]
    assert due.tzinfo is SUPPORT_TZ
    local = chicago(due)
    at_closing = local.time() == time(18) and is_business_day(local.date())
    assert is_business_time(due) or at_closing
    assert utc(due) > utc(submitted)
    # Adding, then measuring, gives the target back, from the submission and from the clock start.
    assert business_time_between(submitted, due) == target
    assert business_time_between(next_opening(submitted), due) == target
    assert oracle_between(submitted, due) == target
    # The due time is the earliest such moment: just before it, less than the target has elapsed.
    assert business_time_between(submitted, due - timedelta(microseconds=1)) < target


@SLOW_SETTINGS
@given(submitted=WHOLE_MINUTE_MOMENTS, priority=st.sampled_from([Priority.CRITICAL, Priority.HIGH]))
def test_sla_due_matches_minute_stepping(submitted, priority):
    assert utc(sla_due(submitted, priority)) == oracle_due_by_minutes(submitted, SLA_TARGETS[priority])


@SETTINGS
@given(start=MOMENTS, later_by=SPANS, priority=PRIORITIES, n=st.integers(1, 15))
def test_monotonic_in_the_start(start, later_by, priority, n):
    later = utc(start) + later_by
    assert utc(sla_due(start, priority)) <= utc(sla_due(later, priority))
    assert utc(next_opening(start)) <= utc(next_opening(later))
    assert add_business_days(start, n).date <= add_business_days(later, n).date
    assert utc(followup_schedule(start).auto_close_at) <= utc(followup_schedule(later).auto_close_at)


@SETTINGS
@given(start=MOMENTS, span=SPANS, cut=st.floats(0, 1))
def test_business_time_between_matches_real_instants_and_adds_up(start, span, cut):
    end = utc(start) + span
    middle = utc(start) + span * cut
    elapsed = business_time_between(start, end)
    assert elapsed == oracle_between(start, end)
    assert business_time_between(end, start) == -elapsed
    assert business_time_between(start, middle) + business_time_between(middle, end) == elapsed
    assert timedelta(0) <= elapsed <= span


@SETTINGS
@given(start=MOMENTS, minutes=st.integers(0, 200 * 60))
def test_add_business_time_then_measure_returns_the_amount(start, minutes):
    amount = timedelta(minutes=minutes)
    result = add_business_time(start, amount)
    assert business_time_between(start, result) == amount
    assert oracle_between(start, result) == amount


@SETTINGS
@given(start=MOMENTS, n=st.integers(1, 25))
def test_add_business_days_counts_business_days(start, n):
    result = add_business_days(start, n)
    start_day = chicago(start).date()
    assert open_on(result.date)
    counted = [start_day + timedelta(days=k) for k in range(1, (result.date - start_day).days + 1)]
    assert sum(open_on(d) for d in counted) == n
    assert result.date == nth_business_day_after(start_day, n)
    assert chicago(result.deadline).time() == time(18)
    assert result.deadline.date() == result.date


@SETTINGS
@given(day=st.one_of(DAYS, HOLIDAY_DAYS))
def test_dst_never_shifts_a_business_interval(day):
    assert is_business_day(day) == open_on(day)
    if not open_on(day):
        return
    business_day = BusinessDay.of(day)
    # Twelve real hours from opening to closing, on every business day, whatever the season.
    assert utc(business_day.deadline) - utc(business_day.opening) == timedelta(hours=12)
    assert business_time_between(business_day.opening, business_day.deadline) == timedelta(hours=12)
    assert is_business_time(business_day.opening)
    assert not is_business_time(business_day.deadline)
    assert chicago(business_day.opening).time() == time(6)


def test_dst_switches_are_outside_business_hours():
    """Every Chicago DST switch in range is on a Sunday before 06:00 (the premise of wall-clock counting)."""
    switches = 0
    day = date(FIRST_YEAR, 1, 1)
    while day.year <= LAST_YEAR:
        midnight = datetime.combine(day, time(0), tzinfo=CHI)
        if midnight.utcoffset() != datetime.combine(day, time(23, 59), tzinfo=CHI).utcoffset():
            switches += 1
            assert day.weekday() == 6
            assert datetime.combine(day, time(3, 0), tzinfo=CHI).utcoffset() == (
                datetime.combine(day, time(23, 59), tzinfo=CHI).utcoffset()
            )
        day += timedelta(days=1)
    assert switches == 2 * (LAST_YEAR - FIRST_YEAR + 1)


@SETTINGS
@given(start=MOMENTS, shift=st.sampled_from([UTC, CHI, ZoneInfo("Asia/Tokyo")]), priority=PRIORITIES)
def test_the_zone_of_the_input_does_not_matter(start, shift, priority):
    same_instant = start.astimezone(shift)
    assert utc(sla_due(start, priority)) == utc(sla_due(same_instant, priority))
    assert add_business_days(start, 3) == add_business_days(same_instant, 3)
    assert utc(reopen_deadline(start)) == utc(reopen_deadline(same_instant))


@SETTINGS
@given(moment=MOMENTS)
def test_calendar_windows_keep_the_wall_clock(moment):
    local = chicago(moment)
    for result, days in ((reopen_deadline(moment), 60), (inactivity_flag_at(moment), 180)):
        result_local = chicago(result)
        assert result_local.date() == local.date() + timedelta(days=days)
        wall = datetime.combine(local.date() + timedelta(days=days), local.time())
        if (chicago(wall.replace(tzinfo=CHI)).replace(tzinfo=None)) == wall:
            assert result_local.replace(tzinfo=None) == wall  # the same clock time ...
        else:
            assert result_local.replace(tzinfo=None) == wall + timedelta(hours=1)  # ... or just past a gap
        assert abs((utc(result) - utc(moment)) - timedelta(days=days)) <= timedelta(hours=1)
    deadline = reopen_deadline(moment)
    assert reopen_allowed(moment, deadline)
    assert not reopen_allowed(moment, utc(deadline) + timedelta(microseconds=1))
    flag_at = inactivity_flag_at(moment)
    assert is_inactive(moment, flag_at)
    assert not is_inactive(moment, utc(flag_at) - timedelta(microseconds=1))


@pytest.mark.parametrize("priority", list(Priority))
def test_every_priority_has_a_target(priority):
    assert SLA_TARGETS[priority] > timedelta(0)


@SETTINGS
@given(now=MOMENTS, offset=st.integers(min_value=-4 * 3600 * 10**6, max_value=4 * 3600 * 10**6))
def test_the_reopenable_close_times_agree_with_reopen_allowed(now, offset):
    closed = utc(now) - timedelta(days=60) + timedelta(microseconds=offset)
    ranges = reopenable_closed_at(now)
    inside = any(start <= closed and (end is None or closed < end) for start, end in ranges)
    assert inside == reopen_allowed(closed, now)
