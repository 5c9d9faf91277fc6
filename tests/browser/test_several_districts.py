"""A contact of several districts: the filter panel's date range stays inside its card on a desktop and on a
phone, and the submission form's Contact field follows the chosen district."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from contacts.models import Role
from contacts.tests.factories import DistrictFactory, MembershipFactory
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def riverbend(personas):
    district = DistrictFactory(name="Riverbend Unified School District", slug="riverbend")
    MembershipFactory(user=personas.support, district=district, role=Role.SUPPORT)
    colleague = MembershipFactory(district=district, role=Role.SUPPORT, user__first_name="Rita").user
    return district, colleague


def log_in(page: Page, live_server, personas) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email address").fill("support@a.example.org")
    page.get_by_label("Password").fill(personas.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Welcome"))


@pytest.mark.parametrize("width", [1280, 390])
def test_the_date_range_stays_inside_the_filter_card(
    browser: Browser, live_server, personas, riverbend, width
):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        log_in(page, live_server, personas)
        page.goto(live_server.url + "/cases/")
        page.get_by_text("Filters", exact=True).click()
        card = page.locator("#case-filters").bounding_box()
        assert card is not None
        for box_id in ("#id_modified_from", "#id_modified_to", "#id_account"):
            box = page.locator(box_id).bounding_box()
            assert box is not None
            assert box["x"] >= card["x"], box_id
            assert box["x"] + box["width"] <= card["x"] + card["width"], (box_id, box, card)
        assert (
            page.evaluate("document.documentElement.scrollWidth") <= width
        )  # nothing pushes the page sideways
        assert_accessible(page)
    finally:
        context.close()


def test_the_contact_field_follows_the_chosen_district(page: Page, live_server, personas, riverbend):
    _district, colleague = riverbend
    log_in(page, live_server, personas)
    page.goto(live_server.url + "/cases/new/ask-a-question/")
    account = page.locator("#id_district")
    contact = page.locator("#id_contact")
    account.select_option(label="Maple Grove Public Schools")
    expect(contact.locator("option")).to_have_count(3)
    expect(contact.locator(f"option[value='{colleague.pk}']")).to_have_count(0)

    account.select_option(label="Riverbend Unified School District")

    expect(contact.locator("option")).to_have_count(2)
    expect(contact).to_have_value(str(personas.support.pk))  # the submitter stays chosen: a contact of both
    contact.select_option(value=str(colleague.pk))
    account.select_option(label="Maple Grove Public Schools")
    expect(contact.locator("option")).to_have_count(3)
    expect(contact).not_to_have_value(str(colleague.pk))
    assert_accessible(page)
