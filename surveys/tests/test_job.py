"""The survey job (SPEC §8, §9): every closed case is eligible; at most one survey per contact in 30 days;
none after an opt-out; never twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from cases.services import case_close, case_reopen
from cases.tests.factories import CallerCaseFactory, put_in_status, submit_case
from cases.workflow import Status
from jobs.runner import plan, run
from outbox.services import build_message
from surveys.models import Survey, SurveyOptOut
from surveys.services import due_surveys
from surveys.tests.helpers import closed_case, survey_mails, token_of

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # 09:00 Central


def test_every_kind_of_close_makes_the_case_eligible(personas) -> None:
    by_advisor = closed_case(personas, at=MONDAY)
    by_contact = closed_case(personas, at=MONDAY, by=personas.support)
    by_job = submit_case(district=personas.district_a, contact=personas.support, now=MONDAY)
    by_job = put_in_status(by_job, Status.PENDING_CUSTOMER_VERIFICATION, advisor=personas.advisor, at=MONDAY)
    case_close(actor=None, case=by_job, now=MONDAY)

    surveys = Survey.objects.filter(state=Survey.State.PENDING).order_by("case__number")
    assert [(s.case_id, s.contact, s.closed_at) for s in surveys] == [
        (case.pk, personas.support, MONDAY) for case in (by_advisor, by_contact, by_job)
    ]


def test_the_job_mails_the_survey_with_a_one_click_unsubscribe(personas) -> None:
    case = closed_case(personas, at=MONDAY)

    record = run("survey", now=MONDAY + timedelta(minutes=5))

    assert (record.due, record.done) == (1, 1)
    [email] = survey_mails(personas.support)
    assert email.key == f"case-{case.pk}-survey"
    assert f"How did we do on case #{case.number}?" in email.subject
    assert "Courtesy, Knowledge, Timeliness, Quality and Overall Service" in email.body_text
    token = token_of(email)
    message = build_message(email)
    assert message.extra_headers["List-Unsubscribe"] == f"<{settings.SITE_URL}/survey/{token}/unsubscribe/>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["Message-ID"] == email.message_id
    survey = Survey.objects.get(case=case)
    assert survey.state == Survey.State.SENT
    assert token not in survey.token_hash  # only its hash is stored
    assert survey.expires_at == survey.sent_at + timedelta(days=30)


def test_a_contact_gets_at_most_one_survey_in_30_days(personas) -> None:
    first = closed_case(personas, at=MONDAY)
    run("survey", now=MONDAY)
    with time_machine.travel(MONDAY + timedelta(days=29, hours=23), tick=False):
        second = closed_case(personas)
        run("survey")
    with time_machine.travel(MONDAY + timedelta(days=30, minutes=1), tick=False):
        third = closed_case(personas)
        run("survey")

    assert [email.key for email in survey_mails(personas.support)] == [
        f"case-{first.pk}-survey",
        f"case-{third.pk}-survey",
    ]
    assert Survey.objects.get(case=second).skip_reason == Survey.SkipReason.RECENT


def test_the_30_days_are_per_contact(personas) -> None:
    closed_case(personas, at=MONDAY)
    closed_case(personas, contact=personas.technical, at=MONDAY)
    run("survey", now=MONDAY)
    assert len(survey_mails(personas.support)) == 1
    assert len(survey_mails(personas.technical)) == 1


def test_no_survey_after_an_opt_out(personas) -> None:
    SurveyOptOut.objects.create(user=personas.support, created_at=MONDAY, via=SurveyOptOut.Via.PAGE)
    case = closed_case(personas, at=MONDAY)
    run("survey", now=MONDAY + timedelta(days=90))
    assert survey_mails(personas.support) == []
    assert Survey.objects.get(case=case).skip_reason == Survey.SkipReason.OPTED_OUT


def test_no_survey_to_a_deactivated_account_or_a_former_contact(personas) -> None:
    gone = closed_case(personas, contact=personas.technical, at=MONDAY)
    personas.technical.memberships.update(is_active=False)
    inactive = closed_case(personas, at=MONDAY)
    personas.support.is_active = False
    personas.support.save()
    run("survey", now=MONDAY)
    assert Survey.objects.get(case=gone).skip_reason == Survey.SkipReason.NOT_A_CONTACT
    assert Survey.objects.get(case=inactive).skip_reason == Survey.SkipReason.INACTIVE


def test_a_case_reopened_before_its_survey_is_asked_about_after_its_next_close(personas) -> None:
    case = closed_case(personas, at=MONDAY)
    case_reopen(actor=personas.support, case=case, details="<p>Still broken.</p>", now=MONDAY)
    run("survey", now=MONDAY)
    assert survey_mails(personas.support) == []
    assert Survey.objects.get(case=case).skip_reason == Survey.SkipReason.REOPENED

    later = MONDAY + timedelta(days=2)
    case_close(actor=personas.advisor, case=case, now=later)
    run("survey", now=later)
    assert [email.key for email in survey_mails(personas.support)] == [f"case-{case.pk}-survey"]


def test_a_case_closed_again_after_its_survey_is_not_asked_about_twice(personas) -> None:
    case = closed_case(personas, at=MONDAY)
    run("survey", now=MONDAY)
    case_reopen(actor=personas.support, case=case, details="<p>Still broken.</p>", now=MONDAY)
    later = MONDAY + timedelta(days=40)
    case_close(actor=personas.advisor, case=case, now=later)
    run("survey", now=later)
    assert len(survey_mails(personas.support)) == 1


def test_a_callers_case_has_nobody_to_ask(personas) -> None:
    case = CallerCaseFactory(district=personas.district_a)
    case_close(actor=personas.advisor, case=case, now=MONDAY)
    assert not Survey.objects.exists()


def test_running_again_sends_nothing_again(personas) -> None:
    closed_case(personas, at=MONDAY)
    run("survey", now=MONDAY)
    again = run("survey", now=MONDAY)
    assert (again.due, again.done) == (0, 0)
    assert len(survey_mails(personas.support)) == 1


def test_a_survey_is_not_due_before_its_case_closed(personas) -> None:
    closed_case(personas, at=MONDAY)
    record = run("survey", now=MONDAY - timedelta(minutes=1))
    assert record.due == 0
    assert survey_mails(personas.support) == []


def test_the_dry_run_says_what_it_would_do_and_does_nothing(personas, capsys) -> None:
    case = closed_case(personas, at=MONDAY)
    planned = plan("survey", now=MONDAY)
    assert planned.rows[0][1] == f"would send case #{case.number}'s survey to {personas.support.email}"
    call_command("run_job", "survey", "--dry-run", "--now", "2026-12-07T09:30-06:00")
    assert f"case #{case.number}" in capsys.readouterr().out
    assert Survey.objects.get(case=case).state == Survey.State.PENDING
    assert survey_mails(personas.support) == []


def test_the_link_in_the_mail_opens_the_survey(personas, client) -> None:
    case = closed_case(personas, at=MONDAY)
    run("survey", now=MONDAY)
    [email] = survey_mails(personas.support)
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        response = client.get(f"/survey/{token_of(email)}/")
    assert response.status_code == 200
    assert f"How did we do on case #{case.number}?" in response.content.decode()


def test_the_job_reads_only_due_rows_through_its_indexes(personas) -> None:
    """The due query and the 30-day check can use their partial indexes (the test tables are too small for the
    planner to prefer them on its own, so sequential scans are switched off for the plan)."""
    closed_case(personas, at=MONDAY)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    assert "survey_pending_due" in due_surveys(MONDAY).explain()
    recent = Survey.objects.filter(
        contact=personas.support, state=Survey.State.SENT, sent_at__gt=MONDAY - timedelta(days=30)
    )
    assert "survey_contact_sent" in recent.explain()
