"""A Scheduled case names the business day of its planned action; a contact's post leaves the case waiting on
support until an advisor answers in public."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from cases.models import Case
from cases.services import case_close, case_reopen, case_set_status, post_create
from cases.tests.factories import CaseFactory, put_in_status
from cases.tests.helpers import row_counts
from cases.workflow import WHOSE_MOVE, Move, Status

CHICAGO = ZoneInfo("America/Chicago")
# Wednesday 25 November 2026, the day before Thanksgiving.
BEFORE_THANKSGIVING = datetime(2026, 11, 25, 10, 0, tzinfo=CHICAGO)

pytestmark = pytest.mark.django_db


@pytest.fixture
def assigned(personas):
    with time_machine.travel(BEFORE_THANKSGIVING, tick=False):
        case = CaseFactory(district=personas.district_a, contact=personas.support)
        return put_in_status(case, Status.ASSIGNED, advisor=personas.advisor)


def schedule(personas, case: Case, day: date | None) -> Case:
    with time_machine.travel(BEFORE_THANKSGIVING, tick=False):
        return case_set_status(actor=personas.advisor, case=case, status=Status.SCHEDULED, scheduled_for=day)


def test_a_scheduled_case_keeps_its_business_day(personas, assigned):
    schedule(personas, assigned, date(2026, 11, 30))
    stored = Case.objects.get(pk=assigned.pk)
    assert (stored.status, stored.scheduled_for) == (Status.SCHEDULED, date(2026, 11, 30))


@pytest.mark.parametrize(
    ("day", "offered"),
    [
        (date(2026, 11, 26), "Monday 30 November 2026"),  # Thanksgiving
        (date(2026, 11, 27), "Monday 30 November 2026"),  # the day after
        (date(2026, 11, 28), "Monday 30 November 2026"),  # Saturday
        (date(2026, 12, 24), "Monday 28 December 2026"),  # Christmas Eve, then Christmas Day and a weekend
    ],
)
def test_a_weekend_or_support_holiday_is_refused_with_the_next_business_day(personas, assigned, day, offered):
    before = row_counts()
    with pytest.raises(ValidationError) as refused:
        schedule(personas, assigned, day)
    assert f"The next business day is {offered}." in refused.value.messages[0]
    assert row_counts() == before
    assert Case.objects.get(pk=assigned.pk).status == Status.ASSIGNED


@pytest.mark.parametrize("day", [None, date(2026, 11, 24)], ids=["missing", "past"])
def test_a_scheduled_case_needs_a_date_today_or_later(personas, assigned, day):
    before = row_counts()
    with pytest.raises(ValidationError):
        schedule(personas, assigned, day)
    assert row_counts() == before


def test_leaving_scheduled_forgets_the_date(personas, assigned):
    case = schedule(personas, assigned, date(2026, 11, 30))
    case_set_status(actor=personas.advisor, case=case, status=Status.ASSIGNED)
    assert Case.objects.get(pk=case.pk).scheduled_for is None


def test_whose_move_names_every_open_status():
    assert set(WHOSE_MOVE) == set(Status) - {Status.CLOSED}
    assert WHOSE_MOVE[Status.PENDING_CUSTOMER_INPUT] == Move.DISTRICT
    assert WHOSE_MOVE[Status.SCHEDULED] == Move.SCHEDULED


def waiting_since(case: Case) -> datetime | None:
    return Case.objects.get(pk=case.pk).awaiting_support_since


def test_a_contact_post_waits_for_support_from_the_first_unanswered_post(personas, assigned):
    with time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=CHICAGO), tick=False):
        post_create(author=personas.support, case=assigned, body="<p>Any news?</p>")
    with time_machine.travel(datetime(2026, 11, 30, 11, 0, tzinfo=CHICAGO), tick=False):
        post_create(author=personas.technical, case=assigned, body="<p>Still broken here.</p>")
    assert waiting_since(assigned) == datetime(2026, 11, 30, 9, 0, tzinfo=CHICAGO)


def test_an_internal_note_does_not_answer_but_a_public_reply_does(personas, assigned):
    post_create(author=personas.support, case=assigned, body="<p>Any news?</p>")
    post_create(author=personas.advisor, case=assigned, body="<p>Asked dev.</p>", internal=True)
    assert waiting_since(assigned) is not None
    post_create(author=personas.advisor, case=assigned, body="<p>We are on it.</p>")
    assert waiting_since(assigned) is None


def test_a_resolution_answers_the_district(personas, assigned):
    post_create(author=personas.support, case=assigned, body="<p>Any news?</p>")
    case_set_status(
        actor=personas.advisor,
        case=assigned,
        status=Status.PENDING_CUSTOMER_VERIFICATION,
        resolution="<p>Fixed: the import ran again.</p>",
    )
    assert waiting_since(assigned) is None


def test_a_contact_reopening_waits_for_support(personas, assigned):
    case = case_close(actor=personas.support, case=assigned)
    case_reopen(actor=personas.support, case=case, details="<p>It is back.</p>")
    assert waiting_since(case) is not None
