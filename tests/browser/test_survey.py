"""A contact answers a satisfaction survey from the e-mailed link, without logging in, at a desktop width and on
a phone; an advisor reads the satisfaction report."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from jobs.runner import run
from surveys.models import SurveyResponse
from surveys.tests.helpers import closed_case, survey_mails, token_of
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sent_survey_link(live_server, personas) -> tuple[str, int]:
    case = closed_case(personas, at=timezone.now())
    run("survey")
    [email] = survey_mails(personas.support)
    return f"{live_server.url}/survey/{token_of(email)}/", case.number


@pytest.mark.parametrize("width", [1280, 390])
def test_a_contact_fills_the_survey(page: Page, live_server, personas, width, tmp_path) -> None:
    link, number = sent_survey_link(live_server, personas)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"How did we do on case #{number}?")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    page.screenshot(path=tmp_path / f"survey-{width}.png", full_page=True)

    for question, rating in [("Courtesy", "5"), ("Knowledge", "4"), ("Timeliness", "3"), ("Quality", "4")]:
        page.get_by_role("group", name=re.compile(f"^{question}")).get_by_label(rating, exact=True).check()
    page.get_by_label("Anything you would like to tell us?").fill("Clear answer, thank you.")
    page.get_by_role("button", name="Send my ratings").click()

    # Overall Service was left out: the form says so, and keeps what was chosen and typed.
    expect(page.get_by_text("Choose a rating from 1 to 5 for Overall Service.").first).to_be_visible()
    expect(
        page.get_by_role("group", name=re.compile("^Courtesy")).get_by_label("5", exact=True)
    ).to_be_checked()
    expect(page.get_by_label("Anything you would like to tell us?")).to_have_value("Clear answer, thank you.")
    assert_accessible(page)
    assert not SurveyResponse.objects.exists()

    page.get_by_role("group", name=re.compile("^Overall Service")).get_by_label("5", exact=True).check()
    page.get_by_role("button", name="Send my ratings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your feedback")
    assert_accessible(page)
    answer = SurveyResponse.objects.get()
    assert (answer.courtesy, answer.timeliness, answer.overall, answer.comment) == (
        5,
        3,
        5,
        "Clear answer, thank you.",
    )

    # The same link again: answered already, politely.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This survey was already answered")
    page.console_problems.clear()  # type: ignore[attr-defined]  # Chromium logs the 409 answer itself
    assert_accessible(page)


def test_the_opt_out_page(page: Page, live_server, personas) -> None:
    link, _ = sent_survey_link(live_server, personas)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(link)
    page.get_by_role("link", name="Opt out of satisfaction surveys").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Opt out of satisfaction surveys")
    assert_accessible(page)
    page.get_by_role("button", name="Send me no more surveys").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have opted out")
    assert personas.support.survey_opt_out is not None


def test_an_advisor_reads_the_satisfaction_report(page: Page, live_server, personas, tmp_path) -> None:
    link, _ = sent_survey_link(live_server, personas)
    page.goto(link)
    for question in ["Courtesy", "Knowledge", "Timeliness", "Quality", "Overall Service"]:
        page.get_by_role("group", name=re.compile(f"^{question}")).get_by_label("2", exact=True).check()
    page.get_by_role("button", name="Send my ratings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your feedback")

    page.goto(live_server.url + reverse("admin:login"))
    page.get_by_label("Email address").fill(personas.advisor.email)
    page.get_by_label("Password").fill(personas.password)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server.url + reverse("admin:surveys_surveyresponse_changelist"))
    page.get_by_role("link", name="Satisfaction report").click()
    expect(page.get_by_role("heading", name="To follow up: Overall Service 1 or 2")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert_accessible(page)
    page.screenshot(path=tmp_path / "report-1280.png", full_page=True)
    page.locator(".report-table td a").last.click()
    expect(page.locator("#result_list")).to_be_visible()
    assert_accessible(page)
