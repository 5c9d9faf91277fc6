"""The 3x10 timeline on the case page in Chromium: a contact reads when the follow-ups go out and when the case
closes, asks once for more time, and sees the new dates and the feed entry; at desktop and phone widths, with
axe checks (the page fixture fails on any console error)."""

import os

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases import followup
from cases.models import FollowUpSequence
from cases.services import case_assign, case_set_status
from cases.tests.factories import submit_case
from cases.workflow import Status
from tests.browser.conftest import assert_accessible
from tests.browser.test_case_page import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_contact_reads_the_timeline_and_asks_for_more_time_once(page: Page, live_server, personas):
    case = submit_case(district=personas.district_a, contact=personas.support)
    case_assign(actor=personas.advisor, case=case, assignee=personas.advisor)
    case_set_status(
        actor=personas.advisor,
        case=case,
        status=Status.PENDING_CUSTOMER_VERIFICATION,
        resolution="<p>The report is under Attendance, then Daily.</p>",
    )
    before = followup.timeline_text(FollowUpSequence.objects.get(case=case))
    log_in(page, live_server, personas.support.email, personas.password)
    page.goto(f"{live_server.url}/cases/{case.number}/")
    panel = page.locator("#followup")
    expect(panel).to_contain_text(before)
    assert_accessible(page)

    panel.get_by_text("I need more time").first.click()
    expect(panel.get_by_label("How much more time?")).to_be_visible()
    panel.get_by_label("How much more time?").select_option("5")
    assert_accessible(page)
    if shots := os.environ.get("SCREENSHOTS"):
        panel.screenshot(path=f"{shots}/followup-1280-open.png")
    panel.get_by_role("button", name="I need more time").click()

    sequence = FollowUpSequence.objects.get(case=case)
    closes = timezone.localtime(sequence.close_at)
    expect(page.get_by_role("status").first).to_contain_text("You have 5 more business days")
    expect(page.locator("#followup")).to_contain_text(followup.timeline_text(sequence))
    expect(page.locator("#followup")).to_contain_text("asked for more time")
    expect(page.locator("#followup").get_by_role("button", name="I need more time")).to_have_count(0)
    expect(page.locator("#feed")).to_contain_text(f"to {closes:%a} {closes.day} {closes:%b}")
    assert sequence.more_time_by == personas.support
    assert_accessible(page)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/cases/{case.number}/")
    expect(page.locator("#followup")).to_be_visible()
    if shots:
        page.screenshot(path=f"{shots}/followup-390.png", full_page=False)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at 390 px ({width} px wide)"
    assert_accessible(page)
