"""The case page in Chromium: a contact opens a case, posts with an attachment and a pasted image in
the rich-text editor, the advisor's reply appears, the contact closes and re-opens the case. Every state is
checked with axe, and the page fixture fails on any console error (a CSP violation shows up there)."""

import re

import pytest
from playwright.sync_api import Page, expect

from cases.models import Attachment, Case, Post
from cases.services import post_create
from cases.tests.factories import CallerCaseFactory
from cases.tests.page_helpers import PDF, make_case, png_bytes, private_media_fixture  # noqa: F401
from cases.workflow import Status
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, live_server, email: str, password: str) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def test_contact_posts_with_attachments_sees_the_reply_closes_and_reopens(
    page: Page, live_server, personas, tmp_path
):
    case = make_case(personas, Status.PENDING_CUSTOMER_INPUT)
    log_in(page, live_server, personas.support.email, personas.password)
    page.goto(f"{live_server.url}/cases/{case.number}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(case.subject)
    expect(page.locator(".case-top")).to_contain_text("Pending Customer Input")
    assert_accessible(page)

    # The status meaning opens from the keyboard, and Escape closes it.
    tip = page.locator(".status-line .tip summary")
    tip.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".status-line .tip__text")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".status-line .tip__text")).to_be_hidden()

    # So does how the first-response target was computed.
    page.locator("[data-sla-explanation]").locator("xpath=..").locator("summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-sla-explanation]")).to_contain_text("business hour")
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(page.locator("[data-sla-explanation]")).to_be_hidden()

    # Rich text: bold with the toolbar, a list, an image inserted from a file, and an attachment.
    editor = page.get_by_role("textbox", name="Share an update")
    editor.click()
    page.get_by_role("button", name="Bold").click()
    page.keyboard.type("Still broken")
    page.get_by_role("button", name="Bold").click()
    page.keyboard.type(" after the update. Steps:")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Numbered list").click()
    page.keyboard.type("Open the grade book")
    image = tmp_path / "screen.png"
    image.write_bytes(png_bytes(40, 20))
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Insert an image").click()
    chooser.value.set_files(str(image))
    expect(page.locator(".editor__area img")).to_have_count(1)
    report = tmp_path / "report.pdf"
    report.write_bytes(PDF)
    page.get_by_label("Attach files").set_input_files(str(report))
    expect(page.locator("[data-file-list]")).to_contain_text("report.pdf")
    assert_accessible(page)
    page.get_by_role("button", name="Share", exact=True).click()

    expect(page.get_by_role("status").first).to_contain_text("Your post was shared.")
    post = Post.objects.get()
    assert "<b>Still broken</b>" in post.body
    assert "<ol><li>Open the grade book" in post.body
    assert sorted(Attachment.objects.values_list("name", "inline")) == [
        ("pasted-image-1.png", True),
        ("report.pdf", False),
    ]
    assert re.search(r'<img src="/attachments/[0-9a-f-]{36}/pasted-image-1\.png"', post.body)
    feed = page.locator("#feed")
    expect(feed).to_contain_text("Still broken")
    expect(feed.get_by_role("link", name=re.compile("report.pdf"))).to_be_visible()
    expect(feed.locator(".entry__body img")).to_have_js_property("naturalWidth", 40)  # served to <img>
    expect(page.locator(".case-top")).to_contain_text("Assigned")  # the ball is back with support
    assert_accessible(page)

    # The advisor answers (in the workbench, through the same service); the contact reloads.
    post_create(
        author=personas.advisor,
        case=Case.objects.get(pk=case.pk),
        body="<p>Fixed on our side, please retry.</p>",
    )
    page.reload()
    expect(feed.locator(".entry--post").first).to_contain_text("Fixed on our side, please retry.")

    # Search this feed (htmx), then clear it.
    page.get_by_label("Search this feed").fill("retry")
    expect(feed).not_to_contain_text("Still broken")
    expect(page.locator("#feed-count")).to_contain_text("1 entry match")
    expect(page).to_have_url(re.compile(r"\?q=retry$"))
    page.get_by_label("Search this feed").fill("")
    expect(feed).to_contain_text("Still broken")

    # Close, with a confirmation.
    page.get_by_text("Close case", exact=True).click()
    page.get_by_role("button", name=f"Yes, close case #{case.number}").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Case #{case.number} is closed")
    expect(page.locator(".case-top")).to_contain_text("Closed")
    assert_accessible(page)

    # Re-open, which needs the additional details.
    page.get_by_role("link", name="Re-open case").click()
    page.get_by_role("textbox", name="What is still wrong?").click()
    page.keyboard.type("It came back this morning for two teachers.")
    page.get_by_role("button", name=f"Re-open case #{case.number}").click()
    expect(page.get_by_role("status").first).to_contain_text("is re-opened")
    expect(page.locator(".case-top")).to_contain_text("Re-Opened")
    expect(feed.locator(".entry--post").first).to_contain_text("It came back this morning")
    assert Case.objects.get(pk=case.pk).status == Status.REOPENED
    assert_accessible(page)


def test_read_only_contact_follows_the_case_on_a_phone(page: Page, live_server, personas):
    case = make_case(personas)
    post_create(author=personas.advisor, case=case, body="<p>We are looking into it.</p>")
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, personas.read_only.email, personas.password)
    page.goto(f"{live_server.url}/cases/{case.number}/")
    expect(page.get_by_text("read-only access")).to_be_visible()
    expect(page.get_by_role("textbox", name="Share an update")).to_have_count(0)
    expect(page.get_by_text("Close case", exact=True)).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("button", name="Add me to notifications on this case").click()
    expect(page.get_by_role("status").first).to_contain_text("You will get an e-mail about every update")
    expect(page.get_by_role("button", name="Remove me from notifications on this case")).to_be_visible()
    assert_accessible(page)


def test_a_case_phoned_in_without_a_contact_reads_well_for_advisors_and_contacts(
    page: Page, live_server, personas
):
    case = CallerCaseFactory(
        district=personas.district_a, submitted_by=personas.advisor, subject="Campus is down"
    )
    log_in(page, live_server, personas.advisor.email, personas.password)
    page.goto(f"{live_server.url}/cases/{case.number}/")
    facts = page.locator(".side-facts").first
    expect(facts).to_contain_text("Caller: Pat Lee")
    expect(facts).to_contain_text("555-0142")
    assert_accessible(page)

    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, personas.support.email, personas.password)
    page.goto(f"{live_server.url}/cases/{case.number}/")
    expect(page.locator(".side-facts").first).to_contain_text("Phoned in by Pat Lee")
    expect(page.get_by_text("555-0142")).to_have_count(0)
    assert_accessible(page)
    page.goto(f"{live_server.url}/cases/")
    expect(page.locator("td.col-contact")).to_have_text(["Phoned in by Pat Lee"])
    assert_accessible(page)
