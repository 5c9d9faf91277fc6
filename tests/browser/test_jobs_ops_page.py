"""The jobs' ops page as an administrator sees it at 1280 px and at 390 px: accessible, no CSP error, nothing
wider than the window; two beats and a failing job stand out; "Run now" answers on the page."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from contacts.tests.factories import PASSWORD, UserFactory
from jobs import beat
from jobs.models import JobRun
from jobs.tasks import run_job
from outbox.models import OutboundEmail
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_reads_the_jobs_and_runs_one(page: Page, live_server, monkeypatch) -> None:
    monkeypatch.setattr(beat, "PRESENCE_KEY", f"test:beats:{uuid.uuid4().hex}")
    queued: list[str] = []
    monkeypatch.setattr(run_job, "delay", queued.append)
    two = [beat.Presence(), beat.Presence()]
    for presence in two:
        presence.refresh(force=True)
    now = timezone.now()
    OutboundEmail.objects.create(
        key="ops-page",
        to_address="it@a.example.org",
        for_account=False,
        subject="Hi",
        body_text="Hi",
        next_attempt_at=now - timedelta(minutes=42),
    )
    JobRun.objects.create(
        job="email-outbox",
        started_at=now - timedelta(minutes=1),
        finished_at=now,
        evaluated_at=now,
        due=6,
        done=1,
        failed=5,
        stopped_early=True,
        failures=[
            {
                "row": str(uuid.uuid4()),
                "error": "DeliveryFailed: SMTPServerDisconnected: Connection unexpectedly closed (attempt 3; next at 2026-12-07T15:04:00+00:00)",
            }
        ]
        * 5,
    )
    admin = UserFactory(email="root@support.example.com", is_staff=True, is_superuser=True)
    try:
        page.goto(live_server.url + reverse("admin:login"))
        page.get_by_label("Email address").fill(admin.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(live_server.url + reverse("admin:jobs_ops"))
        expect(page.get_by_role("alert")).to_contain_text("2 beats are running.")
        expect(page.get_by_text("Stopped after failures in a row")).to_be_visible()
        page.get_by_text("Failures in the last week").click()
        expect(page.get_by_text("SMTPServerDisconnected").first).to_be_visible()
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.set_viewport_size({"width": 390, "height": 844})
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_role("button", name="Run now: E-mail outbox").click()
        expect(page.get_by_text("“E-mail outbox” is queued")).to_be_visible()
        assert queued == ["email-outbox"]
        assert_accessible(page)
        page.get_by_role("link", name="All runs").click()
        expect(page.locator("#result_list")).to_be_visible()
        assert_accessible(page)
    finally:
        for presence in two:
            presence.leave()
