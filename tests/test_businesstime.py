"""Business time: every reference vector of tests/data/calendar_vectors.json, the holiday lists 2020-2035,
edge cases at the boundaries of business hours, and bad input.

The vectors (a copy of ../shared/calendar_vectors.json) were computed by an independent reference; more of
the same kinds are run against the module outside the repository, so the rule is also checked here against
an arithmetic restatement of CALENDAR.md §2 (see ``rule_closures``) over a whole century.
"""

import ast
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest

from portal.lib import businesstime as bt
from portal.lib.businesstime import (
    SLA_TARGETS,
    SUPPORT_CALENDAR,
    SUPPORT_TZ,
    BusinessTimeError,
    NaiveDatetimeError,
    Priority,
    SupportHolidays,
    UnknownPriorityError,
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
    observed_holidays,
    oncall_due,
    reopen_allowed,
    reopen_deadline,
    reopenable_closed_at,
    sla_due,
)

VECTORS = json.loads((Path(__file__).parent / "data" / "calendar_vectors.json").read_text(encoding="utf-8"))
P = datetime.fromisoformat
CHI = ZoneInfo("America/Chicago")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ONE_US = timedelta(microseconds=1)


def by_id(section: str) -> pytest.MarkDecorator:
    """Parametrize a test over one section of the vectors, with each vector's id as the test id."""
    cases = VECTORS[section]
    return pytest.mark.parametrize("v", cases, ids=[case["id"] for case in cases])


def local(*args: int) -> datetime:
    """A Chicago wall-clock moment (never ambiguous in these tests)."""
    return datetime(*args, tzinfo=CHI)


def test_vector_file_has_the_known_sections():
    # A new kind of vector in an updated file must get a test here, not be skipped silently.
    assert set(VECTORS) == {
        "meta",
        "holidays_by_year",
        "holidays_extended_dates_only",
        "add_business_days",
        "sla_due",
        "followup_3x10",
        "reopen_window",
        "inactivity",
    }


def test_meta_matches_the_module():
    meta = VECTORS["meta"]
    assert meta["timezone"] == str(SUPPORT_TZ) == "America/Chicago"
    assert {p: timedelta(hours=h) for p, h in meta["sla_business_hours"].items()} == dict(SLA_TARGETS)


# --------------------------------------------------------------------------------------------------------
# Holidays
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", sorted(VECTORS["holidays_by_year"]))
def test_holidays_by_year(year):
    expected = VECTORS["holidays_by_year"][year]
    got = observed_holidays(int(year))
    assert [(d.isoformat(), WEEKDAYS[d.weekday()], name) for d, name in got] == [
        (h["date"], h["weekday"], h["name"]) for h in expected
    ]
    for h in expected:
        # The actual date carries the holiday too (a weekend date when shifted).
        base_name = h["name"].removesuffix(" (observed)")
        assert base_name in SUPPORT_CALENDAR.get_list(date.fromisoformat(h["actual_date"]))
        assert not is_business_day(date.fromisoformat(h["date"]))


@pytest.mark.parametrize("year", sorted(VECTORS["holidays_extended_dates_only"]))
def test_holidays_extended_dates_only(year):
    expected = VECTORS["holidays_extended_dates_only"][year]
    assert [d.isoformat() for d, _ in observed_holidays(int(year))] == expected
    # The same set straight from a fresh calendar object, as CALENDAR.md §9 shows.
    cal = SupportHolidays(years=int(year))
    assert sorted(str(d) for d in cal if d.year == int(year) and d.weekday() < 5) == expected


# 2031-2035 are beyond the vector file: the rule of CALENDAR.md §2 gives these lists.
RULE_DERIVED = {
    2031: [
        ("2031-01-01", "New Year's Day"),
        ("2031-05-26", "Memorial Day"),
        ("2031-06-19", "Juneteenth"),
        ("2031-07-04", "Independence Day"),
        ("2031-09-01", "Labor Day"),
        ("2031-11-27", "Thanksgiving Day"),
        ("2031-11-28", "Day after Thanksgiving"),
        ("2031-12-24", "Christmas Eve"),
        ("2031-12-25", "Christmas Day"),
    ],
    2032: [  # Christmas Eve Fri / Christmas Sat: Thu 23 + Fri 24; New Year 2033 (Sat) on Fri 31 Dec 2032
        ("2032-01-01", "New Year's Day"),
        ("2032-05-31", "Memorial Day"),
        ("2032-06-18", "Juneteenth (observed)"),
        ("2032-07-05", "Independence Day (observed)"),
        ("2032-09-06", "Labor Day"),
        ("2032-11-25", "Thanksgiving Day"),
        ("2032-11-26", "Day after Thanksgiving"),
        ("2032-12-23", "Christmas Day (observed)"),
        ("2032-12-24", "Christmas Eve"),
        ("2032-12-31", "New Year's Day (observed)"),
    ],
    2033: [  # no January holiday; Christmas Eve Sat / Christmas Sun: Fri 23 + Mon 26
        ("2033-05-30", "Memorial Day"),
        ("2033-06-20", "Juneteenth (observed)"),
        ("2033-07-04", "Independence Day"),
        ("2033-09-05", "Labor Day"),
        ("2033-11-24", "Thanksgiving Day"),
        ("2033-11-25", "Day after Thanksgiving"),
        ("2033-12-23", "Christmas Eve (observed)"),
        ("2033-12-26", "Christmas Day (observed)"),
    ],
    2034: [  # New Year (Sun) on Mon 2 Jan; Christmas Eve Sun / Christmas Mon: Mon 25 + Tue 26
        ("2034-01-02", "New Year's Day (observed)"),
        ("2034-05-29", "Memorial Day"),
        ("2034-06-19", "Juneteenth"),
        ("2034-07-04", "Independence Day"),
        ("2034-09-04", "Labor Day"),
        ("2034-11-23", "Thanksgiving Day"),
        ("2034-11-24", "Day after Thanksgiving"),
        ("2034-12-25", "Christmas Day"),
        ("2034-12-26", "Christmas Eve (observed)"),
    ],
    2035: [
        ("2035-01-01", "New Year's Day"),
        ("2035-05-28", "Memorial Day"),
        ("2035-06-19", "Juneteenth"),
        ("2035-07-04", "Independence Day"),
        ("2035-09-03", "Labor Day"),
        ("2035-11-22", "Thanksgiving Day"),
        ("2035-11-23", "Day after Thanksgiving"),
        ("2035-12-24", "Christmas Eve"),
        ("2035-12-25", "Christmas Day"),
    ],
}


@pytest.mark.parametrize("year", sorted(RULE_DERIVED))
def test_holidays_2031_to_2035(year):
    assert [(d.isoformat(), name) for d, name in observed_holidays(year)] == RULE_DERIVED[year]


@pytest.mark.parametrize(
    ("year", "closed"),
    [
        (2021, ["2021-12-23", "2021-12-24"]),
        (2022, ["2022-12-23", "2022-12-26"]),
        (2023, ["2023-12-25", "2023-12-26"]),
        (2027, ["2027-12-23", "2027-12-24"]),
        (2028, ["2028-12-25", "2028-12-26"]),
        (2032, ["2032-12-23", "2032-12-24"]),
        (2033, ["2033-12-23", "2033-12-26"]),
        (2034, ["2034-12-25", "2034-12-26"]),
    ],
)
def test_christmas_collision_years(year, closed):
    christmas = [d.isoformat() for d, name in observed_holidays(year) if name.startswith("Christmas")]
    assert christmas == closed


@pytest.mark.parametrize(
    ("year", "observed_on"),
    [(2022, date(2021, 12, 31)), (2028, date(2027, 12, 31)), (2033, date(2032, 12, 31))],
)
def test_new_year_on_saturday_is_observed_on_the_previous_31_december(year, observed_on):
    assert date(year, 1, 1).weekday() == 5
    assert (observed_on, "New Year's Day (observed)") in observed_holidays(year - 1)
    assert not [d for d, name in observed_holidays(year) if d.month == 1]
    assert is_business_day(date(year, 1, 3))  # Monday 3 January is an ordinary business day


@pytest.mark.parametrize(("year", "count"), [(2027, 10), (2028, 8), (2032, 10), (2033, 8), (2034, 9)])
def test_number_of_closures_in_a_year(year, count):
    assert len(observed_holidays(year)) == count


def rule_closures(year: int) -> list[tuple[date, str]]:
    """CALENDAR.md §2 restated with plain date arithmetic (no ``holidays`` package): weekday closures
    observed in ``year``, with their names."""

    def nth_weekday(month: int, weekday: int, nth: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))

    last_monday_of_may = date(year, 5, 31) - timedelta(days=date(year, 5, 31).weekday())
    thanksgiving = nth_weekday(11, 3, 4)
    floating = {
        last_monday_of_may: "Memorial Day",
        nth_weekday(9, 0, 1): "Labor Day",
        thanksgiving: "Thanksgiving Day",
        thanksgiving + timedelta(days=1): "Day after Thanksgiving",
    }
    fixed = {
        date(year, 6, 19): "Juneteenth",
        date(year, 7, 4): "Independence Day",
        date(year, 12, 24): "Christmas Eve",
        date(year, 12, 25): "Christmas Day",
    }
    taken = set(floating) | set(fixed)
    closures = dict(floating)
    for actual, name in fixed.items():
        if actual.weekday() < 5:
            closures[actual] = name
    for actual, name in fixed.items():
        if actual.weekday() < 5:
            continue
        step = timedelta(days=-1 if actual.weekday() == 5 else 1)
        day = actual + step
        while day.weekday() >= 5 or day in taken:
            day += step
        taken.add(day)
        closures[day] = f"{name} (observed)"
    new_year = date(year, 1, 1)
    if new_year.weekday() < 5:
        closures[new_year] = "New Year's Day"
    elif new_year.weekday() == 6:
        closures[date(year, 1, 2)] = "New Year's Day (observed)"
    if date(year + 1, 1, 1).weekday() == 5:
        closures[date(year, 12, 31)] = "New Year's Day (observed)"
    return sorted(closures.items())


@pytest.mark.parametrize("year", range(2000, 2101))
def test_calendar_follows_the_rule(year):
    assert observed_holidays(year) == rule_closures(year)


def test_rule_restatement_agrees_with_the_vectors():
    for year, expected in VECTORS["holidays_extended_dates_only"].items():
        assert [d.isoformat() for d, _ in rule_closures(int(year))] == expected


def test_is_business_day_every_date_2020_to_2035():
    closed = {d for year in range(2020, 2036) for d, _ in observed_holidays(year)}
    day = date(2020, 1, 1)
    while day.year < 2036:
        assert is_business_day(day) == (day.weekday() < 5 and day not in closed), day
        day += timedelta(days=1)


def test_lazy_calendar_is_independent_of_the_order_years_are_filled_in():
    backwards = SupportHolidays()
    for year in range(2036, 2019, -1):
        assert date(year, 6, 1) not in backwards  # fills the year in
    forwards = SupportHolidays(years=range(2020, 2037))
    assert {d for d in backwards if 2020 <= d.year <= 2035} == {d for d in forwards if 2020 <= d.year <= 2035}


def test_federal_holidays_outside_the_support_set_are_business_days():
    us = holidays.US(years=range(2020, 2036))
    support = {d for year in range(2020, 2036) for d, _ in observed_holidays(year)}
    others = {d for d, name in us.items() if d.weekday() < 5 and d not in support}
    names = {us[d] for d in others}
    assert any("Martin Luther King" in n for n in names)
    assert any("Washington" in n for n in names)
    assert any("Columbus" in n for n in names)
    assert any("Veterans" in n for n in names)
    assert all(is_business_day(d) for d in others)


def test_observed_holidays_returns_a_fresh_list():
    first = observed_holidays(2027)
    first.clear()
    assert len(observed_holidays(2027)) == 10


# --------------------------------------------------------------------------------------------------------
# N business days after T
# --------------------------------------------------------------------------------------------------------


@by_id("add_business_days")
def test_add_business_days_vector(v):
    start = P(v["start"])
    assert start.astimezone(CHI).isoformat() == v["start_local"]
    result = add_business_days(start, v["n"])
    assert result.date.isoformat() == v["expected_date"]
    assert WEEKDAYS[result.date.weekday()] == v["expected_weekday"]
    assert result.deadline.isoformat() == v["deadline"]
    assert result.deadline == P(v["deadline"])
    assert result.opening == datetime.combine(result.date, time(6), tzinfo=CHI)
    assert nth_business_day_after(P(v["start_local"]).date(), v["n"]) == result.date


def test_add_business_days_time_of_day_is_ignored():
    # 05:59, 12:00 and 23:59 on the same business day all count from the next day.
    day = [add_business_days(local(2026, 2, 4, h, m), 1).date for h, m in ((5, 59), (12, 0), (23, 59))]
    assert day == [date(2026, 2, 5)] * 3


# --------------------------------------------------------------------------------------------------------
# SLA due times
# --------------------------------------------------------------------------------------------------------


@by_id("sla_due")
def test_sla_due_vector(v):
    submitted = P(v["submitted"])
    assert submitted == P(v["submitted_utc"])
    assert SLA_TARGETS[Priority(v["priority"])] == timedelta(hours=v["business_hours"])
    due = sla_due(submitted, v["priority"])
    assert due.isoformat() == v["due"]
    assert due == P(v["due_utc"])
    assert next_opening(submitted).isoformat() == v["clock_starts"]
    # The due time is exactly the target away in business time, from submission and from the clock start.
    assert business_time_between(submitted, due) == timedelta(hours=v["business_hours"])
    assert business_time_between(next_opening(submitted), due) == timedelta(hours=v["business_hours"])
    # Same answer from the same instant given in UTC or in another zone.
    assert sla_due(P(v["submitted_utc"]), Priority(v["priority"])) == due
    assert sla_due(submitted.astimezone(ZoneInfo("Asia/Tokyo")), v["priority"]).isoformat() == v["due"]
    if v["priority"] == "Critical":
        assert oncall_due(submitted).isoformat() == v["due_clock_1h_if_247"]
        assert oncall_due(submitted) - submitted == timedelta(hours=1)
    else:
        assert "due_clock_1h_if_247" not in v


@pytest.mark.parametrize(
    ("submitted", "priority", "due"),
    [
        (local(2026, 2, 4, 17, 59, 30), "Critical", local(2026, 2, 5, 6, 59, 30)),  # seconds carried over
        (local(2026, 2, 4, 6, 0), "Medium", local(2026, 2, 4, 18, 0)),  # opening instant + 12 h = 18:00
        (local(2026, 2, 4, 14, 0), "High", local(2026, 2, 4, 18, 0)),  # ends exactly at closing
        (local(2026, 2, 4, 14, 0, 0, 1), "High", local(2026, 2, 5, 6, 0, 0, 1)),
        (local(2026, 2, 4, 5, 59, 59), "Critical", local(2026, 2, 4, 7, 0)),
        (local(2026, 2, 6, 18, 0), "Low", local(2026, 2, 10, 18, 0)),
        (local(2025, 11, 26, 6, 0), "Low", local(2025, 12, 1, 18, 0)),  # Wed before Thanksgiving: Wed + Mon
    ],
)
def test_sla_due_boundaries(submitted, priority, due):
    assert sla_due(submitted, priority) == due
    assert sla_due(submitted, priority).tzinfo is SUPPORT_TZ


def test_sla_due_accepts_the_enum_and_its_text():
    at = local(2025, 10, 15, 10, 0)
    for p in Priority:
        assert sla_due(at, p) == sla_due(at, p.value)
    assert [p.value for p in Priority] == ["Critical", "High", "Medium", "Low"]


def test_oncall_due_across_spring_forward():
    # 01:30 CST + 1 real hour is 03:30 CDT on the spring-forward night (sla-31).
    assert oncall_due(local(2026, 3, 8, 1, 30)).isoformat() == "2026-03-08T03:30:00-05:00"


# --------------------------------------------------------------------------------------------------------
# Business hours and business time between two moments
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (local(2026, 2, 4, 5, 59, 59, 999999), False),
        (local(2026, 2, 4, 6, 0), True),
        (local(2026, 2, 4, 17, 59, 59, 999999), True),
        (local(2026, 2, 4, 18, 0), False),
        (local(2026, 2, 7, 10, 0), False),  # Saturday
        (local(2025, 12, 25, 10, 0), False),  # Christmas
        (local(2026, 1, 19, 10, 0), True),  # MLK Day is not a support holiday
        (datetime(2026, 2, 4, 12, 0, tzinfo=UTC), True),  # 06:00 CST
        (datetime(2026, 2, 4, 11, 59, tzinfo=UTC), False),  # 05:59 CST
    ],
)
def test_is_business_time(moment, inside):
    assert is_business_time(moment) is inside


def test_next_opening():
    inside = datetime(2026, 2, 4, 15, 0, tzinfo=UTC)
    assert next_opening(inside) == inside
    assert next_opening(inside).tzinfo is SUPPORT_TZ
    assert next_opening(local(2026, 2, 4, 18, 0)) == local(2026, 2, 5, 6, 0)
    assert next_opening(local(2026, 2, 4, 3, 0)) == local(2026, 2, 4, 6, 0)
    assert next_opening(local(2027, 12, 22, 18, 0)) == local(2027, 12, 27, 6, 0)  # Thu 23, Fri 24 closed


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (local(2026, 2, 4, 10, 0), local(2026, 2, 4, 10, 0), timedelta(0)),
        (local(2026, 2, 4, 10, 0), local(2026, 2, 4, 11, 30), timedelta(minutes=90)),
        (local(2026, 2, 4, 0, 0), local(2026, 2, 5, 0, 0), timedelta(hours=12)),
        (local(2026, 2, 6, 17, 0), local(2026, 2, 9, 7, 0), timedelta(hours=2)),  # over a weekend
        (local(2026, 2, 7, 9, 0), local(2026, 2, 8, 17, 0), timedelta(0)),  # all weekend
        (local(2025, 11, 26, 17, 30), local(2025, 12, 1, 9, 30), timedelta(hours=4)),  # Thanksgiving
        (local(2026, 2, 2, 6, 0), local(2026, 2, 9, 6, 0), timedelta(hours=60)),  # a whole week
        (local(2025, 10, 31, 12, 0), local(2025, 11, 3, 12, 0), timedelta(hours=12)),  # across fall-back
        (local(2026, 3, 6, 12, 0), local(2026, 3, 9, 12, 0), timedelta(hours=12)),  # across spring-forward
        (local(2026, 2, 4, 18, 0), local(2026, 2, 5, 6, 0), timedelta(0)),
    ],
)
def test_business_time_between(start, end, expected):
    assert business_time_between(start, end) == expected
    assert business_time_between(end, start) == -expected  # earlier end: negative, like a subtraction


def test_business_time_between_in_minutes():
    missed_by = business_time_between(local(2026, 2, 4, 11, 0), local(2026, 2, 4, 11, 17, 59))
    assert missed_by // timedelta(minutes=1) == 17


def test_business_time_between_inside_the_repeated_hour():
    first = datetime(2025, 11, 2, 1, 50, tzinfo=CHI)  # CDT
    second = datetime(2025, 11, 2, 1, 10, tzinfo=CHI, fold=1)  # CST, 20 real minutes later
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(minutes=20)
    assert business_time_between(first, second) == timedelta(0)
    assert business_time_between(second, first) == timedelta(0)


def test_reopen_allowed_compares_instants_in_the_repeated_hour():
    # Deadline Sun 2 Nov 2025 01:30 CDT. At 01:10 CST (40 real minutes later) the window is over, even
    # though the wall clock reads earlier; Python compares same-zone datetimes by wall clock, so the module
    # must compare in UTC.
    closed = local(2025, 9, 3, 1, 30)
    deadline = reopen_deadline(closed)
    assert deadline.isoformat() == "2025-11-02T01:30:00-05:00"
    later_on_the_wall_earlier = datetime(2025, 11, 2, 1, 10, tzinfo=CHI, fold=1)
    assert not reopen_allowed(closed, later_on_the_wall_earlier)
    assert reopen_allowed(closed, datetime(2025, 11, 2, 1, 10, tzinfo=CHI))
    assert is_inactive(local(2025, 5, 6, 1, 30), later_on_the_wall_earlier)


def in_ranges(moment: datetime, ranges: list[tuple[datetime, datetime | None]]) -> bool:
    return any(start <= moment and (end is None or moment < end) for start, end in ranges)


def test_the_reopenable_close_times_follow_the_wall_clock_across_spring_forward():
    # Closed 13 Jan 2027 02:30 CST: 14 Mar 02:30 does not exist, the window ends at 03:30 CDT. Closed 03:10 CST
    # it ends at 03:10 CDT. At 03:15 CDT the first may still be re-opened and the second no longer.
    now = datetime(2027, 3, 14, 3, 15, tzinfo=CHI)
    assert reopen_deadline(local(2027, 1, 13, 2, 30)).isoformat() == "2027-03-14T03:30:00-05:00"
    assert reopenable_closed_at(now) == [
        (local(2027, 1, 13, 2, 15), local(2027, 1, 13, 3, 0)),
        (local(2027, 1, 13, 3, 15), None),
    ]
    assert reopen_allowed(local(2027, 1, 13, 2, 30), now)
    assert not reopen_allowed(local(2027, 1, 13, 3, 10), now)


NEAR_DST_2027 = [
    datetime(2027, 3, 14, 8, 0, tzinfo=UTC),  # spring forward: now at the change
    datetime(2027, 5, 13, 8, 0, tzinfo=UTC),  # closed at the spring change
    datetime(2027, 11, 7, 7, 0, tzinfo=UTC),  # fall back: now in the repeated hour
    datetime(2028, 1, 6, 7, 0, tzinfo=UTC),  # closed in the repeated hour
    datetime(2027, 7, 1, 17, 0, tzinfo=UTC),  # an ordinary summer day
]


@pytest.mark.parametrize("change", NEAR_DST_2027, ids=lambda moment: moment.date().isoformat())
def test_the_reopenable_close_times_are_exactly_those_reopen_allowed_accepts(change):
    for now_step in range(-18, 19):  # every 10 minutes, 3 hours either side
        now = change + now_step * timedelta(minutes=10)
        ranges = reopenable_closed_at(now)
        for start, end in ranges:
            assert reopen_allowed(start, now)
            assert not reopen_allowed(start - ONE_US, now) or in_ranges(start - ONE_US, ranges)
            if end is not None:
                assert not reopen_allowed(end, now) or in_ranges(end, ranges)
                assert reopen_allowed(end - ONE_US, now)
        for closed_step in range(-240, 241):  # every minute, 4 hours either side of 60 x 24 hours earlier
            closed = now - timedelta(days=60) + closed_step * timedelta(minutes=1, seconds=1)
            assert in_ranges(closed, ranges) == reopen_allowed(closed, now), (now, closed)


def test_add_business_time():
    assert add_business_time(local(2026, 2, 6, 17, 0), timedelta(hours=2)) == local(2026, 2, 9, 7, 0)
    assert add_business_time(local(2026, 2, 6, 19, 0), timedelta(0)) == local(2026, 2, 9, 6, 0)
    assert add_business_time(local(2026, 2, 6, 12, 0), timedelta(hours=6)) == local(2026, 2, 6, 18, 0)


# --------------------------------------------------------------------------------------------------------
# 3x10 follow-up
# --------------------------------------------------------------------------------------------------------


@by_id("followup_3x10")
def test_followup_3x10_vector(v):
    entered = P(v["entered_pending_verification"])
    schedule = followup_schedule(entered)
    assert [
        (f.number, f.business_day, f.date.isoformat(), f.due_at.isoformat()) for f in schedule.followups
    ] == [(f["number"], f["business_day"], f["date"], f["due_at"]) for f in v["followups"]]
    assert schedule.auto_close_business_day == v["auto_close"]["business_day"]
    assert schedule.auto_close_date.isoformat() == v["auto_close"]["date"]
    assert schedule.auto_close_at.isoformat() == v["auto_close"]["at"]
    assert schedule.entered_at == entered
    # The schedule is the §4 counting: openings of business days 3, 6, 9 and the deadline of day 10.
    assert [f.due_at for f in schedule.followups] == [
        add_business_days(entered, n).opening for n in (3, 6, 9)
    ]
    assert schedule.auto_close_at == add_business_days(entered, 10).deadline


# --------------------------------------------------------------------------------------------------------
# Reopen window and inactivity
# --------------------------------------------------------------------------------------------------------


@by_id("reopen_window")
def test_reopen_window_vector(v):
    closed = P(v["closed_at"])
    last = reopen_deadline(closed)
    assert last.isoformat() == v["last_reopen_moment"]
    assert last == P(v["last_reopen_moment_utc"])
    assert reopen_allowed(closed, last)
    assert not reopen_allowed(closed, last + ONE_US)
    assert reopen_allowed(closed, closed)
    # The alternatives the spec did not choose are really different or were computed as described.
    assert nth_business_day_after(closed.date(), 60).isoformat() == v["alt_60_business_days_not_used"]
    assert (closed.astimezone(UTC) + timedelta(hours=1440)) == P(v["alt_absolute_1440h"])
    assert P(v["alt_end_of_60th_day"]).date() == last.date()


@by_id("inactivity")
def test_inactivity_vector(v):
    last_activity = P(v["last_activity"])
    flag_at = inactivity_flag_at(last_activity)
    assert flag_at.isoformat() == v["flag_at"]
    assert flag_at == P(v["flag_at_utc"])
    assert flag_at.date().isoformat() == v["flag_local_date"]
    assert is_inactive(last_activity, flag_at)
    assert not is_inactive(last_activity, flag_at - ONE_US)
    assert (last_activity.astimezone(UTC) + timedelta(hours=4320)) == P(v["alt_absolute_4320h"])


def test_reopen_deadline_in_the_repeated_hour_takes_the_first_occurrence():
    # 60 dates after 3 Sep 2025 01:30 is Sun 2 Nov 2025 01:30, which happens twice: the first (CDT) counts.
    assert reopen_deadline(local(2025, 9, 3, 1, 30)).isoformat() == "2025-11-02T01:30:00-05:00"


def test_a_non_existent_wall_time_given_in_chicago_means_its_instant():
    # 02:30 on the spring-forward night does not exist; as an aware datetime it is the instant 08:30 UTC
    # (03:30 CDT). The windows count from that instant, whichever zone it is given in.
    imaginary = datetime(2026, 3, 8, 2, 30, tzinfo=CHI)
    same_instant = datetime(2026, 3, 8, 8, 30, tzinfo=UTC)
    assert imaginary.astimezone(UTC) == same_instant
    assert reopen_deadline(imaginary).isoformat() == reopen_deadline(same_instant).isoformat()
    assert reopen_deadline(imaginary).isoformat() == "2026-05-07T03:30:00-05:00"
    assert inactivity_flag_at(imaginary) == inactivity_flag_at(same_instant)


def test_reopen_deadline_in_the_skipped_hour_moves_forward():
    assert reopen_deadline(local(2026, 1, 7, 2, 30)).isoformat() == "2026-03-08T03:30:00-05:00"


# --------------------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------------------

NAIVE = datetime(2026, 2, 4, 10, 0)


AWARE = datetime(2026, 2, 4, 10, 0, tzinfo=CHI)
NAIVE_CALLS = {
    "is_business_time": (lambda: is_business_time(NAIVE), "moment"),
    "next_opening": (lambda: next_opening(NAIVE), "moment"),
    "add_business_days": (lambda: add_business_days(NAIVE, 1), "start"),
    "add_business_time": (lambda: add_business_time(NAIVE, timedelta(hours=1)), "start"),
    "sla_due": (lambda: sla_due(NAIVE, "High"), "submitted_at"),
    "oncall_due": (lambda: oncall_due(NAIVE), "submitted_at"),
    "business_time_between-start": (lambda: business_time_between(NAIVE, AWARE), "start"),
    "business_time_between-end": (lambda: business_time_between(AWARE, NAIVE), "end"),
    "followup_schedule": (lambda: followup_schedule(NAIVE), "entered_at"),
    "reopen_deadline": (lambda: reopen_deadline(NAIVE), "closed_at"),
    "reopen_allowed": (lambda: reopen_allowed(AWARE, NAIVE), "now"),
    "reopenable_closed_at": (lambda: reopenable_closed_at(NAIVE), "now"),
    "inactivity_flag_at": (lambda: inactivity_flag_at(NAIVE), "last_activity"),
    "is_inactive": (lambda: is_inactive(AWARE, NAIVE), "now"),
}


@pytest.mark.parametrize(("call", "argument"), list(NAIVE_CALLS.values()), ids=list(NAIVE_CALLS))
def test_naive_datetime_is_rejected(call, argument):
    with pytest.raises(NaiveDatetimeError, match=rf"^{argument} must be a timezone-aware datetime") as info:
        call()
    assert isinstance(info.value, ValueError)
    assert info.value.argument == argument


@pytest.mark.parametrize("priority", ["Urgent", "high", "HIGH", "", " High", None, 2])
def test_unknown_priority_is_rejected(priority):
    with pytest.raises(
        UnknownPriorityError, match=r"unknown priority .*expected one of: Critical, High, Medium, Low"
    ):
        sla_due(local(2026, 2, 4, 10, 0), priority)


def test_unknown_priority_is_a_value_error():
    assert issubclass(UnknownPriorityError, ValueError)
    assert issubclass(NaiveDatetimeError, BusinessTimeError)


@pytest.mark.parametrize("n", [0, -1, -10])
def test_n_below_one_is_rejected(n):
    with pytest.raises(BusinessTimeError, match="n must be at least 1"):
        add_business_days(local(2026, 2, 4, 10, 0), n)
    with pytest.raises(ValueError, match="n must be at least 1"):
        nth_business_day_after(date(2026, 2, 4), n)


@pytest.mark.parametrize("n", [1.0, "1", True])
def test_n_must_be_an_int(n):
    with pytest.raises(TypeError, match="n must be an int"):
        add_business_days(local(2026, 2, 4, 10, 0), n)


def test_is_business_day_wants_a_date():
    with pytest.raises(TypeError, match="not a datetime"):
        is_business_day(local(2026, 2, 4, 10, 0))
    with pytest.raises(TypeError, match="takes a date"):
        is_business_day("2026-02-04")


def test_a_date_is_not_a_moment():
    with pytest.raises(TypeError, match="submitted_at must be a datetime"):
        sla_due(date(2026, 2, 4), "High")


def test_negative_business_time_cannot_be_added():
    with pytest.raises(BusinessTimeError, match="must not be negative"):
        add_business_time(local(2026, 2, 4, 10, 0), timedelta(minutes=-1))


def test_module_is_framework_free():
    tree = ast.parse(Path(bt.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not [name for name in imported if name.split(".")[0] == "django"]
