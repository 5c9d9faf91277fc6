"""One case per load of the submission form: a second click, or Back and Submit again, files nothing new and
shows the case the form filed (PRG). The confirmation links to the new case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from cases.models import Case
from cases.tests.helpers import form_values, row_counts

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 15, 10, 0, tzinfo=ZoneInfo("America/Chicago"))
URL = reverse("cases:submit", args=["ask-a-question"])


@pytest.fixture(autouse=True)
def wednesday_morning() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def filled_form(client) -> dict[str, list[str]]:
    """The form as loaded once, filled in as a person would."""
    data = form_values(client.get(URL).text)
    data.update(subject=["Report cards will not print"], description=["Every printer, since Monday."])
    return data


def test_the_form_sent_again_files_nothing_and_shows_the_first_case(client, personas):
    client.force_login(personas.support)
    data = filled_form(client)

    first = client.post(URL, data)
    case = Case.objects.get()
    assert first.status_code == 302
    assert first["Location"] == reverse("cases:submitted", args=[case.number])
    before = row_counts()

    again = client.post(URL, data, follow=True)

    assert row_counts() == before  # no case, event, recipient or e-mail
    assert again.redirect_chain == [(reverse("cases:submitted", args=[case.number]), 302)]
    assert f"Case #{case.number} submitted" in again.text
    assert f"This form was already submitted as case #{case.number}; nothing new was filed." in again.text


def test_the_form_sent_again_with_other_values_still_files_nothing(client, personas):
    client.force_login(personas.support)
    data = filled_form(client)
    client.post(URL, data)
    before = row_counts()
    changed = {**data, "subject": ["Report cards still will not print"], "description": [""]}
    response = client.post(URL, changed)
    assert response.status_code == 302
    assert row_counts() == before
    assert Case.objects.get().subject == "Report cards will not print"


def test_each_load_of_the_form_files_its_own_case(client, personas):
    client.force_login(personas.support)
    client.post(URL, filled_form(client))
    client.post(URL, filled_form(client))
    assert Case.objects.count() == 2


def test_a_refused_form_keeps_its_token_so_the_corrected_form_files_one_case(client, personas):
    client.force_login(personas.support)
    data = filled_form(client)
    refused = client.post(URL, {**data, "subject": [""]})
    assert refused.status_code == 400
    assert form_values(refused.text)["token"] == data["token"]
    client.post(URL, data)
    client.post(URL, data)
    assert Case.objects.count() == 1


def test_another_persons_token_gives_them_no_case_of_mine(client, personas):
    client.force_login(personas.support)
    data = filled_form(client)
    client.post(URL, data)
    mine = Case.objects.get()

    client.force_login(personas.technical)
    response = client.post(URL, {**data, "contact": [str(personas.technical.pk)]})

    theirs = Case.objects.exclude(pk=mine.pk).get()
    assert response["Location"] == reverse("cases:submitted", args=[theirs.number])
    assert theirs.submitted_by == personas.technical


def test_the_service_returns_the_first_case_for_the_same_token(personas):
    import uuid

    from cases.services import case_submit

    token = uuid.uuid4()
    kwargs = {
        "submitter": personas.support,
        "district": personas.district_a,
        "contact": personas.support,
        "case_type": "ask_question",
        "subject": "Where is the attendance report?",
        "description": "Not under Reports.",
        "client_token": token,
    }
    first = case_submit(**kwargs)
    before = row_counts()
    assert case_submit(**kwargs) == first
    assert row_counts() == before


def test_the_confirmation_links_to_the_new_case(client, personas):
    client.force_login(personas.support)
    response = client.post(URL, filled_form(client), follow=True)
    case = Case.objects.get()
    link = reverse("cases:detail", args=[case.number])
    assert f'<a class="button" href="{link}">View case #{case.number}</a>' in response.text


def test_two_sends_at_the_same_moment_store_one_case(personas, monkeypatch):
    """The second request passed the early check before the first committed: the unique token refuses its
    row and it returns the first request's case."""
    import uuid

    from cases import services
    from cases.services import submission

    real = submission._case_with_token
    calls: list[int] = []

    def missed_once(token):
        calls.append(1)
        return None if len(calls) == 1 else real(token)

    token = uuid.uuid4()
    kwargs = {
        "submitter": personas.support,
        "district": personas.district_a,
        "contact": personas.support,
        "case_type": "ask_question",
        "subject": "Where is the attendance report?",
        "description": "Not under Reports.",
        "client_token": token,
    }
    first = services.case_submit(**kwargs)
    before = row_counts()
    monkeypatch.setattr(submission, "_case_with_token", missed_once)
    assert services.case_submit(**kwargs) == first
    assert row_counts() == before
