"""The reopen-window job (SPEC §8): once a closed case's 60-day window has ended, it records so, once per close,
with the rule the page and the re-open service ask; it never decides whether a case may be re-opened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from cases.models import Case, CaseEvent
from cases.selectors.case_page import actions_for
from cases.selectors.reopen import recently_closed, reopen_allowed, reopen_deadline
from cases.services import case_close, case_reopen
from cases.tests.factories import put_in_status, submit_case
from cases.workflow import Status, WorkflowError
from jobs import runner
from tests.helpers import run_together

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")
# Closed in standard time; the window ends in daylight time, at 03:30 CDT on the day of the spring change (the
# 02:30 of that day does not exist on the clock: CALENDAR.md).
CLOSED = datetime(2027, 1, 13, 2, 30, tzinfo=CHICAGO)
DEADLINE = datetime(2027, 3, 14, 3, 30, tzinfo=CHICAGO)
MICROSECOND = timedelta(microseconds=1)


def closed_case(personas, at: datetime = CLOSED) -> Case:
    case = submit_case(district=personas.district_a, contact=personas.support)
    case = put_in_status(case, Status.ASSIGNED, advisor=personas.advisor, at=at - timedelta(days=1))
    return case_close(actor=personas.support, case=case, now=at)


def ended_events(case: Case | None = None) -> list[CaseEvent]:
    events = CaseEvent.objects.filter(kind=CaseEvent.Kind.REOPEN_WINDOW_ENDED)
    return list(events.filter(case=case) if case is not None else events)


def test_a_close_stores_when_its_window_ends_and_a_re_open_clears_it(personas):
    case = closed_case(personas)
    assert reopen_deadline(case) == DEADLINE
    assert Case.objects.get(pk=case.pk).reopen_window_ends_at == DEADLINE
    case_reopen(
        actor=personas.support, case=case, details="<p>Still broken.</p>", now=CLOSED + timedelta(days=1)
    )
    assert Case.objects.get(pk=case.pk).reopen_window_ends_at is None


def test_the_end_is_recorded_once_just_after_the_deadline_across_the_dst_change(personas):
    case = closed_case(personas)
    before = Case.objects.values("updated_at", "public_updated_at", "status").get(pk=case.pk)
    at_deadline = runner.run("reopen-window", now=DEADLINE)
    assert (at_deadline.due, at_deadline.done) == (0, 0)  # the last moment it may still be re-opened

    run = runner.run("reopen-window", now=DEADLINE + MICROSECOND)
    assert (run.due, run.done, run.failed) == (1, 1, 0)
    [event] = ended_events(case)
    assert event.actor is None
    assert event.new == CLOSED.astimezone(UTC).isoformat()
    assert event.data == {"deadline": DEADLINE.isoformat()}
    assert event.created_at == DEADLINE + MICROSECOND
    # Nobody changed the case: its "last modified" stays; only the due moment is gone.
    assert Case.objects.values("updated_at", "public_updated_at", "status").get(pk=case.pk) == before
    assert Case.objects.get(pk=case.pk).reopen_window_ends_at is None

    for later in (timedelta(minutes=15), timedelta(days=3), timedelta(days=400)):
        assert runner.run("reopen-window", now=DEADLINE + later).due == 0
    assert len(ended_events(case)) == 1


def test_the_page_the_service_the_quick_view_and_the_job_turn_at_the_same_moment(personas):
    case = closed_case(personas)
    cases = Case.objects.filter(district=personas.district_a)
    assert reopen_allowed(case, DEADLINE)
    assert actions_for(personas.support, case, now=DEADLINE).reopen
    assert case in recently_closed(cases, DEADLINE)
    assert runner.run("reopen-window", now=DEADLINE).done == 0

    after = DEADLINE + MICROSECOND
    assert not reopen_allowed(case, after)
    assert not actions_for(personas.support, case, now=after).reopen
    assert case not in recently_closed(cases, after)
    with pytest.raises(WorkflowError, match="more than 60 days ago"):
        case_reopen(actor=personas.support, case=case, details="<p>Again.</p>", now=after)
    assert runner.run("reopen-window", now=after).done == 1


def test_each_close_has_its_own_window_and_a_re_opened_one_records_nothing(personas):
    case = closed_case(personas)
    case_reopen(
        actor=personas.support, case=case, details="<p>Still broken.</p>", now=CLOSED + timedelta(days=10)
    )
    second = CLOSED + timedelta(days=20)
    case_close(actor=personas.support, case=Case.objects.get(pk=case.pk), now=second)
    runner.run("reopen-window", now=second + timedelta(days=61))
    [event] = ended_events(case)
    assert event.new == second.astimezone(UTC).isoformat()


def test_the_dry_run_says_what_would_be_recorded_and_records_nothing(personas):
    case = closed_case(personas)
    out = StringIO()
    call_command("run_job", "reopen-window", "--dry-run", "--now", "2027-03-15T09:00-05:00", stdout=out)
    assert "1 due" in out.getvalue()
    assert (
        f"would record that the reopen window of case #{case.number} ended (2027-03-14 03:30 CDT)"
        in out.getvalue()
    )
    assert ended_events() == []


@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_record_each_end_once(personas):
    cases = [closed_case(personas, CLOSED + timedelta(minutes=i)) for i in range(20)]
    now = DEADLINE + timedelta(days=1)
    results = run_together(*(lambda: runner.run("reopen-window", now=now) for _ in range(2)))
    assert [kind for kind, _ in results] == ["ok", "ok"]
    assert sum(run.done for _, run in results) == len(cases)
    assert sum(run.failed for _, run in results) == 0
    assert sorted(e.case_id for e in ended_events()) == sorted(c.pk for c in cases)
