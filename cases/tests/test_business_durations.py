"""Business time to the first response and to the resolution, stored on the case when those moments happen, so
reports take medians and percentiles in SQL. The expected figures come from the support calendar's reference
vectors (tests/data/calendar_vectors.json) or are counted by hand in the comments."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import F
from django.urls import reverse

from cases.casetypes import CaseType
from cases.models import Case, Priority
from cases.services import case_close, case_reopen, case_set_status, post_create
from cases.tests.factories import put_in_status, submit_case
from cases.workflow import Status

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
HOUR = 3600
VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "tests" / "data" / "calendar_vectors.json").read_text(
        encoding="utf-8"
    )
)
SLA = {vector["id"]: vector for vector in VECTORS["sla_due"]}

# Friday 9 October 2026, 16:00; Monday 12 October (Columbus Day) is a business day (vector sla-47).
FRIDAY_4PM = datetime(2026, 10, 9, 16, 0, tzinfo=CHICAGO)
MONDAY_9AM = datetime(2026, 10, 12, 9, 0, tzinfo=CHICAGO)


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def submitted(personas, moment: datetime, **kwargs) -> Case:
    with at(moment):
        case = submit_case(district=personas.district_a, contact=personas.support, **kwargs)
    return put_in_status(case, Status.ASSIGNED, advisor=personas.advisor, at=moment)


def answer(personas, case: Case, how: str) -> None:
    """The advisor's first public answer: a post, or the written resolution (Pending Customer Verification)."""
    if how == "post":
        post_create(author=personas.advisor, case=case, body="<p>We are looking at it.</p>")
    else:
        case_set_status(
            actor=personas.advisor,
            case=case,
            status=Status.PENDING_CUSTOMER_VERIFICATION,
            resolution="<p>Fixed: re-run the sync.</p>",
        )


def stored(case: Case) -> tuple[int | None, int | None]:
    case = Case.objects.get(pk=case.pk)
    return case.first_response_business_seconds, case.resolution_business_seconds


@pytest.mark.parametrize("how", ["post", "resolution"])
def test_the_first_response_stores_the_business_time_it_took(personas, how):
    case = submitted(personas, FRIDAY_4PM)
    with at(MONDAY_9AM):
        answer(personas, case, how)
    # Friday 16:00-18:00 and Monday 06:00-09:00: five business hours of the 65 clock hours.
    assert stored(case) == (5 * HOUR, None)


def test_the_stored_first_response_time_is_the_calendars(personas):
    # sla-47: submitted Friday 17:00, High, due Monday 09:00 after exactly its 4 business hours.
    vector = SLA["sla-47"]
    case = submitted(personas, datetime.fromisoformat(vector["submitted"]), priority=Priority.HIGH)
    with at(datetime.fromisoformat(vector["due"])):
        answer(personas, case, "post")
    assert stored(case) == (vector["business_hours"] * HOUR, None)
    assert Case.objects.get(pk=case.pk).first_response_met is True


def test_a_critical_case_stores_business_time_and_its_clock_time_is_a_subtraction(personas):
    # sla-13: a Critical outage on Saturday 11:00; the business clock starts Monday 06:00 and its first business
    # hour ends at 07:00. On-call's target is one clock hour, which reports read from the stored moments.
    vector = SLA["sla-13"]
    answered = datetime.fromisoformat(vector["due"])
    case = submitted(
        personas,
        datetime.fromisoformat(vector["submitted"]),
        case_type=CaseType.REPORT_OUTAGE,
        priority=Priority.CRITICAL,
    )
    with at(answered):
        answer(personas, case, "post")
    assert stored(case) == (vector["business_hours"] * HOUR, None)
    clock = (
        Case.objects.filter(pk=case.pk).values_list(F("first_response_at") - F("created_at"), flat=True).get()
    )
    assert clock == timedelta(hours=44)


def test_only_the_first_response_is_measured(personas):
    case = submitted(personas, FRIDAY_4PM)
    with at(MONDAY_9AM):
        answer(personas, case, "post")
    with at(MONDAY_9AM + timedelta(hours=3)):
        answer(personas, case, "post")
    assert stored(case) == (5 * HOUR, None)


def test_closing_stores_the_resolution_time_reopening_clears_it_and_the_next_close_stores_the_new_one(
    personas,
):
    case = submitted(personas, FRIDAY_4PM)
    with at(MONDAY_9AM):
        answer(personas, case, "post")
    with at(datetime(2026, 10, 12, 11, 0, tzinfo=CHICAGO)):
        case_close(actor=personas.support, case=case)
    # Friday 16:00-18:00 and Monday 06:00-11:00.
    assert stored(case) == (5 * HOUR, 7 * HOUR)

    with at(datetime(2026, 10, 13, 8, 0, tzinfo=CHICAGO)):
        case_reopen(actor=personas.support, case=case, details="<p>Period 3 is wrong again.</p>")
    assert stored(case) == (5 * HOUR, None)

    with at(datetime(2026, 10, 14, 10, 0, tzinfo=CHICAGO)):
        case_close(actor=personas.advisor, case=case)
    # From the submission to the last close: Friday 2 h, Monday 12 h, Tuesday 12 h, Wednesday 06:00-10:00.
    assert stored(case) == (5 * HOUR, 30 * HOUR)


def test_a_case_closed_without_an_answer_has_a_resolution_time_and_no_first_response_time(personas):
    case = submitted(personas, FRIDAY_4PM)
    with at(datetime(2026, 10, 10, 9, 0, tzinfo=CHICAGO)):  # Saturday: no business time passes
        case_close(actor=personas.support, case=case)
    assert stored(case) == (None, 2 * HOUR)


def test_advisors_read_the_stored_durations_in_the_admin(client, personas):
    case = submitted(personas, FRIDAY_4PM)
    with at(MONDAY_9AM):
        answer(personas, case, "post")
    client.force_login(personas.advisor)
    html = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "5 h 00 min of business hours" in html
