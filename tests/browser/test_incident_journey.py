"""Status notifications in Chromium: a contact sees the incident banner, reads the Notifications page, is shown the
known issue while typing a subject and links a new case to the incident; an advisor works the notification in the
admin. Every page passes axe-core and logs no CSP error."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from cases.models import Case
from cases.tests.factories import ModuleFactory
from notifications.models import IncidentReport
from notifications.services import notification_update
from notifications.tests.factories import post_incident, post_maintenance
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, url: str, email: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_a_contact_links_a_new_case_to_the_open_incident(page: Page, live_server, personas, monkeypatch):
    monkeypatch.setattr("outbox.services.schedule_delivery", lambda pk: None)
    ModuleFactory(name="Grade Book")
    # The gray banner (nothing open), then the green one (maintenance only), pass the contrast checks too.
    page.goto(live_server.url + "/accounts/login/")
    expect(page.get_by_role("complementary", name="Status notifications")).to_contain_text(
        "No open notifications"
    )
    assert_accessible(page)
    post_maintenance(personas.advisor, title="Database upgrade")
    page.reload()
    expect(page.get_by_role("complementary", name="Status notifications")).to_contain_text(
        "Maintenance: Database upgrade"
    )
    assert_accessible(page)
    incident = post_incident(
        personas.advisor, title="Grade Book posting errors", districts=[personas.district_a]
    )
    notification_update(
        actor=personas.advisor, notification=incident, body="Cause found; a fix is being tested."
    )
    post_incident(personas.advisor, title="Cedar Falls sync stalled", districts=[personas.district_b])

    # Not logged in: the public page, global notifications only.
    page.goto(live_server.url + reverse("notifications:list"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(page.get_by_role("heading", name="Database upgrade")).to_be_visible()
    expect(page.get_by_text("Grade Book posting errors")).to_have_count(0)
    assert_accessible(page)

    log_in(page, live_server.url + "/accounts/login/", personas.support.email, personas.password)
    banner = page.get_by_role("complementary", name="Status notifications")
    expect(banner).to_contain_text("Incident: Grade Book posting errors")
    expect(banner).not_to_contain_text("Cedar Falls")
    assert_accessible(page)
    banner.get_by_role("link", name="All notifications and updates").click()
    expect(page.get_by_role("heading", name="Grade Book posting errors")).to_be_visible()
    expect(page.get_by_text("Cause found; a fix is being tested.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Closed", exact=True).click()
    expect(page.get_by_text("No closed notifications.")).to_be_visible()
    assert_accessible(page)
    # At a phone's width the page still fits.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + reverse("notifications:list"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(live_server.url + reverse("cases:submit", args=["ask-a-question"]))
    expect(page.get_by_role("note").filter(has_text="An incident is open for your district")).to_be_visible()
    page.get_by_label("Module").select_option(label="Grade Book")
    page.get_by_label("Subject").fill("Teachers cannot post grades")
    known = page.locator("#known-issues")
    expect(known).to_contain_text("Known issues that may match")
    expect(known.get_by_role("link", name=re.compile("Grade Book posting errors"))).to_be_visible()
    expect(known).not_to_contain_text("Cedar Falls")
    assert_accessible(page)
    page.get_by_label("Description").fill("Post does nothing for Period 3.")
    page.get_by_label("Location within Product").fill("Grade Book > Post")
    page.get_by_label("Same symptoms as “Grade Book posting errors”").check()
    page.get_by_role("button", name="Submit the case").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Case #\d+ submitted$"))
    expect(page.get_by_text("No phone call is needed")).to_be_visible()
    assert_accessible(page)
    case = Case.objects.get()
    assert IncidentReport.objects.get().case == case


def test_an_advisor_posts_updates_and_closes_a_notification_in_the_admin(
    page: Page, live_server, personas, monkeypatch
):
    monkeypatch.setattr("outbox.services.schedule_delivery", lambda pk: None)
    incident = post_incident(
        personas.advisor, title="Grade Book posting errors", districts=[personas.district_a]
    )
    log_in(page, live_server.url + reverse("admin:login"), personas.advisor.email, personas.password)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for name, args in [
        ("admin:notifications_notification_changelist", []),
        ("admin:notifications_notification_add", []),
        ("admin:notifications_notification_change", [incident.pk]),
        ("admin:notifications_notification_close", [incident.pk]),
    ]:
        page.goto(live_server.url + reverse(name, args=args))
        expect(page.locator("#content")).to_be_visible()
        assert_accessible(page)
    page.get_by_label("Resolution").fill("A fix was deployed at 10:40.")
    page.get_by_role("button", name="Close and send the resolution").click()
    expect(page.get_by_text("is closed; everyone told of it was e-mailed the resolution")).to_be_visible()
    assert_accessible(page)
    incident.refresh_from_db()
    assert incident.closed_at is not None
