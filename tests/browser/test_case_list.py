"""The case list in Chromium: a contact filters, searches, sorts and pages with htmx, the address bar
follows every step, the back button restores the previous state, and every state passes axe."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, Route, expect

from cases.casetypes import CaseType
from cases.models import Module, Priority
from cases.tests.listing_helpers import case_row, create_cases
from cases.workflow import Status
from contacts.models import Role
from contacts.tests.factories import DistrictFactory, MembershipFactory
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def district_cases(personas):
    grade_book = Module.objects.get_or_create(name="Grade Book")[0]
    attendance = Module.objects.get_or_create(name="Attendance")[0]
    now = timezone.now()
    rows = [
        case_row(
            district=personas.district_a,
            contact=personas.technical if i % 4 == 0 else personas.support,
            subject=f"Attendance question {i:02d}",
            status=Status.PENDING_CUSTOMER_INPUT if i % 5 == 0 else Status.ASSIGNED,
            priority=Priority.LOW if i % 2 else Priority.HIGH,
            module=attendance,
            advisor=personas.advisor,
            updated_at=now - timedelta(hours=i + 1),
        )
        for i in range(44)
    ]
    rows.append(
        case_row(
            district=personas.district_a,
            contact=personas.support,
            subject="Teachers report issues posting grades in the grade book",
            case_type=CaseType.APPLICATION_ISSUE,
            module=grade_book,
            updated_at=now - timedelta(days=10),
        )
    )
    rows.append(
        case_row(
            district=personas.district_b, contact=personas.other_district, subject="Cedar Falls grade book"
        )
    )
    return create_cases(rows)


def log_in(page: Page, live_server, personas) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email address").fill("support@a.example.org")
    page.get_by_label("Password").fill(personas.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Welcome"))


def rows(page: Page):
    return page.locator("table.case-table tbody tr")


def test_contact_filters_sorts_pages_and_goes_back(page: Page, live_server, personas, district_cases):
    log_in(page, live_server, personas)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases")
    expect(page.locator("#results-heading")).to_have_text("45 cases")
    expect(rows(page)).to_have_count(20)
    expect(page.locator("th.col-modified")).to_have_attribute("aria-sort", "descending")
    assert_accessible(page)
    # From here on every change must come from htmx: a full page load would drop this marker.
    page.evaluate("window.stillTheSamePage = true")

    # Filter: open the panel, pick a status, apply.
    page.get_by_text("Filters", exact=True).click()
    page.get_by_role("checkbox", name="Pending Customer Input").check()
    assert_accessible(page)
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#results-heading")).to_have_text("9 cases")
    expect(page).to_have_url(re.compile(r"/cases/\?status=pending_input$"))
    expect(page.locator("#case-list-status")).to_contain_text("9 cases found")
    assert page.evaluate("window.stillTheSamePage") is True

    # Sort by subject, then reverse it.
    page.get_by_role("link", name="Subject", exact=True).click()
    expect(page.locator("th.col-subject")).to_have_attribute("aria-sort", "ascending")
    expect(rows(page).first.locator("td.col-subject")).to_have_text("Attendance question 00")
    page.get_by_role("link", name="Subject", exact=True).click()
    expect(page.locator("th.col-subject")).to_have_attribute("aria-sort", "descending")
    expect(rows(page).first.locator("td.col-subject")).to_have_text("Attendance question 40")
    expect(page).to_have_url(re.compile(r"status=pending_input&sort=-subject$"))
    assert_accessible(page)

    # Back to every status, 10 per page, second page.
    page.get_by_role("link", name="Remove filter Status: Pending Customer Input").click()
    expect(page.locator("#results-heading")).to_have_text("45 cases")
    page.get_by_role("link", name="10 per page").click()
    expect(rows(page)).to_have_count(10)
    page.get_by_role("link", name="Next \u203a").click()
    expect(page.locator(".results-bar__meta")).to_contain_text("Showing 11\u201320")
    expect(page.locator("#results-heading")).to_be_focused()
    expect(page).to_have_url(re.compile(r"sort=-subject&per_page=10&page=2$"))
    assert page.evaluate("window.stillTheSamePage") is True

    # The back button restores each earlier state.
    page.go_back()
    expect(page).to_have_url(re.compile(r"sort=-subject&per_page=10$"))
    expect(page.locator(".results-bar__meta")).to_contain_text("Showing 1\u201310")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/cases/\?sort=-subject$"))
    # Wait for what only this state shows (20 a page): the state Back came from has 45 cases too.
    expect(page.locator(".results-bar__meta")).to_contain_text("Showing 1\u201320")
    expect(rows(page)).to_have_count(20)
    page.go_back()
    expect(page).to_have_url(re.compile(r"status=pending_input&sort=-subject$"))
    expect(page.locator("#results-heading")).to_have_text("9 cases")
    expect(page.get_by_role("checkbox", name="Pending Customer Input")).to_be_checked()

    # A bookmark of that state opens it as a full page.
    page.reload()
    expect(page.locator("#results-heading")).to_have_text("9 cases")
    expect(page.locator("th.col-subject")).to_have_attribute("aria-sort", "descending")


def count_finished_list_requests(page: Page) -> None:
    """From now on ``window.finishedRequests`` counts the requests for the list region, and the history restores,
    that the page has finished with: answered (and swapped in) or abandoned."""
    page.evaluate(
        """() => {
            window.finishedRequests = 0;
            const count = (xhr) => xhr.addEventListener("loadend", () => { window.finishedRequests += 1; });
            document.addEventListener("htmx:historyCacheMiss", (event) => count(event.detail.xhr));
            document.addEventListener("htmx:beforeSend", (event) => {
                if (event.detail.target.id === "case-list") count(event.detail.xhr);
            });
        }"""
    )


def test_two_quick_back_presses_end_on_the_state_in_the_address_bar(
    page: Page, live_server, personas, district_cases
):
    """Each Back fetches its state from the server. When the answer to the first Back is slower than the answer to
    the second, the page still ends showing the state its address names."""
    log_in(page, live_server, personas)
    page.goto(live_server.url + "/cases/")
    expect(page.locator("#results-heading")).to_have_text("45 cases")
    page.get_by_role("link", name="Waiting on my district").click()
    expect(page).to_have_url(re.compile(r"/cases/\?view=waiting$"))
    expect(page.locator("#results-heading")).to_have_text("9 cases")
    page.get_by_role("link", name="Subject", exact=True).click()
    expect(page).to_have_url(re.compile(r"/cases/\?view=waiting&sort=subject$"))
    expect(page.locator("th.col-subject")).to_have_attribute("aria-sort", "ascending")
    page.evaluate("window.stillTheSamePage = true")

    # The answer to the first Back is held back until the answer to the second one has arrived.
    count_finished_list_requests(page)
    held: list[Route] = []

    def hold_the_first_restore(route: Route) -> None:
        if route.request.headers.get("hx-history-restore-request") and not held:
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r"/cases/"), hold_the_first_restore)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/cases/\?view=waiting$"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/cases/$"))
    expect(page.locator("#results-heading")).to_have_text("45 cases")

    held[0].continue_()
    page.wait_for_function("() => window.finishedRequests === 2")
    expect(page).to_have_url(re.compile(r"/cases/$"))
    expect(page.locator("#results-heading")).to_have_text("45 cases")
    expect(page.get_by_role("link", name="Waiting on my district")).not_to_have_attribute(
        "aria-current", "page"
    )
    assert page.evaluate("window.stillTheSamePage") is True


def test_back_while_a_click_is_still_loading_ends_on_the_state_in_the_address_bar(
    page: Page, live_server, personas, district_cases
):
    """A person clicks a sort link and presses Back before its answer arrives: the page shows the earlier state,
    and the late answer neither replaces it nor adds a history entry."""
    log_in(page, live_server, personas)
    page.goto(live_server.url + "/cases/")
    page.get_by_role("link", name="Waiting on my district").click()
    expect(page).to_have_url(re.compile(r"/cases/\?view=waiting$"))
    expect(page.locator("#results-heading")).to_have_text("9 cases")
    page.evaluate("window.stillTheSamePage = true")

    count_finished_list_requests(page)
    held: list[Route] = []

    def hold_the_sort(route: Route) -> None:
        if "sort=subject" in route.request.url and not held:
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r"/cases/"), hold_the_sort)
    page.get_by_role("link", name="Subject", exact=True).click()
    expect(page.locator("#case-list")).to_have_class(re.compile(r"\bhtmx-request\b"))  # the sort is loading
    page.go_back()
    expect(page).to_have_url(re.compile(r"/cases/$"))
    expect(page.locator("#results-heading")).to_have_text("45 cases")

    held[0].continue_()
    page.wait_for_function("() => window.finishedRequests === 2")
    expect(page).to_have_url(re.compile(r"/cases/$"))
    expect(page.locator("#results-heading")).to_have_text("45 cases")
    expect(page.locator("th.col-subject")).not_to_have_attribute("aria-sort", "ascending")
    page.go_forward()  # the one later entry is still the waiting view: the late answer added none
    expect(page).to_have_url(re.compile(r"/cases/\?view=waiting$"))
    expect(page.locator("#results-heading")).to_have_text("9 cases")
    assert page.evaluate("window.stillTheSamePage") is True
    # htmx reports every abandoned request on the console; that abort is the point of this test.
    page.console_problems.clear()  # type: ignore[attr-defined]


def test_contact_searches_uses_the_contact_autocomplete_and_sees_an_error(
    page: Page, live_server, personas, district_cases
):
    log_in(page, live_server, personas)
    page.goto(live_server.url + "/cases/")
    page.get_by_label("Search cases").fill("grade book issues")
    page.get_by_label("Search cases").press("Enter")
    expect(page.locator("#results-heading")).to_contain_text("1 case")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Teachers report issues posting grades")
    expect(page.get_by_text("Cedar Falls grade book")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name="Remove filter Search: grade book issues").click()
    expect(page.locator("#results-heading")).to_have_text("45 cases")
    expect(page.get_by_label("Search cases")).to_have_value("")
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Contact").press_sequentially("tech")
    expect(page.locator("#contact-suggestions option")).to_have_count(1)
    expect(page.locator("#contact-suggestions option")).to_have_attribute("value", "technical@a.example.org")
    page.get_by_label("Contact").fill("technical@a.example.org")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#results-heading")).to_have_text("11 cases")

    page.get_by_label("Case Number").fill("abc")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("Enter a case number, such as 100234.")).to_be_visible()
    expect(page.get_by_label("Case Number")).to_have_value("abc")
    expect(page.get_by_label("Case Number")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.console_problems.clear()  # type: ignore[attr-defined]  # Chromium logs the 400 answer itself

    page.get_by_role("link", name="Clear all filters").first.click()
    expect(page.locator("#results-heading")).to_have_text("45 cases")
    expect(page).to_have_url(re.compile(r"/cases/$"))


def test_the_list_on_a_phone(page: Page, live_server, personas, district_cases):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, personas)
    page.goto(live_server.url + "/cases/?view=waiting")
    expect(page.locator("#results-heading")).to_have_text("9 cases")
    expect(page.get_by_role("link", name="Waiting on my district")).to_have_attribute("aria-current", "page")
    assert_accessible(page)


def test_the_list_works_with_javascript_off(browser, live_server, personas, district_cases):
    """Every control is a link or a plain GET form: with JavaScript switched off the same steps reach the same
    states, each as a whole page at its own shareable address."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        log_in(page, live_server, personas)
        page.goto(live_server.url + "/cases/")
        expect(page.locator("#results-heading")).to_have_text("45 cases")

        page.get_by_text("Filters", exact=True).click()
        page.get_by_role("checkbox", name="Pending Customer Input").check()
        page.get_by_role("button", name="Apply filters").click()
        # The browser sends every field, empty or not; the server answers with the short address.
        expect(page).to_have_url(re.compile(r"/cases/\?status=pending_input$"))
        expect(page.locator("#results-heading")).to_have_text("9 cases")

        page.get_by_role("link", name="Subject", exact=True).click()
        expect(page.locator("th.col-subject")).to_have_attribute("aria-sort", "ascending")
        page.get_by_role("link", name="Remove filter Status: Pending Customer Input").click()
        page.get_by_role("link", name="10 per page").click()
        page.get_by_role("link", name="Next \u203a").click()
        expect(page).to_have_url(re.compile(r"/cases/\?sort=subject&per_page=10&page=2$"))
        expect(page.locator(".results-bar__meta")).to_contain_text("Showing 11\u201320")
        expect(rows(page)).to_have_count(10)

        page.get_by_label("Search cases").fill("grade book issues")
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page.locator("#results-heading")).to_contain_text("1 case")
        expect(rows(page).first).to_contain_text("Teachers report issues posting grades")
        page.go_back()
        expect(page.locator(".results-bar__meta")).to_contain_text("Showing 11\u201320")
    finally:
        context.close()


def test_a_contact_of_two_districts_on_a_phone_gets_no_sideways_scrolling(
    page: Page, live_server, personas, district_cases
):
    """The header's district switcher and the cards fit a 390-pixel screen; the badges keep their size."""
    riverbend = DistrictFactory(name="Riverbend Unified School District", slug="riverbend")
    MembershipFactory(user=personas.support, district=riverbend, role=Role.READ_ONLY)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, personas)
    page.goto(live_server.url + "/cases/?account=all")
    expect(page.get_by_label("District", exact=True)).to_be_visible()
    expect(page.locator("#results-heading")).to_have_text("45 cases")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    switch = page.get_by_role("button", name="Switch").bounding_box()
    assert switch is not None
    assert switch["x"] + switch["width"] <= 390
    badge = rows(page).first.locator(".priority").bounding_box()  # "High": a pill, not a bar across the card
    cell = rows(page).first.locator("td.col-priority").bounding_box()
    assert badge is not None
    assert cell is not None
    assert badge["width"] < cell["width"] / 4
    assert_accessible(page)
