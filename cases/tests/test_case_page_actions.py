"""Case page actions: close and re-open, the follow-up case, written permission, notification
recipients, attachment downloads, and the e-mails status changes and escalations send."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.casetypes import CaseType, Team
from cases.models import Attachment, Case, CaseEvent, Category, Post, Recipient
from cases.services import (
    case_close,
    case_escalate,
    case_set_status,
    permission_grant,
    post_create,
    recipients_add,
)
from cases.tests.page_helpers import (  # noqa: F401
    counts,
    deliver_mail,
    login,
    make_case,
    pdf,
    png,
    post_data,
    private_media_fixture,
    url,
)
from cases.workflow import Status
from contacts.models import Membership
from contacts.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- close ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["support", "technical", "implementation", "advisor"])
def test_authorized_contacts_and_advisors_close_an_open_case(client, personas, persona):
    case = make_case(personas, Status.PENDING_CUSTOMER_VERIFICATION)
    response = login(client, getattr(personas, persona)).post(url("close", case))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    event = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.STATUS_CHANGED).latest("pk")
    assert (event.new, event.actor) == (Status.CLOSED, getattr(personas, persona))
    assert "is closed" in client.get(response["Location"]).content.decode()


def test_read_only_contact_cannot_close(client, personas):
    case = make_case(personas)
    before = counts()
    assert login(client, personas.read_only).post(url("close", case)).status_code == 403
    assert counts() == before
    assert Case.objects.get(pk=case.pk).status == Status.ASSIGNED


def test_another_districts_contact_cannot_close(client, personas):
    case = make_case(personas)
    before = counts()
    assert login(client, personas.other_district).post(url("close", case)).status_code == 404
    assert counts() == before


def test_closing_twice_says_so_and_changes_nothing_more(client, personas):
    case = make_case(personas)
    login(client, personas.support)
    client.post(url("close", case))
    before = counts()
    response = client.post(url("close", case))
    assert "already Closed" in client.get(response["Location"]).content.decode()
    assert counts() == before


def test_closing_emails_the_other_recipients_with_the_status_and_its_meaning(client, personas):
    case = make_case(personas, contact=personas.technical)
    recipients_add(actor=personas.technical, case=case, users=[personas.support])
    login(client, personas.support).post(url("close", case))
    [message] = deliver_mail()
    assert message.to == ["technical@a.example.org"]
    assert "Status: Closed" in message.subject
    assert "Assigned -> Closed" in message.body
    assert "The case is resolved and complete." in message.body


# --- re-open ----------------------------------------------------------------------------------------------------


def test_reopen_within_60_days_needs_the_details_and_posts_them(client, personas):
    case = make_case(personas)
    case_close(actor=personas.support, case=case)
    login(client, personas.technical)
    refused = client.post(url("reopen", case), post_data(details="<p> </p>", body=""))
    assert refused.status_code == 400
    assert "needs the additional details" in refused.content.decode()
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED
    data = post_data(details="<p>It failed again <b>today</b>.</p>")
    response = client.post(url("reopen", case), data)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.REOPENED
    post = Post.objects.get(case=case)
    assert post.body == "<p>It failed again <b>today</b>.</p>"
    # the same form sent twice re-opens once
    again = client.post(url("reopen", case), data)
    assert again.status_code == 302
    assert Post.objects.filter(case=case).count() == 1


def test_images_in_reopen_details_must_be_attachments_of_the_case(client, personas):
    case = make_case(personas)
    case_close(actor=personas.support, case=case)
    details = '<p>Still broken</p><img src="/attachments/new/0"><img src="/attachments/00000000-0000-4000-8000-000000000000/x.png">'
    login(client, personas.support).post(url("reopen", case), post_data(details=details))
    assert Post.objects.get(case=case).body == "<p>Still broken</p>"


def test_reopen_after_60_days_is_refused_and_the_follow_up_is_offered(client, personas):
    case = make_case(personas)
    case_close(actor=personas.support, case=case)
    with time_machine.travel(timezone.now() + timedelta(days=61)):
        login(client, personas.support)
        before = counts()
        response = client.post(url("reopen", case), post_data(details="<p>again</p>"))
        assert counts() == before
        html = client.get(response["Location"]).content.decode()
    assert "can no longer be re-opened" in html
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED


def test_read_only_contact_cannot_reopen(client, personas):
    case = make_case(personas)
    case_close(actor=personas.support, case=case)
    before = counts()
    response = login(client, personas.read_only).post(url("reopen", case), post_data(details="<p>again</p>"))
    assert response.status_code == 403
    assert counts() == before


def test_submit_a_new_case_referencing_a_closed_one_prefills_and_links_back(client, personas):
    case = make_case(personas)
    case_close(actor=personas.support, case=case)
    later = timezone.now() + timedelta(days=61)
    with time_machine.travel(later):
        login(client, personas.support)
        form_url = reverse("cases:submit", args=["ask-a-question"]) + f"?follows={case.number}"
        page = client.get(form_url).content.decode()
        assert f"Follow-up to #{case.number}: Teachers unable to post grades" in page
        assert f"This continues case #{case.number}" in page
        assert "will reference closed case" in page
        response = client.post(
            form_url,
            {
                "district": personas.district_a.pk,
                "contact": personas.support.pk,
                "priority": 3,
                "subject": f"Follow-up to #{case.number}",
                "description": "It is back.",
                "module": "",
                "location": "",
            },
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    new = Case.objects.exclude(pk=case.pk).get()
    assert new.follows_case == case
    assert new.category == Category.PORTAL_FOLLOW_UP
    assert new.case_type == CaseType.ASK_QUESTION
    old_page = login(client, personas.support).get(url("detail", case)).content.decode()
    assert f"#{new.number}" in old_page
    new_page = client.get(url("detail", new)).content.decode()
    assert f"#{case.number} Teachers unable to post grades" in new_page


def test_a_follow_up_of_another_districts_case_is_a_404(client, personas):
    case = make_case(personas)
    case_close(actor=personas.support, case=case)
    login(client, personas.other_district)
    response = client.get(reverse("cases:submit", args=["ask-a-question"]) + f"?follows={case.number}")
    assert response.status_code == 404


def test_a_follow_up_of_an_open_case_goes_back_to_that_case(client, personas):
    case = make_case(personas)
    response = login(client, personas.support).get(
        reverse("cases:submit", args=["ask-a-question"]) + f"?follows={case.number}"
    )
    assert response["Location"] == url("detail", case)


# --- written permission --------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["support", "technical", "implementation"])
def test_an_authorized_contact_grants_written_permission_in_one_click(client, personas, persona):
    case = make_case(personas)
    user = getattr(personas, persona)
    response = login(client, user).post(url("permission-grant", case))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.written_permission_by == user
    assert case.written_permission_at is not None
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.PERMISSION_GRANTED)
    assert event.actor == user
    html = client.get(url("detail", case)).content.decode()
    assert f"Granted by {user.get_full_name()}" in html


def test_written_permission_can_be_withdrawn_and_granted_again(client, personas):
    case = make_case(personas)
    login(client, personas.support)
    client.post(url("permission-grant", case))
    client.post(url("permission-withdraw", case))
    case.refresh_from_db()
    assert case.written_permission_at is None
    assert case.written_permission_withdrawn_by == personas.support
    html = client.get(url("detail", case)).content.decode()
    assert "Withdrawn by" in html
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.PERMISSION_WITHDRAWN).count() == 1
    client.post(url("permission-grant", case))
    case.refresh_from_db()
    assert case.written_permission_at is not None
    assert case.written_permission_withdrawn_at is None


def test_read_only_contact_cannot_grant_permission(client, personas):
    case = make_case(personas)
    before = counts()
    assert login(client, personas.read_only).post(url("permission-grant", case)).status_code == 403
    assert login(client, personas.read_only).post(url("permission-withdraw", case)).status_code == 403
    assert counts() == before
    assert Case.objects.get(pk=case.pk).written_permission_at is None


def test_the_admin_shows_written_permission_and_attachments(client, personas):
    admin_client = login(
        client, UserFactory(email="root@support.example.com", is_staff=True, is_superuser=True)
    )
    case = make_case(personas)
    permission_grant(actor=personas.support, case=case)
    post_create(author=personas.support, case=case, body="<p>x</p>", attachments=[pdf()])
    html = admin_client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "Written permission" in html
    assert personas.support.get_full_name() in html
    assert "report.pdf" in html
    assert Attachment.objects.get().url in html


# --- notification recipients ----------------------------------------------------------------------------------


def test_an_authorized_contact_adds_and_removes_other_authorized_contacts(client, personas):
    case = make_case(personas)
    login(client, personas.support)
    page = client.get(url("detail", case)).content.decode()
    assert f'value="{personas.technical.pk}"' in page
    assert f'id="add-recipient-{personas.read_only.pk}"' not in page  # read-only contacts are not offered
    assert f'id="add-recipient-{personas.deactivated.pk}"' not in page
    client.post(url("recipients-add", case), {"users": [personas.technical.pk, personas.implementation.pk]})
    assert set(Recipient.objects.filter(case=case).values_list("user__email", flat=True)) == {
        "support@a.example.org",
        "technical@a.example.org",
        "implementation@a.example.org",
    }
    added = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.RECIPIENT_ADDED)
    assert sorted(e.new for e in added) == sorted(
        [str(personas.technical.pk), str(personas.implementation.pk)]
    )
    client.post(url("recipients-remove", case), {"users": [personas.technical.pk]})
    assert not Recipient.objects.filter(case=case, user=personas.technical).exists()
    assert [e.old for e in CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.RECIPIENT_REMOVED)] == [
        str(personas.technical.pk)
    ]


def test_the_owner_cannot_be_removed(client, personas):
    case = make_case(personas)
    before = counts()
    response = login(client, personas.technical).post(
        url("recipients-remove", case), {"users": [personas.support.pk]}
    )
    assert "always receives its notifications" in client.get(response["Location"]).content.decode()
    assert counts() == before


@pytest.mark.parametrize("who", ["read_only", "other_district", "deactivated"])
def test_read_only_deactivated_and_outside_people_cannot_be_added_by_others(client, personas, who):
    case = make_case(personas)
    before = counts()
    response = login(client, personas.support).post(
        url("recipients-add", case), {"users": [getattr(personas, who).pk]}
    )
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "Choose contacts from the list" in html or "is not an authorized contact" in html
    assert getattr(personas, who).get_full_name() not in html or who != "other_district"
    assert counts() == before


def test_a_read_only_contact_adds_and_removes_only_themselves(client, personas):
    case = make_case(personas)
    login(client, personas.read_only)
    before = counts()
    assert client.post(url("recipients-add", case), {"users": [personas.technical.pk]}).status_code == 403
    assert counts() == before
    response = client.post(url("recipients-add", case), {"users": [personas.read_only.pk]})
    assert Recipient.objects.filter(case=case, user=personas.read_only).exists()
    assert "You will get an e-mail about every update" in client.get(response["Location"]).content.decode()
    page = client.get(url("detail", case)).content.decode()
    assert "Remove me from notifications on this case" in page
    assert client.post(url("recipients-remove", case), {"users": [personas.support.pk]}).status_code == 403
    client.post(url("recipients-remove", case), {"users": [personas.read_only.pk]})
    assert not Recipient.objects.filter(case=case, user=personas.read_only).exists()


def test_recipient_changes_on_another_districts_case_are_404(client, personas):
    case = make_case(personas)
    before = counts()
    login(client, personas.other_district)
    assert (
        client.post(url("recipients-add", case), {"users": [personas.other_district.pk]}).status_code == 404
    )
    assert client.post(url("recipients-remove", case), {"users": [personas.support.pk]}).status_code == 404
    assert counts() == before


def test_deactivated_recipients_and_removed_contacts_get_no_mail(client, personas):
    case = make_case(personas)
    recipients_add(actor=personas.support, case=case, users=[personas.technical, personas.implementation])
    Recipient.objects.create(case=case, user=personas.deactivated)
    Membership.objects.filter(user=personas.implementation).update(is_active=False)
    post_create(author=personas.advisor, case=case, body="<p>update</p>")
    assert sorted(m.to[0] for m in deliver_mail()) == ["support@a.example.org", "technical@a.example.org"]


# --- status changes and escalation notes send e-mail -------------------------------------------------------------


def test_a_status_change_with_its_resolution_is_one_email_without_internal_content(personas):
    case = make_case(personas)
    post_create(author=personas.advisor, case=case, body="<p>HIDDEN internal</p>", internal=True)
    case_set_status(
        actor=personas.advisor,
        case=case,
        status=Status.PENDING_CUSTOMER_VERIFICATION,
        resolution="<p>Clear the cache, then post again.</p>",
    )
    [message] = deliver_mail()
    assert message.to == ["support@a.example.org"]
    assert "posted; now Pending Customer Verification" in message.subject
    assert "Clear the cache, then post again." in message.body
    assert "HIDDEN" not in message.body + message.alternatives[0].content


def test_an_escalation_note_is_emailed(personas):
    case = make_case(personas)
    case_escalate(
        actor=personas.advisor, case=case, team=Team.TRAINING, note="<p>Our trainers will call you.</p>"
    )
    [message] = deliver_mail()
    assert "Escalated to Training" in message.subject
    assert "Our trainers will call you." in message.body
    assert Case.objects.get(pk=case.pk).team == Team.TRAINING
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ESCALATED).exists()


# --- downloads --------------------------------------------------------------------------------------------------


def _download(client, attachment: Attachment):
    """The response, with its streamed body read and the file closed."""
    response = client.get(reverse("attachment", kwargs={"key": attachment.key, "name": attachment.name}))
    if response.streaming:
        response.body = b"".join(response.streaming_content)
        response.close()
    return response


def test_a_download_is_an_attachment_with_a_server_chosen_type_nosniff_and_a_sandbox(client, personas):
    case = make_case(personas)
    post_create(author=personas.support, case=case, body="<p>x</p>", attachments=[pdf("Résumé plan.pdf")])
    attachment = Attachment.objects.get()
    assert attachment.url.startswith("/attachments/")
    response = _download(login(client, personas.read_only), attachment)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "R%C3%A9sum%C3%A9%20plan.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert "no-store" in response["Cache-Control"]
    assert response.body.startswith(b"%PDF-")


def test_a_download_of_another_districts_file_is_a_404_like_a_missing_one(client, personas):
    case = make_case(personas)
    post_create(author=personas.support, case=case, body="<p>x</p>", attachments=[pdf()])
    attachment = Attachment.objects.get()
    login(client, personas.other_district)
    foreign = _download(client, attachment)
    missing = client.get(
        reverse("attachment", kwargs={"key": "00000000-0000-4000-8000-000000000000", "name": "report.pdf"})
    )
    assert foreign.status_code == missing.status_code == 404


def test_files_of_internal_notes_are_for_advisors_only(client, personas):
    case = make_case(personas)
    post_create(author=personas.advisor, case=case, body="<p>x</p>", internal=True, attachments=[png()])
    attachment = Attachment.objects.get()
    assert _download(login(client, personas.support), attachment).status_code == 404
    assert _download(login(client, personas.advisor), attachment).status_code == 200


def test_a_download_needs_a_login_and_the_right_name(client, personas):
    case = make_case(personas)
    post_create(author=personas.support, case=case, body="<p>x</p>", attachments=[pdf()])
    attachment = Attachment.objects.get()
    assert _download(client, attachment).status_code == 302
    login(client, personas.support)
    wrong = client.get(reverse("attachment", kwargs={"key": attachment.key, "name": "other.pdf"}))
    assert wrong.status_code == 404


def test_private_files_have_no_public_url(personas):
    case = make_case(personas)
    post_create(author=personas.support, case=case, body="<p>x</p>", attachments=[pdf()])
    with pytest.raises(ValueError, match="no public URL"):
        Attachment.objects.get().file.url  # noqa: B018


# --- the same rules in the browser and the service ------------------------------------------------------------


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("persona", ["support", "read_only", "advisor"])
def test_a_shown_close_button_is_an_accepted_post_and_a_hidden_one_a_refused_post(
    client, personas, status, persona
):
    case = make_case(personas, status)
    user = getattr(personas, persona)
    html = login(client, user).get(url("detail", case)).content.decode()
    shown = f'action="{url("close", case)}"' in html
    response = client.post(url("close", case))
    closed_now = status != Status.CLOSED and Case.objects.get(pk=case.pk).status == Status.CLOSED
    assert closed_now == shown
    if not shown:
        assert response.status_code in (302, 403)


def test_a_new_recipient_from_another_district_membership_is_not_offered(client, personas):
    both = UserFactory(email="both@example.org")
    MembershipFactory(user=both, district=personas.district_b)
    case = make_case(personas)
    html = login(client, personas.support).get(url("detail", case)).content.decode()
    assert both.get_full_name() not in html
