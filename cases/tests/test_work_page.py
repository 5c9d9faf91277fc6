"""The case work page in the admin: an advisor reads everything and acts through the services."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.casetypes import CaseType
from cases.models import Case, CaseEvent, Post, Priority, SavedReply
from cases.services import case_assign, case_set_priority, impact_assess, post_create
from cases.tests.factories import put_in_status, submit_case
from cases.tests.helpers import row_counts
from cases.workflow import Status
from contacts.tests.factories import AdvisorFactory, UserFactory
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(personas) -> Case:
    return submit_case(district=personas.district_a, contact=personas.support)


@pytest.fixture
def advisor_client(client, personas):
    client.force_login(personas.advisor)
    return client


def page_url(case: Case) -> str:
    return reverse("admin:cases_case_change", args=[case.pk])


def action_url(case: Case, action: str) -> str:
    return reverse("admin:cases_case_work", args=[case.pk, action])


def newest_event(case: Case) -> int:
    return CaseEvent.objects.filter(case=case).order_by("-pk").values_list("pk", flat=True).first() or 0


def test_the_work_page_shows_the_request_and_the_actions(advisor_client, case):
    response = advisor_client.get(page_url(case))
    assert response.status_code == 200
    text = response.content.decode()
    assert f"#{case.number} {case.subject}" in text
    assert "Reply or add an internal note" in text
    assert "Take this case" in text


def compose(client, case: Case, **fields) -> object:
    data = {"respond-kind": "reply", "respond-body": "", "respond-status": "", "respond-format": "text"}
    data["respond-token"] = fields.pop("token", "6f1c1b7e-0a39-4b36-9d6f-3f8b1d1c2a10")
    data["respond-seen"] = fields.pop("seen", newest_event(case))
    data.update({f"respond-{name}": value for name, value in fields.items()})
    return client.post(action_url(case, "respond"), data)


def test_taking_a_case_assigns_it_to_the_advisor(advisor_client, personas, case):
    response = advisor_client.post(action_url(case, "take"), {"take-seen": newest_event(case)})
    assert response.status_code == 302
    stored = Case.objects.get(pk=case.pk)
    assert (stored.status, stored.assigned_to) == (Status.ASSIGNED, personas.advisor)


def test_a_reply_with_a_status_is_one_change_and_one_email(advisor_client, personas, case, mailoutbox):
    case = put_in_status(case, Status.ASSIGNED, advisor=personas.advisor)
    response = compose(advisor_client, case, body="Which school year is it?", status="pending_input")
    assert response.status_code == 302
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == Status.PENDING_CUSTOMER_INPUT
    post = Post.objects.get(case=case)
    assert "Which school year is it?" in post.body
    assert not post.is_internal
    assert stored.first_response_at is not None


def test_an_internal_note_is_not_public(advisor_client, personas, case):
    case = put_in_status(case, Status.ASSIGNED, advisor=personas.advisor)
    compose(advisor_client, case, kind="note", body="Checked the logs.")
    post = Post.objects.get(case=case)
    assert post.is_internal
    assert Case.objects.get(pk=case.pk).first_response_at is None


def test_a_resolution_cannot_be_an_internal_note(advisor_client, personas, case):
    case = put_in_status(case, Status.ASSIGNED, advisor=personas.advisor)
    before = row_counts()
    response = compose(advisor_client, case, kind="note", body="Fixed.", status="pending_verification")
    assert response.status_code == 400
    assert "Send it as a public reply" in response.content.decode()
    assert "Fixed." in response.content.decode()  # the typed text is kept
    assert row_counts() == before


def test_an_illegal_transition_is_refused_with_nothing_written(advisor_client, case):
    before = row_counts()
    response = compose(advisor_client, case, body="Hello", status="available_in_release")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert row_counts() == before


def test_a_weekend_date_is_refused_with_the_next_business_day(advisor_client, personas, case):
    case = put_in_status(case, Status.ASSIGNED, advisor=personas.advisor)
    before = row_counts()
    response = compose(advisor_client, case, body="", status="scheduled", scheduled_for="2030-01-05")
    assert response.status_code == 400
    assert "The next business day is Monday 7 January 2030." in response.content.decode()
    assert row_counts() == before


def test_a_stale_page_is_told_what_changed_and_writes_nothing(advisor_client, personas, case):
    seen = newest_event(case)
    colleague = AdvisorFactory(first_name="Avery", last_name="Morgan")
    case_assign(actor=colleague, case=case, assignee=colleague)
    before = row_counts()
    response = compose(advisor_client, case, body="My reply", status="", seen=seen)
    assert response.status_code == 200
    text = response.content.decode()
    assert "This case changed since you opened it" in text
    assert "Avery Morgan" in text
    assert "My reply" in text
    assert row_counts() == before
    # Sent again from the page that listed the change, it goes through.
    again = re.search(r'name="respond-seen" value="(\d+)"', text)
    assert again is not None
    assert compose(advisor_client, case, body="My reply", seen=again.group(1)).status_code == 302
    assert Post.objects.filter(case=case, body__contains="My reply").exists()


def test_a_forged_assignee_who_is_not_an_advisor_is_refused(advisor_client, personas, case):
    before = row_counts()
    response = advisor_client.post(
        action_url(case, "assign"),
        {"assign-assignee": personas.support.email, "assign-seen": newest_event(case)},
    )
    assert response.status_code == 400
    assert "is not an advisor" in response.content.decode()
    assert row_counts() == before


def test_a_priority_change_records_who_and_why_and_the_district_sees_it(
    advisor_client, client, personas, case
):
    advisor_client.post(
        action_url(case, "priority"),
        {
            "priority-priority": "2",
            "priority-reason": "Report cards are due Friday",
            "priority-seen": newest_event(case),
        },
    )
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.PRIORITY_CHANGED)
    assert (event.actor, event.old, event.new, event.data["reason"]) == (
        personas.advisor,
        "3",
        "2",
        "Report cards are due Friday",
    )
    client.force_login(personas.support)
    text = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert "changed the priority from Medium to High" in text
    assert "Report cards are due Friday" in text


def test_a_contact_gets_no_admin_and_a_staff_account_without_the_role_gets_403(client, personas, case):
    client.force_login(personas.support)
    response = client.post(action_url(case, "take"), {"take-seen": ""})
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    before = row_counts()
    assert client.post(action_url(case, "take"), {"take-seen": ""}).status_code == 403
    assert client.get(page_url(case)).status_code == 403
    assert row_counts() == before


def test_raising_an_outage_to_critical_pages_on_call(advisor_client, personas, settings):
    outage = submit_case(
        district=personas.district_a,
        contact=personas.support,
        case_type=CaseType.REPORT_OUTAGE,
        priority=Priority.CRITICAL,
    )
    case_set_priority(actor=personas.advisor, case=outage, priority=Priority.HIGH, reason="Only one school")
    response = advisor_client.post(
        action_url(outage, "priority"),
        {
            "priority-priority": "1",
            "priority-reason": "Every school is down",
            "priority-seen": newest_event(outage),
        },
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=outage.pk).oncall_due_at is not None
    paged = OutboundEmail.objects.filter(to_address=settings.SUPPORT_ONCALL_ADDRESS)
    assert paged.count() == 2  # at submission, and again when raised back to Critical


def test_critical_is_refused_for_a_case_that_is_not_an_outage(advisor_client, case):
    before = row_counts()
    response = advisor_client.post(
        action_url(case, "priority"),
        {"priority-priority": "1", "priority-reason": "Urgent", "priority-seen": newest_event(case)},
    )
    assert response.status_code == 400
    assert "Critical priority is only for Report an Outage cases" in response.content.decode()
    assert row_counts() == before


def queries_for_page(client, case: Case) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page_url(case)).status_code == 200
    return len(queries)


def add_thread(personas, case: Case, rounds: int) -> None:
    for number in range(rounds):
        post_create(author=personas.support, case=case, body=f"<p>Question {number}</p>")
        post_create(author=personas.advisor, case=case, body=f"<p>Answer {number}</p>")
        post_create(author=personas.advisor, case=case, body=f"<p>Note {number}</p>", internal=True)


def test_the_work_page_costs_the_same_queries_for_a_short_and_a_long_case(advisor_client, personas):
    short = put_in_status(
        submit_case(district=personas.district_a, contact=personas.support),
        Status.ASSIGNED,
        advisor=personas.advisor,
    )
    long = put_in_status(
        submit_case(district=personas.district_a, contact=personas.technical),
        Status.ASSIGNED,
        advisor=personas.advisor,
    )
    add_thread(personas, short, 11)
    add_thread(personas, long, 30)
    impact_assess(actor=personas.advisor, case=long, disruption="severe")
    impact_assess(actor=personas.advisor, case=short, disruption="minimal")
    SavedReply.objects.create(title="Thanks", body="Thanks for the details.")
    advisor_client.get(page_url(short))  # the first request of a process fills Django's own caches
    assert queries_for_page(advisor_client, long) == queries_for_page(advisor_client, short)


def test_an_advisor_records_permission_the_district_gave(advisor_client, personas, case):
    response = advisor_client.post(action_url(case, "permission"), {"permission-seen": newest_event(case)})
    assert response.status_code == 302
    stored = Case.objects.get(pk=case.pk)
    assert stored.written_permission_by == personas.advisor
    text = advisor_client.get(page_url(case)).content.decode()
    assert "Granted by" in text


def test_an_unknown_action_is_404_and_a_get_is_405(advisor_client, case):
    assert advisor_client.post(action_url(case, "delete"), {}).status_code == 404
    assert advisor_client.get(action_url(case, "take")).status_code == 405
    assert advisor_client.post(page_url(case), {}).status_code == 405


def test_a_case_that_does_not_exist_is_404(advisor_client, case):
    assert advisor_client.get(reverse("admin:cases_case_change", args=[case.pk + 1000])).status_code == 404
    assert (
        advisor_client.post(reverse("admin:cases_case_work", args=[case.pk + 1000, "take"])).status_code
        == 404
    )
