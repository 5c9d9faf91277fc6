"""The advisors' workbench as an advisor sees it: every admin page they reach is free of WCAG 2.1 A/AA
violations and of CSP errors, and offers no administrator's control."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from cases.casetypes import CaseType, Team
from cases.models import Case, DevIssue, Disruption, Priority, SavedReply
from cases.selectors.queues import QUEUES
from cases.selectors.reports import REPORTS
from cases.services import impact_assess, post_create
from cases.tests.factories import CallerCaseFactory, submit_case
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_advisor_works_through_the_admin_pages_without_accessibility_or_csp_errors(
    page: Page, live_server, personas
) -> None:
    case: Case = submit_case(district=personas.district_a, contact=personas.support)
    impact_assess(actor=personas.advisor, case=case, disruption=Disruption.SEVERE, multiple_districts=True)
    post_create(author=personas.support, case=case, body="<p>Any news?</p>")
    submit_case(
        district=personas.district_b,
        contact=personas.other_district,
        case_type=CaseType.REPORT_OUTAGE,
        priority=Priority.CRITICAL,
        subject="The whole campus is down",
    )
    issue = DevIssue.objects.create(number="DEV-48213", title="Gradebook export drops comments")
    reply = SavedReply.objects.create(title="Thanks", body="Thanks for the details.")
    page.goto(live_server.url + reverse("admin:login"))
    page.get_by_label("Email address").fill(personas.advisor.email)
    page.get_by_label("Password").fill(personas.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    for name, args in [
        ("admin:cases_case_changelist", []),
        ("admin:cases_case_change", [case.pk]),
        ("admin:contacts_district_changelist", []),
        ("admin:contacts_district_change", [personas.district_a.pk]),
        ("admin:contacts_user_changelist", []),
        ("admin:contacts_user_change", [personas.support.pk]),
        ("admin:contacts_user_change", [personas.advisor.pk]),
        ("admin:contacts_membership_changelist", []),
        ("admin:contacts_membership_add", []),
        ("admin:outbox_outboundemail_changelist", []),
        ("admin:cases_devissue_changelist", []),
        ("admin:cases_devissue_change", [issue.pk]),
        ("admin:cases_devissue_add", []),
        ("admin:cases_savedreply_changelist", []),
        ("admin:cases_savedreply_change", [reply.pk]),
        ("admin:cases_release_changelist", []),
        ("admin:cases_module_changelist", []),
        ("admin:cases_case_open", []),
    ]:
        visit(page, live_server.url + reverse(name, args=args))
    # Opening a case: the form of one type for one district, and a caller's case with its transfer card.
    opening = reverse("admin:cases_case_open")
    for case_type in (CaseType.APPLICATION_ISSUE, CaseType.REPORT_OUTAGE):
        visit(page, f"{live_server.url}{opening}?district={personas.district_a.pk}&type={case_type}")
    # Sent without the caller's name and phone: the form comes back with its errors, still accessible.
    page.get_by_label("Subject").fill("Nobody can log in")
    page.get_by_role("button", name="Open the case").click()
    expect(page.get_by_text("Enter the caller's name.")).to_be_visible()
    assert_accessible(page)
    page.console_problems.clear()  # type: ignore[attr-defined]  # Chromium logs the 400 answer itself
    caller_case = CallerCaseFactory(district=personas.district_a, submitted_by=personas.advisor)
    visit(page, live_server.url + reverse("admin:cases_case_change", args=[caller_case.pk]))
    queues = reverse("admin:cases_case_changelist")
    for queue in QUEUES:
        visit(page, f"{live_server.url}{queues}?queue={queue}")
        # The queue fits the 1280 px window: neither the page nor the list scrolls sideways.
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.querySelector('.results')?.scrollWidth ?? 0,"
            " document.querySelector('.results')?.clientWidth ?? 0]"
        )
        assert widths[0] <= 1280, (queue, widths)
        assert widths[1] <= widths[2], (queue, widths)
    visit(page, f"{live_server.url}{queues}?queue=team&team={Team.CAMPUS_SUPPORT}")
    for slug in REPORTS:
        visit(page, live_server.url + reverse("admin:cases_case_report", args=[slug]))
        # The report fits the 1280 px window.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, (slug, width)
    # A figure of the last report leads to the case list of the cases it counts.
    page.locator(".report-table td a").first.click()
    expect(page.locator("#result_list")).to_be_visible()
    assert_accessible(page)
    # The intermediate page of a bulk action.
    page.goto(f"{live_server.url}{queues}?queue=unassigned")
    page.locator("input.action-select").first.check()
    page.locator("select[name=action]").select_option("assign_to")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_label("Assign the selected cases to")).to_be_visible()
    assert_accessible(page)


def visit(page: Page, url: str) -> None:
    """Open an admin page as an advisor: no administrator's control, no accessibility violation."""
    page.goto(url)
    expect(page.locator("#content")).to_be_visible()
    assert page.locator('[name="is_superuser"], [name="groups"], [name="user_permissions"]').count() == 0, url
    assert page.locator('option[value="delete_selected"]').count() == 0, url
    assert_accessible(page)


def test_an_advisor_previews_and_applies_a_contact_change_without_accessibility_errors(
    page: Page, live_server, personas
) -> None:
    case = submit_case(
        district=personas.district_a,
        contact=personas.support,
        case_type=CaseType.MODIFY_CONTACTS,
        subject="Please add our new SIS coordinator",
        details={
            "request_type": "add",
            "contact_first_name": "Robin",
            "contact_last_name": "Hale",
            "contact_email": "robin.hale@a.example.org",
            "contact_type": "technical",
            "areas": ["sis"],
        },
    )
    page.goto(live_server.url + reverse("admin:login"))
    page.get_by_label("Email address").fill(personas.advisor.email)
    page.get_by_label("Password").fill(personas.password)
    page.get_by_role("button", name="Log in").click()
    visit(page, live_server.url + reverse("admin:cases_case_change", args=[case.pk]))
    page.get_by_role("link", name="Apply…").click()
    # The district already has a technical contact: the preview says so and offers no Apply.
    expect(page.get_by_text("already has an active technical contact")).to_be_visible()
    assert page.get_by_role("button", name="Apply these changes").count() == 0
    assert_accessible(page)
    page.get_by_label("Role").select_option("support")
    page.get_by_role("button", name="Update the preview").click()
    expect(page.get_by_text("Give Robin Hale the role Support contact")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Apply these changes").click()
    expect(page.get_by_text("Contact change applied to Maple Grove Public Schools.")).to_be_visible()
    expect(page.get_by_text(f"Applied by {personas.advisor.get_full_name()}")).to_be_visible()
