"""A contact logs in through the real login page in Chromium and sees the home page."""

import re

import pytest
from playwright.sync_api import Page, expect

from contacts.models import Role
from contacts.tests.factories import DistrictFactory, MembershipFactory
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_contact_logs_in_sees_home_switches_district_and_logs_out(page: Page, live_server, personas):
    MembershipFactory(
        user=personas.support,
        district=DistrictFactory(name="Riverbend Unified", slug="riverbend"),
        role=Role.READ_ONLY,
    )
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    assert_accessible(page)

    page.get_by_label("Email address").fill("support@a.example.org")
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an active account")
    expect(page.get_by_label("Email address")).to_have_value("support@a.example.org")
    assert_accessible(page)

    page.get_by_label("Password").fill(personas.password)
    page.get_by_label("Password").press("Enter")  # keyboard only
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Dana")
    expect(page.get_by_role("heading", name="Maple Grove Public Schools")).to_be_visible()
    expect(page.get_by_role("heading", name="Riverbend Unified")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("District").select_option(label="Riverbend Unified")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("status")).to_contain_text("You are now working in Riverbend Unified")
    expect(page.get_by_label("District")).to_have_value("riverbend")

    page.get_by_role("link", name="Contacts of Maple Grove Public Schools").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Maple Grove Public Schools")
    expect(page.get_by_role("cell", name="technical@a.example.org")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def test_outsider_gets_the_not_found_page(page: Page, live_server, personas):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email address").fill("contact@b.example.org")
    page.get_by_label("Password").fill(personas.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Welcome"))
    response = page.goto(live_server.url + "/districts/maple-grove/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We could not find that page")
    page.console_problems.clear()  # type: ignore[attr-defined]  # the 404 itself is logged by Chromium
    assert_accessible(page)
