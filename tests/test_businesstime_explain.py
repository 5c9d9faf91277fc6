"""The first-response target explained in words: across weekends, holidays and both daylight-saving changes,
and never disagreeing with the due time ``sla_due`` computes (every SLA vector walked through both)."""

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from portal.lib import businesstime
from portal.lib.businesstime_explain import explain_business_due, explain_oncall_due, hours_words

CHICAGO = ZoneInfo("America/Chicago")
HOUR = timedelta(hours=1)
VECTORS = json.loads((Path(__file__).parent / "data" / "calendar_vectors.json").read_text())


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)


def test_thanksgiving_and_the_weekend_are_skipped():
    explained = explain_business_due(at(2026, 11, 25, 16, 0), 4 * HOUR)
    assert explained.sentence == (
        "4 business hours: 2 h on Wednesday 25 November and 2 h on Monday 30 November; Thanksgiving Day, "
        "Day after Thanksgiving and the weekend skipped."
    )
    assert explained.due == at(2026, 11, 30, 8, 0)
    assert explained.text.endswith("Due Monday 30 November 8:00 AM.")


def test_a_plain_weekend():
    explained = explain_business_due(at(2026, 12, 4, 15, 0), 4 * HOUR)
    assert explained.sentence == (
        "4 business hours: 3 h on Friday 4 December and 1 h on Monday 7 December; the weekend skipped."
    )


def test_a_target_inside_one_day_skips_nothing():
    explained = explain_business_due(at(2026, 12, 7, 9, 0), 4 * HOUR)
    assert explained.sentence == "4 business hours: 4 h on Monday 7 December."
    assert not explained.started_late


def test_a_submission_at_night_starts_the_clock_at_the_next_opening():
    explained = explain_business_due(at(2026, 11, 28, 21, 14), 12 * HOUR)
    assert explained.started_late
    assert explained.text == (
        "Submitted Saturday 28 November 9:14 PM, outside support hours: the clock started at the next opening, "
        "Monday 30 November 6:00 AM. 12 business hours (one business day): 12 h on Monday 30 November; the "
        "weekend skipped. Due Monday 30 November 6:00 PM."
    )


def test_christmas_and_new_year():
    # Christmas 2026: Thursday 24 and Friday 25 closed; New Year's Day 2027 is a Friday.
    christmas = explain_business_due(at(2026, 12, 23, 17, 0), 24 * HOUR)
    assert christmas.sentence == (
        "24 business hours (two business days): 1 h on Wednesday 23 December, 12 h on Monday 28 December and "
        "11 h on Tuesday 29 December; Christmas Eve, Christmas Day and the weekend skipped."
    )
    new_year = explain_business_due(at(2026, 12, 31, 14, 0), 24 * HOUR)
    assert new_year.sentence == (
        "24 business hours (two business days): 4 h on Thursday 31 December, 12 h on Monday 4 January and "
        "8 h on Tuesday 5 January; New Year's Day and the weekend skipped."
    )
    assert new_year.due == businesstime.sla_due(at(2026, 12, 31, 14, 0), "Low")


def test_the_2027_christmas_shift_names_the_observed_days():
    # Christmas Eve Friday, Christmas Saturday: closed Thursday 23 and Friday 24; New Year 2028 on a Saturday
    # closes Friday 31 December 2027.
    explained = explain_business_due(at(2027, 12, 22, 14, 0), 24 * HOUR)
    assert "Christmas Day (observed), Christmas Eve and the weekend skipped" in explained.sentence
    late = explain_business_due(at(2027, 12, 30, 17, 0), 4 * HOUR)
    assert late.sentence == (
        "4 business hours: 1 h on Thursday 30 December and 3 h on Monday 3 January; New Year's Day (observed) "
        "and the weekend skipped."
    )


def test_two_weekends_are_told_apart():
    explained = explain_business_due(at(2026, 11, 20, 17, 0), 48 * HOUR)
    assert "the weekend of 21\u201322 November" in explained.sentence
    assert "the weekend of 28\u201329 November" in explained.sentence


@pytest.mark.parametrize(
    ("start", "due"),
    [
        # Spring forward (Sunday 8 March 2026): 30 min Friday, 3 h 30 Monday, the offset changes.
        (at(2026, 3, 6, 17, 30), at(2026, 3, 9, 9, 30)),
        # Fall back (Sunday 1 November 2026).
        (at(2026, 10, 30, 17, 30), at(2026, 11, 2, 9, 30)),
    ],
)
def test_daylight_saving_changes_do_not_touch_business_hours(start, due):
    explained = explain_business_due(start, 4 * HOUR)
    assert explained.due == due
    assert explained.due.utcoffset() != start.utcoffset()
    assert "30 min on Friday" in explained.sentence
    assert "3 h 30 min on Monday" in explained.sentence
    assert "the weekend skipped" in explained.sentence


def test_the_on_call_hour_is_clock_time_and_says_when_the_clocks_changed():
    assert explain_oncall_due(at(2026, 12, 5, 3, 2)) == (
        "One clock hour, day and night, from Saturday 5 December 3:02 AM: due 4:02 AM."
    )
    fall_back = explain_oncall_due(datetime(2026, 11, 1, 1, 30, tzinfo=CHICAGO, fold=0))
    assert fall_back.endswith("due 1:30 AM (the clocks went back an hour in between).")
    spring = explain_oncall_due(at(2026, 3, 8, 1, 30))
    assert spring.endswith("due 3:30 AM (the clocks went forward an hour in between).")
    night = explain_oncall_due(at(2026, 12, 31, 23, 30))
    assert night.endswith("due Friday 1 January 12:30 AM.")


def test_hours_words():
    assert hours_words(HOUR) == "1 business hour"
    assert hours_words(4 * HOUR) == "4 business hours"
    assert hours_words(24 * HOUR) == "24 business hours (two business days)"
    assert hours_words(timedelta(minutes=90)) == "1 h 30 min of business time"


@pytest.mark.parametrize("vector", VECTORS["sla_due"], ids=lambda v: v["id"])
def test_every_sla_vector_is_explained_with_the_due_time_it_has(vector):
    submitted = datetime.fromisoformat(vector["submitted"])
    priority = businesstime.Priority(vector["priority"])
    target = businesstime.SLA_TARGETS[priority]
    explained = explain_business_due(submitted, target)
    assert explained.due == datetime.fromisoformat(vector["due"])
    assert explained.clock_start == datetime.fromisoformat(vector["clock_starts"])
    assert sum((c.amount for c in explained.counted), timedelta(0)) == target
    for counted in explained.counted:
        assert businesstime.is_business_day(counted.day)
    for skipped in explained.skipped:
        assert not businesstime.is_business_day(skipped.first)
