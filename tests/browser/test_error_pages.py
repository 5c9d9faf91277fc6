"""The portal as a district sees it, also under scripts/run: a refused filter is answered inside the filter
panel with the rest of the page in place (with htmx and without JavaScript, with Django's debug mode on or
off), and a page that does not exist is the portal's own 404 page."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from cases.tests.listing_helpers import case_row, create_cases
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, live_server, personas) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email address").fill("support@a.example.org")
    page.get_by_label("Password").fill(personas.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Welcome"))


def refuse_filters_and_check_the_page(page: Page, *, javascript: bool = True) -> None:
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Case Number").fill("abc")
    page.get_by_label("From", exact=True).fill("2026-03-10")
    page.get_by_label("To", exact=True).fill("2026-03-01")
    page.get_by_role("button", name="Apply filters").click()

    expect(page.locator("#id_number_error")).to_contain_text("Enter a case number, such as 100234.")
    expect(page.locator("#id_modified_to_error")).to_contain_text("before its start")
    expect(page.get_by_label("To", exact=True)).to_have_attribute("aria-describedby", "id_modified_to_error")
    # The rest of the page is still the portal's: header, heading, styles, the typed values.
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.locator("#results-heading")).to_have_text("Cases could not be filtered")
    expect(page.get_by_label("Case Number")).to_have_value("abc")
    assert page.locator("link[rel=stylesheet][href*='portal']").count() == 1
    assert page.locator("#django-htmx-debug, #summary, #traceback").count() == 0  # no debug page
    if javascript:  # axe-core runs in the page
        assert_accessible(page)


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_a_refused_filter_with_htmx_is_shown_in_the_panel(page: Page, live_server, personas, settings, debug):
    settings.DEBUG = debug  # scripts/run runs with it off; DEBUG=1 scripts/run must not break the list either
    create_cases([case_row(district=personas.district_a, contact=personas.support, subject="Grades")])
    log_in(page, live_server, personas)
    page.goto(live_server.url + "/cases/")
    page.evaluate("window.stillTheSamePage = true")

    refuse_filters_and_check_the_page(page)

    assert page.evaluate("window.stillTheSamePage === true")  # answered by htmx, not a new page
    page.console_problems.clear()  # type: ignore[attr-defined]  # Chromium logs the 400 answer itself


def test_a_refused_filter_without_javascript_is_shown_in_the_panel(browser: Browser, live_server, personas):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        log_in(page, live_server, personas)
        page.goto(live_server.url + "/cases/")
        refuse_filters_and_check_the_page(page, javascript=False)
    finally:
        context.close()


def test_an_unknown_address_is_the_portals_own_404_page(page: Page, live_server, personas):
    log_in(page, live_server, personas)
    response = page.goto(live_server.url + "/no-such-page/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We could not find that page")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    assert "URLconf" not in page.content()
    page.console_problems.clear()  # type: ignore[attr-defined]
    assert_accessible(page)
