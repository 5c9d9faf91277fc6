"""An advisor's day with one case, in a real browser: taken from Unassigned, answered with a question, the
district answers, the case shows in Needs reply (and the advisor was e-mailed), and the resolution is posted
after the follow-up dates were shown."""

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from cases.models import Case
from cases.tests.factories import submit_case
from cases.workflow import Status
from outbox.models import OutboundEmail
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def admin_log_in(page: Page, live_server, email: str, password: str) -> None:
    page.goto(live_server.url + reverse("admin:login"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def open_from_queue(page: Page, live_server, queue: str, case: Case) -> None:
    page.goto(live_server.url + reverse("admin:cases_case_changelist") + f"?queue={queue}")
    link = page.locator(f'#result_list a[href*="/admin/cases/case/{case.pk}/change/"]').first
    expect(link).to_be_visible()
    assert_accessible(page)
    link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"#{case.number}")


def test_an_advisor_takes_answers_and_resolves_a_case(
    page: Page, browser: Browser, live_server, personas
) -> None:
    case = submit_case(
        district=personas.district_a, contact=personas.support, subject="Attendance report is empty"
    )
    admin_log_in(page, live_server, personas.advisor.email, personas.password)

    open_from_queue(page, live_server, "unassigned", case)
    assert_accessible(page)
    page.get_by_role("button", name="Take this case").click()
    expect(page.get_by_text(f"You took case #{case.number}.")).to_be_visible()

    page.get_by_label("Message").fill("Which school year does the report show?")
    page.get_by_label("And set the status to").select_option(label="Pending Customer Input")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Reply sent; status set to Pending Customer Input.")).to_be_visible()

    # The district answers on its case page.
    contact = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    contact.goto(live_server.url + "/accounts/login/")
    contact.get_by_label("Email address").fill(personas.support.email)
    contact.get_by_label("Password").fill(personas.password)
    contact.get_by_role("button", name="Log in").click()
    contact.goto(live_server.url + reverse("cases:detail", args=[case.number]))
    contact.get_by_role("textbox", name="Share an update").fill("It is 2026-27, for every school.")
    contact.get_by_role("button", name="Share", exact=True).click()
    expect(contact.get_by_text("It is 2026-27, for every school.")).to_be_visible()
    contact.context.close()

    assert OutboundEmail.objects.filter(
        recipient=personas.advisor, subject__contains=f"#{case.number}"
    ).exists()
    open_from_queue(page, live_server, "needs_reply", case)
    expect(page.get_by_text("It is 2026-27, for every school.")).to_be_visible()

    page.get_by_label("Message").fill("The report now reads the 2026-27 calendar. Please check it.")
    page.get_by_label("And set the status to").select_option(label="Pending Customer Verification")
    expect(page.get_by_text("follow-ups go out on")).to_be_visible()
    expect(page.get_by_text("the case closes automatically on")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Reply sent; status set to Pending Customer Verification.")).to_be_visible()
    assert Case.objects.get(pk=case.pk).status == Status.PENDING_CUSTOMER_VERIFICATION
