"""The business_calendar management command (no database needed)."""

from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError


def run(*args: str) -> str:
    out = StringIO()
    call_command("business_calendar", *args, stdout=out)
    return out.getvalue()


def test_holidays_2027_lists_the_ten_closures():
    output = run("holidays", "2027")
    lines = output.splitlines()
    assert lines[0] == "Support holidays observed in 2027 (10 days, desk closed):"
    assert lines[1:] == [
        "  2027-01-01  Fri  New Year's Day",
        "  2027-05-31  Mon  Memorial Day",
        "  2027-06-18  Fri  Juneteenth (observed)",
        "  2027-07-05  Mon  Independence Day (observed)",
        "  2027-09-06  Mon  Labor Day",
        "  2027-11-25  Thu  Thanksgiving Day",
        "  2027-11-26  Fri  Day after Thanksgiving",
        "  2027-12-23  Thu  Christmas Day (observed)",
        "  2027-12-24  Fri  Christmas Eve",
        "  2027-12-31  Fri  New Year's Day (observed)",
    ]


def test_holidays_2028_has_no_january_holiday_and_tuesday_26_december():
    output = run("holidays", "2028")
    assert "(8 days" in output
    assert "2028-01-" not in output
    assert "  2028-12-26  Tue  Christmas Eve (observed)" in output


def test_due_for_high_at_chicago_wall_time():
    output = run("due", "--priority", "High", "--at", "2027-12-22 14:00")
    assert "Submitted:     Wed 2027-12-22 14:00 CST (UTC-06:00)" in output
    assert "Clock starts:  Wed 2027-12-22 14:00 CST (UTC-06:00)" in output
    assert "High (4 business hours) due:" in output
    assert output.rstrip().endswith("Wed 2027-12-22 18:00 CST (UTC-06:00)")  # sla-35
    assert "Low" not in output
    assert "On-call" not in output


def test_due_accepts_an_offset_and_any_letter_case():
    output = run("due", "--priority", "critical", "--at", "2026-02-13T23:59:00Z")  # sla-46, given in UTC
    assert "Submitted:     Fri 2026-02-13 17:59 CST (UTC-06:00)" in output
    assert "Critical (1 business hour) due:" in output
    assert "Mon 2026-02-16 06:59 CST (UTC-06:00)" in output
    assert "On-call page (1 clock hour) due:       Fri 2026-02-13 18:59 CST (UTC-06:00)" in output


def test_due_without_priority_shows_all_four():
    output = run("due", "--at", "2025-10-18 11:00")  # a Saturday: clock starts Monday 06:00
    assert "Clock starts:  Mon 2025-10-20 06:00 CDT (UTC-05:00)" in output
    for label in ("Critical (1 business hour)", "High (4 business hours)", "Medium (12", "Low (24"):
        assert label in output
    assert "Tue 2025-10-21 18:00 CDT" in output  # Low, sla-14


def test_due_in_the_repeated_hour_takes_the_first_and_says_so():
    output = run("due", "--priority", "Critical", "--at", "2025-11-02 01:30")
    assert "happens twice" in output
    assert "Submitted:     Sun 2025-11-02 01:30 CDT (UTC-05:00)" in output


@time_machine.travel(datetime(2026, 2, 4, 16, 0, tzinfo=UTC), tick=False)
def test_due_defaults_to_now():
    output = run("due", "--priority", "High")
    assert "Submitted:     Wed 2026-02-04 10:00 CST" in output
    assert "Wed 2026-02-04 14:00 CST" in output


def test_days_marks_the_3x10_schedule():
    output = run("days", "--at", "2027-12-17 12:00")  # fu-07
    lines = output.splitlines()
    assert len(lines) == 11
    assert "3  Wed 2027-12-22" in lines[3]
    assert "follow-up 1" in lines[3]
    assert "9  Tue 2028-01-04" in lines[9]
    assert "follow-up 3" in lines[9]
    assert "10  Wed 2028-01-05  deadline Wed 2028-01-05 18:00 CST" in lines[10]
    assert "auto-close" in lines[10]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("due", "--priority", "Urgent", "--at", "2027-12-22 14:00"), "is not a priority; use one of"),
        (("due", "--at", "next tuesday"), "is not a date and time"),
        (("due", "--at", "2026-03-08 02:30"), "does not exist in Chicago"),
        (("holidays", "20x7"), "invalid int value"),
        (("holidays", "99999"), "out of range"),
        (("days", "--count", "0"), "--count must be from 1"),
        ((), "required"),
    ],
    ids=["priority", "at", "skipped-hour", "year-not-int", "year-range", "count", "no-action"],
)
def test_bad_input_is_a_command_error(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
