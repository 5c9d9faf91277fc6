"""A product defect from link to release, in a real browser: an advisor links one case from its work page and
another (another district's) from the development issue's page, previews the release, confirms it, and reads
what the fan-out did; the district then finds its case among the ones fixed in recent releases."""

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from cases.models import Case
from cases.tests.factories import DevIssueFactory, put_in_status, submit_case
from cases.workflow import Status
from contacts.models import Role
from contacts.tests.factories import MembershipFactory, UserFactory
from tests.browser.conftest import assert_accessible
from tests.browser.test_workbench_journey import admin_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_advisor_links_cases_and_ships_the_fix(
    page: Page, browser: Browser, live_server, personas
) -> None:
    issue = DevIssueFactory(number="DEV-700", title="Grade book totals wrong")
    other = UserFactory(email="b@b.example.org")
    MembershipFactory(user=other, district=personas.district_b, role=Role.SUPPORT)
    first = put_in_status(
        submit_case(district=personas.district_a, contact=personas.support, subject="Totals are wrong"),
        Status.ASSIGNED,
        advisor=personas.advisor,
    )
    second = put_in_status(
        submit_case(district=personas.district_b, contact=other, subject="Grade totals off"),
        Status.ASSIGNED,
        advisor=personas.advisor,
    )
    admin_log_in(page, live_server, personas.advisor.email, personas.password)

    # From the case's work page, by issue number.
    page.goto(live_server.url + reverse("admin:cases_case_change", args=[first.pk]))
    page.get_by_label("Development issue to link").fill("DEV-700")
    assert_accessible(page)
    page.get_by_role("button", name="Link and set to Assigned to Development").click()
    expect(page.get_by_text(f"Case #{first.number} linked to DEV-700")).to_be_visible()

    # From the issue's page, by case number.
    page.goto(live_server.url + reverse("admin:cases_devissue_change", args=[issue.pk]))
    expect(page.get_by_role("link", name=f"#{first.number}")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Add cases by number").click()
    page.get_by_label("Case numbers").fill(str(second.number))
    assert_accessible(page)
    page.get_by_role("button", name="Link these cases").click()
    expect(page.get_by_text(f"#{second.number}. Each district was told")).to_be_visible()

    # Preview, then confirm.
    page.goto(live_server.url + reverse("admin:cases_devissue_release", args=[issue.pk]))
    page.get_by_label("Fixed in release").fill("2026.12 Release Pack")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("2 cases in 2 districts will move to Available in Release")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Mark fixed and move 2 cases").click()
    expect(page.get_by_text("2 cases in 2 districts moved to Available in Release")).to_be_visible()
    assert_accessible(page)
    assert set(Case.objects.filter(dev_issue=issue).values_list("status", flat=True)) == {
        Status.AVAILABLE_IN_RELEASE
    }

    # The district's page lists the fixed case.
    contact = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    contact.goto(live_server.url + "/accounts/login/")
    contact.get_by_label("Email address").fill(personas.support.email)
    contact.get_by_label("Password").fill(personas.password)
    contact.get_by_role("button", name="Log in").click()
    contact.goto(live_server.url + reverse("district-detail", args=[personas.district_a.slug]))
    expect(contact.get_by_role("link", name=f"#{first.number}")).to_be_visible()
    expect(contact.get_by_text("2026.12 Release Pack")).to_be_visible()
    assert_accessible(contact)
    contact.context.close()
