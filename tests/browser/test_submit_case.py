"""A support contact submits an Application Issue in Chromium, from the login page to the confirmation."""

import re

import pytest
from playwright.sync_api import Page, expect

from cases.models import Case
from cases.tests.factories import ModuleFactory
from outbox.models import OutboundEmail
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_support_contact_submits_an_application_issue(page: Page, live_server, personas, monkeypatch):
    # The live server commits: keep the e-mail delivery off the real broker, but see that it is asked for.
    scheduled: list[object] = []
    monkeypatch.setattr("outbox.services.schedule_delivery", scheduled.append)
    ModuleFactory(name="Attendance")
    ModuleFactory(name="Grade Book")

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email address").fill("support@a.example.org")
    page.get_by_label("Password").fill(personas.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Dana")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Submit a case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Submit a case")
    expect(
        page.get_by_text("Server cases are submitted by your district's Technical contact").first
    ).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Application Issue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Application Issue")
    assert_accessible(page)

    page.get_by_label("Module").select_option(label="Grade Book")
    page.get_by_label(re.compile(r"^Type\b")).select_option(label="Campus Application")
    page.get_by_label("Subject").fill("Teachers cannot post grades")
    page.get_by_label("Description").fill("Post in Grade Book does nothing for Period 3.")
    page.get_by_role("button", name="Submit the case").click()

    # Steps to Reproduce is required: the form comes back with the error and everything typed.
    expect(page.get_by_role("alert")).to_contain_text("Please correct the errors marked below.")
    expect(page.locator("#id_steps_to_reproduce_error")).to_contain_text("This field is required.")
    expect(page.get_by_label("Subject")).to_have_value("Teachers cannot post grades")
    expect(page.get_by_label("Module")).to_have_value(str(ModuleFactory(name="Grade Book").pk))
    assert Case.objects.count() == 0
    # Chromium logs the 400 answer itself as a console error; that is the expected answer here.
    assert page.console_problems == [  # type: ignore[attr-defined]
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    page.console_problems.clear()  # type: ignore[attr-defined]
    assert_accessible(page)

    page.get_by_label("Steps to Reproduce").fill("1. Open Grade Book\n2. Pick Period 3\n3. Click Post")
    page.get_by_role("button", name="Submit the case").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Case #\d+ submitted$"))
    case = Case.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Case #{case.number} submitted")
    expect(page.get_by_text("Teachers cannot post grades")).to_be_visible()
    assert_accessible(page)

    assert (case.subject, case.module.name, case.contact.email) == (
        "Teachers cannot post grades",
        "Grade Book",
        "support@a.example.org",
    )
    # Browsers send a textarea's line breaks as CRLF.
    assert case.details["steps_to_reproduce"].splitlines() == [
        "1. Open Grade Book",
        "2. Pick Period 3",
        "3. Click Post",
    ]
    assert scheduled == [OutboundEmail.objects.get().pk]


def test_back_then_submit_again_files_no_second_case(page: Page, live_server, personas, monkeypatch):
    monkeypatch.setattr("outbox.services.schedule_delivery", lambda _pk: None)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email address").fill("support@a.example.org")
    page.get_by_label("Password").fill(personas.password)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server.url + "/cases/new/ask-a-question/")
    page.get_by_label("Subject").fill("Where is the attendance report?")
    page.get_by_label("Description").fill("We looked under Reports.")
    page.get_by_role("button", name="Submit the case").click()
    case = Case.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Case #{case.number} submitted")

    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask a Question")
    page.get_by_role("button", name="Submit the case").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Case #{case.number} submitted")
    expect(page.get_by_role("status")).to_contain_text("nothing new was filed")
    assert Case.objects.count() == 1
    page.get_by_role("link", name=f"View case #{case.number}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Where is the attendance report?")


def test_after_a_refused_form_focus_is_on_the_error_summary_whose_links_reach_the_fields(
    page: Page, live_server, personas
):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email address").fill("support@a.example.org")
    page.get_by_label("Password").fill(personas.password)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server.url + "/cases/new/ask-a-question/")
    page.get_by_label("Description").fill("Where is the attendance report?")
    page.get_by_role("button", name="Submit the case").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Subject: This field is required.")
    page.console_problems.clear()  # type: ignore[attr-defined]  # Chromium logs the 400 answer itself
    assert_accessible(page)

    summary.get_by_role("link", name="Subject: This field is required.").click()
    expect(page.get_by_label("Subject")).to_be_focused()
    expect(page.get_by_label("Description")).to_have_value("Where is the attendance report?")
    assert Case.objects.count() == 0
