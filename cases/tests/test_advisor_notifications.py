"""Nobody misses a move: support hears of a contact's post (the assigned advisor, or the team's queue when
nobody works the case) and of a new Critical case (the on-call address, at once, day or night)."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from cases.casetypes import CaseType, Team
from cases.models import Case, Post, Priority, Recipient
from cases.services import case_close, case_reopen, case_submit, post_create
from cases.tests.factories import CaseFactory, submit_case
from cases.tests.page_helpers import (  # noqa: F401
    counts,
    deliver_mail,
    login,
    make_case,
    pdf,
    post_data,
    private_media_fixture,
    url,
)
from cases.workflow import Status
from contacts.roles import ADVISORS_GROUP
from contacts.tests.factories import AdvisorFactory
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
SITE = "https://portal.example.com"
QUEUES = {team: f"{team.replace('_', '-')}@queues.example.org" for team in Team.values}
ONCALL = "pager@oncall.example.org"


@pytest.fixture(autouse=True)
def mailboxes(settings):
    settings.SITE_URL = SITE
    settings.SUPPORT_TEAM_QUEUE_ADDRESSES = QUEUES
    settings.SUPPORT_ONCALL_ADDRESS = ONCALL


def work_page(case: Case) -> str:
    return SITE + reverse("admin:cases_case_change", args=[case.pk])


def mail_to(messages, address: str):
    return [m for m in messages if m.to == [address]]


# --- a contact's post ------------------------------------------------------------------------------------------


def test_a_contacts_post_on_the_case_page_emails_the_assigned_advisor(client, personas):
    case = make_case(personas)  # assigned to personas.advisor
    login(client, personas.support)
    response = client.post(
        url("post", case),
        {**post_data("<p>The <em>grade book</em> is still wrong.</p>"), "attachments": [pdf()]},
    )
    assert response.status_code == 302
    post = Post.objects.get()
    row = OutboundEmail.objects.get(to_address=personas.advisor.email)
    assert row.key == f"case-{case.pk}-post-{post.pk}-to-advisor-{personas.advisor.pk}"
    assert row.recipient == personas.advisor

    [message] = mail_to(deliver_mail(), personas.advisor.email)
    assert message.subject == (
        f"Maple Grove Public Schools replied on case #{case.number}: Teachers unable to post grades"
    )
    assert f"Hello {personas.advisor.first_name}," in message.body
    assert f"Dana {personas.support.last_name} (Maple Grove Public Schools) posted on case" in message.body
    assert "The grade book is still wrong." in message.body
    assert "report.pdf" in message.body
    assert work_page(case) in message.body
    assert f'href="{work_page(case)}"' in message.alternatives[0].content
    assert "answer the district on the case's work page" in message.body
    assert work_page(case).endswith(f"/admin/cases/case/{case.pk}/change/")


def test_the_advisor_gets_the_status_change_a_reply_caused(personas):
    case = make_case(personas, Status.PENDING_CUSTOMER_INPUT)
    post_create(author=personas.technical, case=case, body="<p>Here is the export.</p>")
    [message] = mail_to(deliver_mail(), personas.advisor.email)
    assert "Status: Pending Customer Input -> Assigned" in message.body
    assert "Here is the export." in message.body


def test_an_assigned_advisor_who_is_also_a_recipient_gets_one_email_per_post(personas):
    """The support e-mail replaces the recipients' one for the assigned advisor: it has everything the other
    has, and the link to their work page."""
    case = make_case(personas)
    Recipient.objects.create(case=case, user=personas.advisor, added_by=personas.advisor)
    post_create(author=personas.support, case=case, body="<p>Any news?</p>")
    assert OutboundEmail.objects.filter(to_address=personas.advisor.email).count() == 1
    [message] = mail_to(deliver_mail(), personas.advisor.email)
    assert "replied on case" in message.subject
    assert work_page(case) in message.body

    # An advisor-recipient who is not the assignee still gets the recipients' e-mail only.
    colleague = AdvisorFactory(email="colleague@support.example.com")
    Recipient.objects.create(case=case, user=colleague, added_by=personas.advisor)
    post_create(author=personas.support, case=case, body="<p>Hello?</p>")
    messages = deliver_mail()
    [to_colleague] = mail_to(messages, colleague.email)
    assert "New post from Dana" in to_colleague.subject
    assert len(mail_to(messages, personas.advisor.email)) == 1


def test_a_contacts_post_on_an_unassigned_case_goes_to_the_teams_queue(client, personas):
    case = make_case(personas, Status.NEW)
    assert (case.assigned_to, case.team) == (None, Team.CAMPUS_SUPPORT)
    login(client, personas.support)
    client.post(url("post", case), post_data("<p>Is anyone there?</p>"))
    post = Post.objects.get()
    row = OutboundEmail.objects.get(to_address=QUEUES["campus_support"])
    assert (row.recipient, row.for_account) == (None, False)
    assert row.key == f"case-{case.pk}-post-{post.pk}-to-queue-campus_support"

    [message] = deliver_mail()
    assert message.to == ["campus-support@queues.example.org"]
    assert message.subject.startswith(f"Maple Grove Public Schools replied on case #{case.number}")
    assert "Hello" not in message.body
    assert "Nobody works this case now. It is sent to the Campus Support queue." in message.body
    assert "Is anyone there?" in message.body
    assert work_page(case) in message.body


def test_each_team_has_its_queue(personas):
    case = CaseFactory(district=personas.district_a, contact=personas.support, team=Team.TRAINING)
    post_create(author=personas.support, case=case, body="<p>One more thing.</p>")
    assert list(OutboundEmail.objects.values_list("to_address", flat=True)) == ["training@queues.example.org"]


@pytest.mark.parametrize("change", ["deactivated", "no longer an advisor"])
def test_an_assignee_who_left_support_is_replaced_by_the_teams_queue(personas, change):
    case = make_case(personas)
    advisor = personas.advisor
    if change == "deactivated":
        advisor.is_active = False
        advisor.save()
    else:
        advisor.groups.remove(Group.objects.get(name=ADVISORS_GROUP))
    post_create(author=personas.support, case=Case.objects.get(pk=case.pk), body="<p>Still broken.</p>")
    assert not OutboundEmail.objects.filter(to_address=advisor.email).exists()
    [message] = deliver_mail()
    assert message.to == [QUEUES["campus_support"]]
    assert f"its advisor, {advisor.get_full_name()}, is no longer an active advisor" in message.body


def test_a_contact_reopening_a_case_tells_the_advisor(personas):
    case = make_case(personas)
    case_close(actor=personas.support, case=case)
    OutboundEmail.objects.all().delete()
    case_reopen(actor=personas.support, case=case, details="<p>It broke again after the update.</p>")
    [message] = mail_to(deliver_mail(), personas.advisor.email)
    assert message.subject.startswith(f"Maple Grove Public Schools re-opened case #{case.number}")
    assert "Status: Closed -> Re-Opened" in message.body
    assert "It broke again after the update." in message.body


def test_support_is_not_emailed_for_advisors_posts_or_internal_notes(client, personas):
    case = make_case(personas, Status.NEW)
    login(client, personas.advisor)
    client.post(url("post", case), post_data("<p>INTERNAL only</p>", internal="on"))
    assert OutboundEmail.objects.count() == 0
    assert deliver_mail() == []

    client.post(url("post", case), post_data("<p>We are on it.</p>"))
    # The contact hears of it; neither the team's queue nor any advisor does.
    assert list(OutboundEmail.objects.values_list("to_address", flat=True)) == [personas.support.email]
    case = make_case(personas, subject="assigned")
    post_create(author=personas.advisor, case=case, body="<p>Looking at it.</p>")
    assert not OutboundEmail.objects.filter(
        to_address__in=[personas.advisor.email, *QUEUES.values()]
    ).exists()


def test_the_same_form_sent_twice_tells_support_once(client, personas):
    case = make_case(personas)
    login(client, personas.support)
    data = post_data("<p>Twice?</p>")
    client.post(url("post", case), data)
    client.post(url("post", case), data)
    assert Post.objects.count() == 1
    assert OutboundEmail.objects.filter(to_address=personas.advisor.email).count() == 1


def test_a_refused_post_tells_nobody(client, personas):
    case = make_case(personas)
    before = counts()
    login(client, personas.read_only)
    assert client.post(url("post", case), post_data("<p>Can I?</p>")).status_code == 403
    assert counts() == before


# --- a new Critical case ---------------------------------------------------------------------------------------


def test_a_critical_case_emails_on_call_at_once_on_a_saturday_at_3_am(personas):
    personas.support.phone = "555-0100"
    personas.support.save()
    saturday_3am = datetime(2026, 12, 5, 3, 0, tzinfo=CHICAGO)
    with time_machine.travel(saturday_3am, tick=False):
        case = submit_case(
            district=personas.district_a,
            contact=personas.support,
            case_type=CaseType.REPORT_OUTAGE,
            priority=Priority.CRITICAL,
            subject="Nobody can log in",
            description="Every login answers 502 since 2:40.",
        )
        row = OutboundEmail.objects.get(to_address=ONCALL)
        assert (row.recipient, row.for_account, row.key) == (
            None,
            False,
            f"case-{case.pk}-critical-to-oncall",
        )
        assert row.next_attempt_at == saturday_3am  # due now, not at the next business opening
        [message] = mail_to(deliver_mail(), ONCALL)
    assert message.subject == (
        f"Critical: Maple Grove Public Schools reported an outage, case #{case.number}: Nobody can log in"
    )
    body = message.body
    assert "District:   Maple Grove Public Schools" in body
    assert f"Contact:    Dana {personas.support.last_name}, support@a.example.org, 555-0100" in body
    assert "Respond by: Saturday 5 December 2026, 4:00 AM CST" in body
    assert "Every login answers 502 since 2:40." in body
    assert work_page(case) in body
    assert f'href="{work_page(case)}"' in message.alternatives[0].content
    # The contact's confirmation is sent as before.
    assert OutboundEmail.objects.filter(to_address=personas.support.email).exists()


def test_no_oncall_email_for_cases_that_are_not_critical(personas):
    for priority in [Priority.HIGH, Priority.MEDIUM, Priority.LOW]:
        submit_case(
            district=personas.district_a, contact=personas.support, priority=priority, subject=f"p{priority}"
        )
    assert not OutboundEmail.objects.filter(to_address=ONCALL).exists()
    assert not OutboundEmail.objects.filter(for_account=False).exists()


def test_a_critical_case_submitted_twice_from_one_form_pages_once(personas):
    token = uuid.uuid4()
    for _ in range(2):
        case_submit(
            submitter=personas.support,
            district=personas.district_a,
            contact=personas.support,
            case_type=CaseType.REPORT_OUTAGE,
            subject="Down",
            description="Down.",
            priority=Priority.CRITICAL,
            client_token=token,
        )
    assert Case.objects.count() == 1
    assert OutboundEmail.objects.filter(to_address=ONCALL).count() == 1


def test_a_contacts_post_on_an_unassigned_outage_goes_to_the_on_call_teams_queue(personas):
    case = submit_case(
        district=personas.district_a,
        contact=personas.support,
        case_type=CaseType.REPORT_OUTAGE,
        priority=Priority.CRITICAL,
    )
    OutboundEmail.objects.all().delete()
    post_create(author=personas.support, case=case, body="<p>Still down.</p>")
    assert list(OutboundEmail.objects.values_list("to_address", flat=True)) == [
        "campus-support-oncall@queues.example.org"
    ]


# --- settings ---------------------------------------------------------------------------------------------------


def test_every_team_has_a_queue_address_and_outages_default_to_on_call():
    from portal import settings as defaults

    assert set(defaults.SUPPORT_TEAM_QUEUE_ADDRESSES) == set(Team.values)
    assert defaults.SUPPORT_TEAM_QUEUE_ADDRESSES["campus_support_oncall"] == defaults.SUPPORT_ONCALL_ADDRESS
