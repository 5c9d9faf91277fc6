"""F4 of RELIABILITY §3: one contact, five cases closed the same minute, two survey job runs at once against the
real PostgreSQL. The contact's row lock makes the decisions take turns: exactly one survey e-mail in 30 days,
and none after an opt-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jobs.runner import run
from outbox import services as outbox_services
from surveys.models import Survey, SurveyOptOut
from surveys.services import survey_opt_out
from surveys.tests.helpers import closed_case, survey_mails, token_of
from tests.helpers import run_together

MINUTE = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


@pytest.fixture
def no_broker(monkeypatch):
    """These tests commit: the outbox rows they write stay in the outbox instead of going to the broker."""
    monkeypatch.setattr(outbox_services, "schedule_delivery", lambda pk: None)


def two_runs_at_once(now: datetime) -> None:
    results = run_together(lambda: run("survey", now=now), lambda: run("survey", now=now))
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    assert sum(record.failed for _, record in results) == 0


@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_two_workers_send_one_survey_for_five_cases_closed_the_same_minute(personas, no_broker) -> None:
    cases = [closed_case(personas, at=MINUTE + timedelta(seconds=10 * i)) for i in range(5)]

    two_runs_at_once(MINUTE + timedelta(minutes=5))

    [email] = survey_mails(personas.support)
    states = sorted((s.state, s.skip_reason) for s in Survey.objects.filter(case__in=cases))
    assert states == [("sent", "")] + [("skipped", "recent")] * 4

    # Within the 30 days, five more closed cases: still that one e-mail.
    later = [closed_case(personas, at=MINUTE + timedelta(days=29)) for _ in range(5)]
    two_runs_at_once(MINUTE + timedelta(days=29, minutes=5))
    assert survey_mails(personas.support) == [email]
    assert set(Survey.objects.filter(case__in=later).values_list("skip_reason", flat=True)) == {"recent"}

    # After an opt-out, not even after 30 days.
    survey_opt_out(token=token_of(email), via=SurveyOptOut.Via.ONE_CLICK, now=MINUTE + timedelta(days=1))
    after = [closed_case(personas, at=MINUTE + timedelta(days=45)) for _ in range(5)]
    two_runs_at_once(MINUTE + timedelta(days=45, minutes=5))
    assert survey_mails(personas.support) == [email]
    assert set(Survey.objects.filter(case__in=after).values_list("skip_reason", flat=True)) == {"opted_out"}


@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_two_workers_with_several_contacts_send_one_survey_each(personas, no_broker) -> None:
    contacts = [personas.support, personas.technical, personas.implementation]
    for contact in contacts:
        for _ in range(3):
            closed_case(personas, contact=contact, at=MINUTE)
    two_runs_at_once(MINUTE + timedelta(minutes=5))
    assert [len(survey_mails(contact)) for contact in contacts] == [1, 1, 1]
    assert not Survey.objects.filter(state=Survey.State.PENDING).exists()
