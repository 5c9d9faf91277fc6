"""The SLA watch: support is warned once before a first-response target, at night only for an outage; an
unanswered case is recorded as missed at its target; the lateness is stored with the answer; the contact's
page says where the promise stands and how its target was computed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from cases.casetypes import CaseType
from cases.models import Case, CaseEvent, Priority
from cases.services import case_close, case_reopen, case_set_priority, post_create
from cases.services.common import require_unchanged
from cases.tests.factories import put_in_status, submit_case
from cases.tests.page_helpers import login, url
from cases.workflow import Status
from jobs import runner
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")
WARNED = CaseEvent.Kind.SLA_WARNED
MISSED = CaseEvent.Kind.SLA_MISSED


def at(*args: int, fold: int = 0) -> datetime:
    # As UTC: an aware datetime with fold=1 never compares equal to one of another zone (PEP 495).
    return datetime(*args, tzinfo=CHICAGO, fold=fold).astimezone(UTC)


def submit(personas, when: datetime, priority: Priority = Priority.HIGH, *, assign: bool = True) -> Case:
    outage = priority == Priority.CRITICAL
    with time_machine.travel(when, tick=False):
        case = submit_case(
            district=personas.district_a,
            contact=personas.support,
            priority=priority,
            case_type=CaseType.REPORT_OUTAGE if outage else CaseType.ASK_QUESTION,
            subject="Nobody can log in" if outage else "Where is the attendance report?",
            now=when,
        )
    if assign:
        case = put_in_status(case, Status.ASSIGNED, advisor=personas.advisor, at=when)
    OutboundEmail.objects.all().delete()  # the submission's own e-mails are not what these tests look at
    return case


def run(now: datetime):
    return runner.run("sla-watch", now=now)


def warnings(case: Case) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(key__startswith=f"case-{case.pk}-sla-warning-"))


def events(case: Case, kind: str) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, kind=kind))


def answer(case: Case, personas, when: datetime) -> Case:
    with time_machine.travel(when, tick=False):
        post_create(author=personas.advisor, case=case, body="<p>We are on it.</p>", now=when)
    return Case.objects.get(pk=case.pk)


# --- the warning moment ----------------------------------------------------------------------------------------


def test_thanksgiving_and_the_weekend_hold_the_warning_and_the_target(personas):
    # High, Wednesday before Thanksgiving 15:00: 3 h on Wednesday, 1 h on Monday. The warning (1 business
    # hour before) would fall at Wednesday's closing: it is the same business moment as Monday's opening.
    case = submit(personas, at(2026, 11, 25, 15, 0))
    assert case.first_response_due_at == at(2026, 11, 30, 7, 0)
    assert case.sla_warn_at == at(2026, 11, 30, 6, 0)
    assert case.sla_watch_at == case.sla_warn_at
    for quiet in [at(2026, 11, 25, 18, 0), at(2026, 11, 26, 12, 0), at(2026, 11, 29, 23, 59)]:
        assert run(quiet).due == 0
    first = run(at(2026, 11, 30, 6, 0))
    assert (first.due, first.done) == (1, 1)
    [email] = warnings(case)
    assert email.to_address == personas.advisor.email
    assert f"case #{case.number}" in email.subject
    assert "Due in 1 h 00 min" in email.subject
    assert "Thanksgiving Day, Day after Thanksgiving and the weekend skipped" in email.body_text
    [event] = events(case, WARNED)
    assert event.actor is None
    assert event.data["to"] == str(personas.advisor.pk)
    assert run(at(2026, 11, 30, 6, 30)).due == 0  # warned once
    missed = run(at(2026, 11, 30, 7, 0))
    assert missed.done == 1
    case.refresh_from_db()
    assert case.sla_missed_at == at(2026, 11, 30, 7, 0)
    assert case.sla_watch_at is None
    [miss] = events(case, MISSED)
    assert miss.created_at == at(2026, 11, 30, 7, 0)
    assert len(warnings(case)) == 1


def test_an_unassigned_case_warns_its_teams_queue(personas):
    case = submit(personas, at(2026, 12, 7, 9, 0), assign=False)
    assert case.sla_warn_at == at(2026, 12, 7, 12, 0)
    run(at(2026, 12, 7, 12, 0))
    [email] = warnings(case)
    assert email.to_address == settings.SUPPORT_TEAM_QUEUE_ADDRESSES[case.team]
    assert "It is sent to the Campus Support queue" in email.body_text
    assert events(case, WARNED)[0].data["to"] == f"queue:{case.team}"


def test_christmas_and_new_year_are_skipped(personas):
    # Low, Wednesday 23 December 17:00: 1 h, then Christmas Eve, Christmas and the weekend, 12 h on Monday 28,
    # 11 h on Tuesday 29: due Tuesday 17:00, warned at 16:00.
    christmas = submit(personas, at(2026, 12, 23, 17, 0), Priority.LOW)
    assert christmas.first_response_due_at == at(2026, 12, 29, 17, 0)
    assert christmas.sla_warn_at == at(2026, 12, 29, 16, 0)
    # High, Thursday 31 December 16:00: 2 h, New Year's Day and the weekend, 2 h on Monday 4 January.
    new_year = submit(personas, at(2026, 12, 31, 16, 0))
    assert new_year.first_response_due_at == at(2027, 1, 4, 8, 0)
    assert new_year.sla_warn_at == at(2027, 1, 4, 7, 0)
    for quiet in [at(2026, 12, 24, 10, 0), at(2026, 12, 25, 10, 0), at(2026, 12, 29, 15, 59)]:
        assert run(quiet).due == 0
    run(at(2026, 12, 29, 16, 0))
    assert len(warnings(christmas)) == 1
    assert not warnings(new_year)
    answer(christmas, personas, at(2026, 12, 29, 16, 30))
    assert run(at(2027, 1, 1, 10, 0)).due == 0  # New Year's Day: nothing due
    run(at(2027, 1, 4, 7, 0))
    assert len(warnings(new_year)) == 1


def test_daylight_saving_changes_keep_business_moments_on_the_wall_clock(personas):
    # High, Friday 6 March 2026 17:30 CST; the clocks go forward on Sunday: due Monday 09:30 CDT.
    spring = submit(personas, at(2026, 3, 6, 17, 30))
    assert spring.sla_warn_at == at(2026, 3, 9, 8, 30)
    assert run(at(2026, 3, 9, 8, 29)).due == 0
    run(at(2026, 3, 9, 8, 30))
    assert len(warnings(spring)) == 1
    # High, Friday 30 October 2026 17:30 CDT; the clocks go back on Sunday: warned Monday 08:30 CST.
    fall = submit(personas, at(2026, 10, 30, 17, 30))
    assert fall.sla_warn_at == at(2026, 11, 2, 8, 30)
    assert fall.sla_warn_at.astimezone(CHICAGO).utcoffset() == timedelta(hours=-6)  # CST, submitted in CDT
    run(at(2026, 11, 2, 8, 30))
    assert len(warnings(fall)) == 1


# --- outages, day and night --------------------------------------------------------------------------------------


def test_an_outage_is_warned_and_missed_at_night_in_clock_time(personas):
    case = submit(personas, at(2026, 12, 5, 3, 2), Priority.CRITICAL, assign=False)  # a Saturday
    assert case.oncall_due_at == at(2026, 12, 5, 4, 2)
    assert case.sla_warn_at == at(2026, 12, 5, 3, 47)
    run(at(2026, 12, 5, 3, 47))
    [email] = warnings(case)
    assert email.to_address == settings.SUPPORT_ONCALL_ADDRESS  # the outages' team queue
    assert "Due in 15 min" in email.subject
    assert "One clock hour, day and night" in email.body_text
    run(at(2026, 12, 5, 4, 2))
    case.refresh_from_db()
    assert case.sla_missed_at == at(2026, 12, 5, 4, 2)
    assert events(case, MISSED)[0].data["oncall"] is True


def test_an_outage_across_the_fall_back_night(personas):
    # 01:30 CDT on Sunday 1 November 2026: the on-call hour ends at 01:30 CST, one real hour later.
    case = submit(personas, at(2026, 11, 1, 1, 30, fold=0), Priority.CRITICAL)
    assert case.oncall_due_at == at(2026, 11, 1, 1, 30, fold=1)
    run(at(2026, 11, 1, 1, 15, fold=1))
    assert len(warnings(case)) == 1
    assert run(at(2026, 11, 1, 1, 29, fold=1)).due == 0
    run(at(2026, 11, 1, 1, 30, fold=1))
    assert Case.objects.get(pk=case.pk).sla_missed_at is not None


# --- a warning found due at night ------------------------------------------------------------------------------


def test_a_business_warning_found_due_at_night_waits_for_the_next_opening(personas, settings):
    settings.SLA_WARNING_BUSINESS_MINUTES = 240
    # Medium, Monday 7 December 09:00: due Tuesday 09:00, warned 4 business hours before, Monday 17:00.
    case = submit(personas, at(2026, 12, 7, 9, 0), Priority.MEDIUM)
    assert case.sla_warn_at == at(2026, 12, 7, 17, 0)
    late = run(at(2026, 12, 7, 19, 0))  # the job was down from 16:59
    assert late.done == 1
    assert not warnings(case)
    case.refresh_from_db()
    assert case.sla_watch_at == at(2026, 12, 8, 6, 0)
    assert run(at(2026, 12, 8, 5, 59)).due == 0
    run(at(2026, 12, 8, 6, 0))
    [email] = warnings(case)
    assert "Due in 3 h 00 min" in email.subject


def test_a_target_passed_overnight_is_missed_at_once_and_told_once_at_the_opening(personas):
    # High, Monday 7 December 13:00: warned 16:00, due 17:00. The job is down from 15:59 until 19:00.
    case = submit(personas, at(2026, 12, 7, 13, 0))
    run(at(2026, 12, 7, 19, 0))
    case.refresh_from_db()
    assert case.sla_missed_at == at(2026, 12, 7, 17, 0)  # a record, day or night
    assert not warnings(case)  # no e-mail at night
    assert case.sla_watch_at == at(2026, 12, 8, 6, 0)
    run(at(2026, 12, 8, 6, 0))
    [email] = warnings(case)
    assert email.subject.startswith("Overdue: first response to case")
    assert "overdue by 1 h 00 min of support hours" in email.body_text
    assert run(at(2026, 12, 8, 7, 0)).due == 0
    assert len(events(case, MISSED)) == 1
    assert len(events(case, WARNED)) == 1


def test_beat_down_for_three_days_sends_one_warning_and_records_one_miss(personas):
    case = submit(personas, at(2026, 12, 7, 13, 0))
    record = run(at(2026, 12, 10, 10, 0))
    assert record.done == 1
    assert len(warnings(case)) == 1
    assert len(events(case, MISSED)) == 1
    for _ in range(3):
        assert run(at(2026, 12, 10, 10, 5)).due == 0
    assert len(warnings(case)) == 1


# --- answers, closes, priority changes ---------------------------------------------------------------------------


def test_an_answer_in_time_stops_the_watch_and_stores_no_lateness(personas):
    case = submit(personas, at(2026, 12, 7, 9, 0))
    case = answer(case, personas, at(2026, 12, 7, 10, 0))
    assert (case.first_response_late_seconds, case.sla_watch_at) == (0, None)
    assert run(at(2026, 12, 7, 16, 0)).due == 0
    assert not warnings(case)
    assert not events(case, MISSED)


def test_a_late_answer_stores_the_lateness_in_business_time(personas):
    # High, Friday 4 December 15:00: due Monday 07:00; answered Monday 07:40: 40 business minutes late,
    # though the weekend lies between.
    case = submit(personas, at(2026, 12, 4, 15, 0))
    run(at(2026, 12, 7, 7, 0))
    case = answer(case, personas, at(2026, 12, 7, 7, 40))
    assert case.first_response_late_seconds == 40 * 60
    assert case.first_response().late_words == "40 min"
    assert len(events(case, MISSED)) == 1


def test_a_late_answer_before_the_job_ran_records_the_miss_itself_once(personas):
    case = submit(personas, at(2026, 12, 4, 15, 0))
    case = answer(case, personas, at(2026, 12, 7, 9, 0))
    assert case.sla_missed_at == at(2026, 12, 7, 7, 0)
    assert case.first_response_late_seconds == 2 * 3600
    assert run(at(2026, 12, 7, 9, 5)).due == 0
    assert len(events(case, MISSED)) == 1


def test_an_outage_answered_late_is_late_by_clock_time(personas):
    case = submit(personas, at(2026, 12, 5, 3, 2), Priority.CRITICAL)
    case = answer(case, personas, at(2026, 12, 5, 5, 32))
    assert case.first_response_late_seconds == 90 * 60
    assert case.first_response().state == "late"


def test_a_closed_case_is_not_watched_and_a_reopened_one_is_again(personas):
    case = submit(personas, at(2026, 12, 7, 9, 0))
    with time_machine.travel(at(2026, 12, 7, 10, 0), tick=False):
        case_close(actor=personas.support, case=case, now=at(2026, 12, 7, 10, 0))
    assert run(at(2026, 12, 7, 16, 0)).due == 0
    with time_machine.travel(at(2026, 12, 7, 16, 30), tick=False):
        case_reopen(actor=personas.support, case=case, details="Still broken.", now=at(2026, 12, 7, 16, 30))
    run(at(2026, 12, 7, 16, 30))
    assert len(warnings(case)) == 1


def test_a_new_priority_plans_a_new_watch_and_keeps_the_old_events(personas):
    case = submit(personas, at(2026, 12, 7, 9, 0))
    run(at(2026, 12, 7, 12, 0))
    with time_machine.travel(at(2026, 12, 7, 12, 10), tick=False):
        case_set_priority(
            actor=personas.advisor,
            case=case,
            priority=Priority.LOW,
            reason="Only a question",
            now=at(2026, 12, 7, 12, 10),
        )
    case.refresh_from_db()
    assert case.first_response_due_at == at(2026, 12, 9, 9, 0)
    assert (case.sla_warned_at, case.sla_warn_at) == (None, at(2026, 12, 9, 8, 0))
    run(at(2026, 12, 9, 8, 0))
    assert len(warnings(case)) == 2
    assert [e.new for e in events(case, WARNED)] == [
        at(2026, 12, 7, 13, 0).isoformat(),
        at(2026, 12, 9, 9, 0).isoformat(),
    ]


def test_the_events_refuse_a_second_warning_for_the_same_target(personas):
    case = submit(personas, at(2026, 12, 7, 9, 0))
    run(at(2026, 12, 7, 12, 0))
    [event] = events(case, WARNED)
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseEvent.objects.create(case=case, kind=WARNED, new=event.new, created_at=event.created_at)


def test_a_warning_does_not_make_an_advisors_open_page_stale(personas):
    case = submit(personas, at(2026, 12, 7, 9, 0))
    seen = CaseEvent.objects.filter(case=case).latest("pk").pk
    run(at(2026, 12, 7, 12, 0))
    with transaction.atomic():
        require_unchanged(case, personas.advisor, seen)  # no StalePage


# --- the command ---------------------------------------------------------------------------------------------------


def test_dry_run_says_what_is_due_and_changes_nothing(personas):
    case = submit(personas, at(2026, 12, 7, 13, 0))
    out = StringIO()
    call_command("run_job", "sla-watch", "--dry-run", "--now", "2026-12-07T17:00-06:00", stdout=out)
    assert "1 due" in out.getvalue()
    assert "record the miss of Mon 7 Dec, 5:00 PM CST; warn the assigned advisor" in out.getvalue()
    assert not warnings(case)
    assert not events(case, MISSED)
    call_command("run_job", "sla-watch", "--now", "2026-12-07T17:00-06:00", stdout=StringIO())
    assert len(warnings(case)) == 1


# --- the contact's page ------------------------------------------------------------------------------------------


def page(client, personas, case: Case, now: datetime) -> str:
    with time_machine.travel(now, tick=False):
        return login(client, personas.support).get(url("detail", case)).content.decode()


def test_the_contacts_page_in_each_state(client, personas):
    case = submit(personas, at(2026, 11, 25, 15, 0))
    html = page(client, personas, case, at(2026, 11, 25, 16, 0))
    assert "Due</span>" in html
    assert "Mon 30 Nov, 7:00 AM" in html
    assert "3 h on Wednesday 25 November and 1 h on Monday 30 November; Thanksgiving Day, Day after " in html
    assert "How the first-response target was computed" in html
    html = page(client, personas, case, at(2026, 11, 30, 8, 0))
    assert (
        'Overdue</span> since <time datetime="2026-11-30T07:00:00-06:00">Mon 30 Nov, 7:00 AM</time>' in html
    )
    late = answer(case, personas, at(2026, 11, 30, 7, 40))
    html = page(client, personas, late, at(2026, 11, 30, 8, 0))
    assert '<span class="sla sla--missed">Missed</span> by 40 min' in html
    assert "Answered 40 min of support hours after the target." in html
    on_time = submit(personas, at(2026, 12, 7, 9, 0))
    on_time = answer(on_time, personas, at(2026, 12, 7, 9, 12))
    html = page(client, personas, on_time, at(2026, 12, 7, 10, 0))
    assert (
        '<span class="sla sla--met">Met</span> at <time datetime="2026-12-07T09:12:00-06:00">Mon 7 Dec, 9:12 AM</time>'
        in html
    )


def test_an_outage_page_explains_the_on_call_hour(client, personas):
    case = submit(personas, at(2026, 12, 5, 3, 2), Priority.CRITICAL)
    html = page(client, personas, case, at(2026, 12, 5, 3, 30))
    assert "One clock hour, day and night, from Saturday 5 December 3:02 AM: due 4:02 AM." in html


def test_the_page_costs_the_same_queries_in_every_state(client, personas):
    counts = []
    case = submit(personas, at(2026, 11, 25, 15, 0))
    for now in [at(2026, 11, 25, 16, 0), at(2026, 11, 30, 8, 0)]:  # due, overdue
        counts.append(_queries(client, personas, case, now))
    run(at(2026, 11, 30, 8, 0))  # warned and missed: two more events, not shown to the district
    counts.append(_queries(client, personas, case, at(2026, 11, 30, 8, 1)))
    late = answer(case, personas, at(2026, 11, 30, 8, 10))
    counts.append(_queries(client, personas, late, at(2026, 11, 30, 8, 20)))
    assert len(set(counts)) == 1, counts


def _queries(client, personas, case: Case, now: datetime) -> int:
    with time_machine.travel(now, tick=False):
        login(client, personas.support).get(url("detail", case))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("detail", case))
    assert response.status_code == 200
    return len(queries)


def test_the_work_page_shows_the_miss_and_the_explanation(client, personas):
    case = submit(personas, at(2026, 12, 4, 15, 0))
    run(at(2026, 12, 7, 7, 0))
    case = answer(case, personas, at(2026, 12, 7, 7, 40))
    with time_machine.travel(at(2026, 12, 7, 8, 0), tick=False):
        html = login(client, personas.advisor).get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert "(missed by 40 min)" in html
    assert "How was this computed?" in html
    assert "the weekend skipped" in html
    assert "recorded that the first response missed its target of Mon 7 Dec, 7:00 AM" in html
    assert "told the advisor that the first response is overdue (target Mon 7 Dec, 7:00 AM)" in html
