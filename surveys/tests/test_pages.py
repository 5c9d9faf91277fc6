"""The pages the survey e-mail links to, without logging in: a GET changes nothing; rating and opting out each
take a POST; bad links get a clear page and store nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from jobs.runner import run
from surveys.models import Survey, SurveyOptOut, SurveyResponse
from surveys.tests.helpers import closed_case, survey_mails, token_of

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
TUESDAY = MONDAY + timedelta(days=1)
GOOD = {
    "courtesy": "5",
    "knowledge": "4",
    "timeliness": "3",
    "quality": "4",
    "overall": "5",
    "comment": "Quick fix.",
}


@pytest.fixture
def sent_survey(personas):
    case = closed_case(personas, at=MONDAY)
    run("survey", now=MONDAY)
    [email] = survey_mails(personas.support)
    with time_machine.travel(TUESDAY, tick=False):
        yield case, token_of(email)


def stored() -> dict[str, object]:
    return {
        "surveys": list(Survey.objects.values().order_by("pk")),
        "responses": list(SurveyResponse.objects.values()),
        "opt_outs": list(SurveyOptOut.objects.values()),
    }


def test_opening_every_link_changes_nothing(sent_survey) -> None:
    """Mail scanners open every link in a message."""
    _, token = sent_survey
    before = stored()
    client = Client()
    page = client.get(f"/survey/{token}/")
    assert page.status_code == 200
    assert "Courtesy" in page.content.decode()
    assert "Overall Service" in page.content.decode()
    opt_out = client.get(f"/survey/{token}/opt-out/")
    assert opt_out.status_code == 200
    assert "Send me no more surveys" in opt_out.content.decode()
    assert client.get(f"/survey/{token}/unsubscribe/").status_code == 405
    assert client.head(f"/survey/{token}/").status_code == 200
    assert stored() == before


def test_rating_stores_one_response(sent_survey) -> None:
    case, token = sent_survey
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/survey/{token}/")
    csrf = page.cookies["csrftoken"].value
    response = client.post(f"/survey/{token}/", {**GOOD, "csrfmiddlewaretoken": csrf})
    assert response.status_code == 302
    assert "Thank you for your feedback" in client.get(response["Location"]).content.decode()
    answer = SurveyResponse.objects.get()
    assert (answer.survey.case, answer.courtesy, answer.overall, answer.comment) == (case, 5, 5, "Quick fix.")


def test_a_second_response_is_refused_politely(sent_survey) -> None:
    _, token = sent_survey
    client = Client()
    client.post(f"/survey/{token}/", GOOD)
    before = stored()
    again = client.post(f"/survey/{token}/", {**GOOD, "overall": "1"})
    assert again.status_code == 409
    assert "This survey was already answered" in again.content.decode()
    assert client.get(f"/survey/{token}/").status_code == 409
    assert stored() == before
    assert SurveyResponse.objects.get().overall == 5


@pytest.mark.parametrize("bad", ["6", "0", "-1", "five", ""])
def test_a_rating_outside_1_to_5_is_a_form_error_with_the_values_kept(sent_survey, bad) -> None:
    _, token = sent_survey
    response = Client().post(f"/survey/{token}/", {**GOOD, "quality": bad})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose a rating from 1 to 5 for Quality." in page
    assert "Quick fix." in page  # the comment is kept
    for name, value in GOOD.items():  # every rating chosen is still chosen
        if name not in ("comment", "quality"):
            assert re.search(rf'<input type="radio" name="{name}" value="{value}"[^>]*checked', page), name
    assert not SurveyResponse.objects.exists()


def test_an_expired_link_takes_no_answer(sent_survey) -> None:
    _, token = sent_survey
    before = stored()
    with time_machine.travel(MONDAY + timedelta(days=30), tick=False):
        client = Client()
        assert "This survey has closed" in client.get(f"/survey/{token}/").content.decode()
        response = client.post(f"/survey/{token}/", GOOD)
    assert response.status_code == 410
    assert stored() == before


@pytest.mark.parametrize(
    "mangle", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: t[:20], lambda t: "x" * 43]
)
def test_a_tampered_or_unknown_link_is_a_clear_page_and_stores_nothing(sent_survey, mangle) -> None:
    _, token = sent_survey
    before = stored()
    client = Client()
    for method, path in [
        ("get", f"/survey/{mangle(token)}/"),
        ("post", f"/survey/{mangle(token)}/"),
        ("get", f"/survey/{mangle(token)}/opt-out/"),
        ("post", f"/survey/{mangle(token)}/opt-out/"),
        ("post", f"/survey/{mangle(token)}/unsubscribe/"),
    ]:
        response = getattr(client, method)(path, GOOD)
        assert response.status_code == 404, path
        if not path.endswith("unsubscribe/"):
            assert "This survey link does not work" in response.content.decode()
    assert stored() == before


def test_the_opt_out_page_opts_out_on_the_button_press(personas, sent_survey) -> None:
    _, token = sent_survey
    client = Client()
    response = client.post(f"/survey/{token}/opt-out/")
    assert response.status_code == 302
    assert "You have opted out" in client.get(response["Location"]).content.decode()
    opt_out = SurveyOptOut.objects.get()
    assert (opt_out.user, opt_out.via) == (personas.support, SurveyOptOut.Via.PAGE)
    assert "already opted out" in client.get(f"/survey/{token}/opt-out/").content.decode()
    client.post(f"/survey/{token}/opt-out/")
    assert SurveyOptOut.objects.count() == 1


def test_the_one_click_unsubscribe_of_rfc_8058(personas, sent_survey) -> None:
    """The mail program POSTs List-Unsubscribe=One-Click, with no cookie and no CSRF token."""
    _, token = sent_survey
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/survey/{token}/unsubscribe/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert SurveyOptOut.objects.get().via == SurveyOptOut.Via.ONE_CLICK

    closed_case(personas, at=MONDAY + timedelta(days=60))
    run("survey", now=MONDAY + timedelta(days=60))
    assert len(survey_mails(personas.support)) == 1


def test_an_opt_out_link_still_works_after_the_survey_expired_or_was_answered(sent_survey) -> None:
    _, token = sent_survey
    client = Client()
    client.post(f"/survey/{token}/", GOOD)
    with time_machine.travel(MONDAY + timedelta(days=200), tick=False):
        assert client.post(f"/survey/{token}/opt-out/").status_code == 302
    assert SurveyOptOut.objects.count() == 1
