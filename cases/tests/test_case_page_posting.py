"""Posting on the case page: rich text sanitized on write, attachments stored privately and checked,
limits enforced by the server, refused posts that write nothing, double submissions stored once."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Attachment, Case, CaseEvent, Post
from cases.services import case_close, post_create
from cases.tests.page_helpers import (  # noqa: F401
    PDF,
    counts,
    deliver_mail,
    docx_bytes,
    login,
    make_case,
    pdf,
    png,
    png_bytes,
    post_data,
    private_media_fixture,
    stored_files,
    upload,
    url,
)
from cases.workflow import Status

pytestmark = pytest.mark.django_db


def send(client: Client, case: Case, data: dict, files: dict | None = None):
    payload = dict(data)
    for name, items in (files or {}).items():
        payload[name] = items
    return client.post(url("post", case), payload)


# --- a good post ------------------------------------------------------------------------------------------------


def test_a_contact_posts_with_attachments_in_one_step(client, personas, private_media):
    case = make_case(personas)
    login(client, personas.support)
    response = send(
        client, case, post_data("<p>Log and report attached.</p>"), {"attachments": [pdf(), png()]}
    )
    post = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", case) + f"#post-{post.pk}"
    assert post.body == "<p>Log and report attached.</p>"
    assert post.author == personas.support
    assert not post.is_internal
    files = Attachment.objects.filter(post=post).order_by("name")
    assert [(a.name, a.content_type, a.uploaded_by) for a in files] == [
        ("report.pdf", "application/pdf", personas.support),
        ("screen.png", "image/png", personas.support),
    ]
    # stored outside any public URL, under random names that keep nothing of the uploaded name
    on_disk = stored_files(private_media)
    assert len(on_disk) == 2
    assert all(re.fullmatch(r"[0-9a-f]{32}", p.name) for p in on_disk)
    assert sorted(p.read_bytes()[:4] for p in on_disk) == sorted([PDF[:4], png_bytes()[:4]])
    event = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.POST_ADDED).get()
    assert event.data["attachments"] == ["report.pdf", "screen.png"]
    follow = client.get(response["Location"])
    assert "Your post was shared." in follow.content.decode()
    assert "report.pdf" in follow.content.decode()


def test_a_contacts_post_on_a_case_waiting_for_the_district_hands_it_back(client, personas):
    for status in [Status.PENDING_CUSTOMER_INPUT, Status.PENDING_CUSTOMER_VERIFICATION]:
        case = make_case(personas, status, subject=f"waiting {status}")
        login(client, personas.technical)
        send(client, case, post_data("<p>Here is what you asked.</p>"))
        case.refresh_from_db()
        assert case.status == Status.ASSIGNED
        last = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.STATUS_CHANGED).latest("pk")
        assert (last.old, last.new, last.data["reason"]) == (status, Status.ASSIGNED, "contact_replied")


def test_without_javascript_the_text_becomes_paragraphs_and_markup_is_shown_as_text(client, personas):
    case = make_case(personas)
    login(client, personas.support)
    data = post_data("Line one\nline two\n\n<b>not bold</b>", format="text")
    send(client, case, data)
    assert Post.objects.get().body == "<p>Line one<br>line two</p>\n\n<p>&lt;b&gt;not bold&lt;/b&gt;</p>"


def test_a_post_with_only_files_is_accepted(client, personas):
    case = make_case(personas)
    login(client, personas.support)
    assert send(client, case, post_data(""), {"attachments": [pdf()]}).status_code == 302
    assert Attachment.objects.count() == 1


def test_office_text_and_zip_files_are_accepted_with_a_server_chosen_type(client, personas):
    case = make_case(personas)
    login(client, personas.support)
    files = [
        upload("plan.docx", docx_bytes(), "text/html"),  # the browser's type is ignored
        upload("export.csv", "name;grade\nÉmile;A\n".encode(), "application/x-msdownload"),
        upload("notes.txt", b"plain words\r\n"),
    ]
    send(client, case, post_data("<p>files</p>"), {"attachments": files})
    types = dict(Attachment.objects.values_list("name", "content_type"))
    assert types == {
        "plan.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "export.csv": "text/csv; charset=utf-8",
        "notes.txt": "text/plain; charset=utf-8",
    }


# --- sanitizing --------------------------------------------------------------------------------------------------


def test_script_event_handlers_javascript_links_and_external_images_are_removed(client, personas):
    case = make_case(personas)
    login(client, personas.support)
    body = (
        '<p onclick="steal()">Hello <script>alert(1)</script><strong>there</strong></p>'
        '<p><a href="javascript:alert(1)">click</a> <a href="https://kb.example.com/x">kb</a></p>'
        '<img src="https://tracker.example.net/pixel.gif"><img src="x" onerror="alert(1)">'
        '<iframe src="https://evil.example"></iframe><style>body{}</style>'
    )
    send(client, case, post_data(body))
    stored = Post.objects.get().body
    for bad in [
        "script",
        "onclick",
        "javascript:",
        "tracker.example.net",
        "onerror",
        "<img",
        "iframe",
        "style",
    ]:
        assert bad not in stored, bad
    assert "<strong>there</strong>" in stored
    assert '<a href="https://kb.example.com/x" rel="noopener noreferrer nofollow">kb</a>' in stored
    page = client.get(url("detail", case)).content.decode()
    assert "alert(1)" not in page


def test_pasted_images_become_attachments_shown_in_the_text(client, personas):
    case = make_case(personas)
    login(client, personas.support)
    body = '<p>See:</p><p><img src="/attachments/new/0" alt="Pasted image"><img src="/attachments/new/7"></p>'
    send(client, case, post_data(body), {"pasted": [png("image.png")]})
    attachment = Attachment.objects.get()
    assert attachment.inline
    assert Post.objects.get().body == f'<p>See:</p><p><img src="{attachment.url}" alt="Pasted image"></p>'
    assert attachment.url.startswith("/attachments/")


def test_pasted_files_must_be_images(client, personas):
    case = make_case(personas)
    login(client, personas.support)
    response = send(client, case, post_data("<p>x</p>"), {"pasted": [pdf("image.pdf")]})
    assert response.status_code == 400
    assert Attachment.objects.count() == 0


def test_images_may_show_only_attachments_of_the_same_case(client, personas):
    other = make_case(personas, subject="other case")
    post_create(author=personas.support, case=other, body="<p>x</p>", attachments=[png("other.png")])
    foreign = Attachment.objects.get()
    case = make_case(personas)
    post_create(author=personas.support, case=case, body="<p>y</p>", attachments=[png("mine.png")])
    mine = Attachment.objects.get(case=case)
    login(client, personas.support)
    send(client, case, post_data(f'<p><img src="{foreign.url}"><img src="{mine.url}"></p>'))
    stored = Post.objects.latest("pk").body
    assert foreign.url not in stored
    assert mine.url in stored


# --- refused posts write nothing -------------------------------------------------------------------------------


def test_a_read_only_contact_cannot_post(client, personas, private_media):
    case = make_case(personas)
    before = counts()
    response = send(login(client, personas.read_only), case, post_data(), {"attachments": [pdf()]})
    assert response.status_code == 403
    assert counts() == before
    assert stored_files(private_media) == []


def test_another_districts_case_cannot_be_posted_on(client, personas, private_media):
    case = make_case(personas)
    before = counts()
    response = send(login(client, personas.other_district), case, post_data(), {"attachments": [pdf()]})
    assert response.status_code == 404
    assert counts() == before
    assert stored_files(private_media) == []


def test_anonymous_posts_are_sent_to_log_in(client, personas):
    case = make_case(personas)
    before = counts()
    response = send(client, case, post_data())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert counts() == before


def test_a_post_without_the_csrf_token_is_refused(personas):
    case = make_case(personas)
    client = login(Client(enforce_csrf_checks=True), personas.support)
    before = counts()
    assert send(client, case, post_data()).status_code == 403
    assert counts() == before


def test_a_contact_cannot_post_on_a_closed_case(client, personas):
    case = make_case(personas)
    case_close(actor=personas.support, case=case)
    before = counts()
    response = send(login(client, personas.support), case, post_data())
    assert response.status_code == 302
    assert counts() == before
    assert "This case is closed" in client.get(response["Location"]).content.decode()


def test_a_contact_cannot_write_an_internal_note(client, personas):
    case = make_case(personas)
    send(login(client, personas.support), case, post_data("<p>not internal</p>", internal="on"))
    assert Post.objects.get().is_internal is False


def test_an_empty_post_is_refused_with_a_message(client, personas):
    case = make_case(personas)
    before = counts()
    response = send(login(client, personas.support), case, post_data("<p> </p><p><br></p>"))
    assert response.status_code == 400
    assert "Write a message before posting." in response.content.decode()
    assert counts() == before


def test_too_many_files_keep_the_text_and_store_nothing(client, personas, settings, private_media):
    settings.ATTACHMENT_MAX_PER_POST = 3
    case = make_case(personas)
    before = counts()
    response = send(
        login(client, personas.support),
        case,
        post_data("<p>My <strong>careful</strong> explanation</p>"),
        {"attachments": [pdf(f"r{i}.pdf") for i in range(4)]},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "A post can have at most 3 files" in html
    assert "please choose the files again" in html
    assert "My &lt;strong&gt;careful&lt;/strong&gt; explanation" in html  # kept in the editor's textarea
    assert counts() == before
    assert stored_files(private_media) == []


def test_an_oversized_file_keeps_the_text_and_stores_nothing(client, personas, settings, private_media):
    settings.ATTACHMENT_MAX_BYTES = 1000
    case = make_case(personas)
    before = counts()
    big = upload("big.pdf", PDF + b"0" * 2000)
    response = send(
        login(client, personas.support), case, post_data("<p>kept text</p>"), {"attachments": [pdf(), big]}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "big.pdf is larger than 1000" in html
    assert "kept text" in html
    assert counts() == before
    assert stored_files(private_media) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tool.exe", b"MZ\x90\x00", "this type of file is not accepted"),
        ("page.html", b"<html><script>alert(1)</script>", "this type of file is not accepted"),
        ("logo.svg", b"<svg onload='alert(1)'/>", "this type of file is not accepted"),
        ("invoice.pdf", b"MZ\x90\x00 not a pdf", "does not look like a PDF document"),
        ("photo.png", b"%PDF-1.4 a pdf", "does not look like a PNG image"),
        ("notes.txt", b"\x00\x01binary\x00", "does not look like a text file"),
        ("plan.docx", b"PK\x03\x04 broken zip", "does not look like a Word document"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_files_are_checked_by_extension_and_content(client, personas, private_media, name, content, message):
    case = make_case(personas)
    before = counts()
    response = send(
        login(client, personas.support),
        case,
        post_data("<p>text</p>"),
        {"attachments": [upload(name, content)]},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before
    assert stored_files(private_media) == []


def test_file_names_are_cleaned(client, personas):
    case = make_case(personas)
    send(
        login(client, personas.support),
        case,
        post_data(),
        {"attachments": [pdf('..\\..\\evil<script>".pdf')]},
    )
    assert Attachment.objects.get().name == "evil_script_.pdf"


# --- double submission -----------------------------------------------------------------------------------------


def test_a_double_submitted_post_is_stored_once(client, personas, private_media):
    case = make_case(personas)
    login(client, personas.support)
    data = post_data("<p>clicked twice</p>")
    first = send(client, case, data, {"attachments": [pdf()]})
    second = send(client, case, data, {"attachments": [pdf()]})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Post.objects.count() == 1
    assert Attachment.objects.count() == 1
    assert len(stored_files(private_media)) == 1
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.POST_ADDED).count() == 1


def test_a_token_of_someone_elses_post_is_refused(client, personas):
    case = make_case(personas)
    token = uuid.uuid4()
    post_create(author=personas.technical, case=case, body="<p>mine</p>", client_token=token)
    before = counts()
    response = send(login(client, personas.support), case, post_data("<p>theirs</p>", token=str(token)))
    assert response.status_code == 400
    assert counts() == before


# --- GET never acts -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action",
    [
        "post",
        "close",
        "reopen",
        "permission-grant",
        "permission-withdraw",
        "recipients-add",
        "recipients-remove",
    ],
)
@pytest.mark.parametrize("persona", ["support", "advisor", "read_only"])
def test_get_on_an_action_url_is_405_and_changes_nothing(client, personas, action, persona):
    case = make_case(personas)
    before = counts()
    status = Case.objects.get(pk=case.pk).status
    response = login(client, getattr(personas, persona)).get(url(action, case) + "?users=1&body=x")
    assert response.status_code == 405
    assert counts() == before
    assert Case.objects.get(pk=case.pk).status == status


# --- e-mail -----------------------------------------------------------------------------------------------------


def test_a_public_post_is_emailed_to_the_recipients_but_not_the_author(
    client, personas, django_capture_on_commit_callbacks
):
    from cases.services import recipients_add

    case = make_case(personas)
    recipients_add(actor=personas.support, case=case, users=[personas.technical])
    recipients_add(actor=personas.read_only, case=case, users=[personas.read_only])
    login(client, personas.support)
    with django_capture_on_commit_callbacks() as callbacks:
        send(client, case, post_data("<p>The <em>grade book</em> is fixed?</p>"), {"attachments": [pdf()]})
    assert len(callbacks) == 3  # one delivery task per e-mail, queued on commit: two recipients, the advisor
    # The assigned advisor's e-mail is support's (cases/tests/test_advisor_notifications.py).
    messages = [m for m in deliver_mail() if m.to != [personas.advisor.email]]
    assert sorted(m.to[0] for m in messages) == ["readonly@a.example.org", "technical@a.example.org"]
    link = f"/cases/{case.number}/"
    for message in messages:
        assert f"[Case #{case.number}]" in message.subject
        assert "New post from Dana" in message.subject
        assert "The grade book is fixed?" in message.body
        assert "report.pdf" in message.body
        assert link in message.body
        assert link in message.alternatives[0].content


def test_an_internal_note_is_emailed_to_nobody(client, personas):
    from cases.services import recipients_add

    case = make_case(personas)
    recipients_add(actor=personas.support, case=case, users=[personas.technical])
    send(login(client, personas.advisor), case, post_data("<p>INTERNAL detail</p>", internal="on"))
    post = Post.objects.get()
    assert post.is_internal
    assert deliver_mail() == []
    assert "INTERNAL" not in "".join(
        e.body_text + e.body_html for e in __import__("outbox.models").models.OutboundEmail.objects.all()
    )


def test_an_advisors_post_records_the_first_response_and_is_emailed_to_the_owner(client, personas):
    case = make_case(personas)
    send(login(client, personas.advisor), case, post_data("<p>We are on it.</p>"))
    case.refresh_from_db()
    assert case.first_response_at is not None
    [message] = deliver_mail()
    assert message.to == ["support@a.example.org"]
    assert "(Support)" in message.body


def test_an_image_url_is_rebuilt_from_its_attachment_so_nothing_can_follow_the_key(client, personas):
    case = make_case(personas)
    post_create(author=personas.support, case=case, body="<p>y</p>", attachments=[png("mine.png")])
    mine = Attachment.objects.get(case=case)
    login(client, personas.support)
    crafted = f"/attachments/{mine.key}/../../accounts/logout/"
    send(client, case, post_data(f'<p><img src="{crafted}" alt="x"></p>'))
    stored = Post.objects.latest("pk").body
    assert crafted not in stored
    assert f'src="{mine.url}"' in stored


def test_a_feed_search_with_a_nul_byte_is_answered_not_a_500(client, personas):
    case = make_case(personas)
    login(client, personas.support)
    assert client.get(url("detail", case), {"q": "a\x00b"}).status_code == 200
    assert client.get(url("feed", case), {"q": "a\x00b"}, headers={"HX-Request": "true"}).status_code == 200


@pytest.mark.parametrize("follows", ["²", "1" * 40, "-3", "abc"])
def test_a_crafted_follow_up_reference_is_a_404_not_a_500(client, personas, follows):
    login(client, personas.support)
    response = client.get("/cases/new/application-issue/", {"follows": follows})
    assert response.status_code == 404
