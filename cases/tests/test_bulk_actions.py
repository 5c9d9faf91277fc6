"""The bulk actions of the advisors' queues, through the admin's real URLs: each case goes through its service;
a refused case is listed with the reason and nothing is written for it; the others are done."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from cases.casetypes import Team
from cases.models import Case, CaseEvent, Post
from cases.tests.factories import CaseFactory, put_in_status
from cases.tests.helpers import row_counts
from cases.tests.listing_helpers import NOW
from cases.workflow import Status
from contacts.tests.factories import AdvisorFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wednesday_morning")]

LIST = reverse("admin:cases_case_changelist")


def a_case(personas, status: Status, **fields) -> Case:
    case = CaseFactory(district=personas.district_a, contact=personas.support, created_at=NOW, **fields)
    return put_in_status(case, status, advisor=None if status == Status.NEW else personas.advisor, at=NOW)


@pytest.fixture
def advisor_client(client, personas):
    client.force_login(personas.advisor)
    return client


def choose(client, action: str, cases: list[Case], query: str = "queue=unassigned"):
    """Tick the cases in the list, choose the action and press Run: the action's intermediate page."""
    return client.post(
        f"{LIST}?{query}",
        {"action": action, "_selected_action": [c.pk for c in cases], "index": "0"},
    )


def apply(client, action: str, cases: list[Case], query: str = "queue=unassigned", **fields):
    """Submit the intermediate page; follows the redirect back to the list."""
    data = {"action": action, "_selected_action": [c.pk for c in cases], "apply": "Apply", **fields}
    return client.post(f"{LIST}?{query}", data, follow=True)


def shown_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def unchanged(case: Case) -> bool:
    stored = Case.objects.get(pk=case.pk)
    return (stored.status, stored.assigned_to_id, stored.team, stored.updated_at) == (
        case.status,
        case.assigned_to_id,
        case.team,
        case.updated_at,
    ) and not CaseEvent.objects.filter(case=case).exists()


# --- Assign to… -------------------------------------------------------------------------------------------------


def test_the_assign_page_offers_only_active_advisors_and_keeps_the_queue(advisor_client, personas):
    other = AdvisorFactory(first_name="Robin", last_name="Ortiz")
    AdvisorFactory(first_name="Gone", last_name="Away", is_active=False)
    case = a_case(personas, Status.NEW)
    response = choose(advisor_client, "assign_to", [case])
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_assignee">Assign the selected cases to:</label>' in html
    assert f'<option value="{other.pk}">Robin Ortiz</option>' in html
    assert "Gone Away" not in html
    assert personas.support.get_full_name() not in html.split('id="id_assignee"')[1].split("</select>")[0]
    assert f'action="{LIST}?queue=unassigned"' in html
    assert f'name="_selected_action" value="{case.pk}"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_assign_gives_each_case_to_the_advisor_and_lists_the_refused_one(advisor_client, personas):
    other = AdvisorFactory(first_name="Robin", last_name="Ortiz")
    new, reopened = a_case(personas, Status.NEW), a_case(personas, Status.REOPENED)
    closed = a_case(personas, Status.CLOSED)
    response = apply(advisor_client, "assign_to", [new, reopened, closed], assignee=other.pk)
    assert response.redirect_chain[-1][1] == 302
    assert shown_messages(response) == [
        f"#{closed.number}: A closed case cannot be assigned; re-open it first.",
        "2 case(s) assigned to Robin Ortiz. 1 case(s) refused (listed above).",
    ]
    for case in (new, reopened):
        stored = Case.objects.get(pk=case.pk)
        assert (stored.assigned_to, stored.status) == (other, Status.ASSIGNED)
    assert unchanged(closed)


def test_a_non_advisor_assignee_is_refused_and_nothing_is_written(advisor_client, personas):
    case = a_case(personas, Status.NEW)
    before = row_counts()
    for forged in [personas.support.pk, UserFactory(is_staff=True).pk, 999999]:
        response = apply(advisor_client, "assign_to", [case], assignee=forged)
        assert response.status_code == 200
        assert "Cases can only be assigned to an active advisor." in response.content.decode()
    assert row_counts() == before
    assert unchanged(case)


def test_take_assigns_new_cases_to_me_and_says_who_took_the_others(advisor_client, personas):
    someone = AdvisorFactory(first_name="Robin", last_name="Ortiz")
    free = a_case(personas, Status.NEW)
    taken = CaseFactory(district=personas.district_a, contact=personas.support, created_at=NOW)
    taken = put_in_status(taken, Status.ASSIGNED, advisor=someone, at=NOW)
    response = advisor_client.post(
        LIST, {"action": "assign_to_me", "_selected_action": [free.pk, taken.pk], "index": "0"}, follow=True
    )
    assert shown_messages(response) == [
        f"#{taken.number}: Case #{taken.number} was already taken by Robin Ortiz.",
        "1 case(s) assigned to you. 1 case(s) refused (listed above).",
    ]
    assert Case.objects.get(pk=free.pk).assigned_to == personas.advisor
    assert unchanged(taken)


# --- Set status… ------------------------------------------------------------------------------------------------


def test_set_status_offers_only_what_can_be_given_in_bulk(advisor_client, personas):
    html = choose(advisor_client, "set_status", [a_case(personas, Status.ASSIGNED)]).content.decode()
    select = html.split('id="id_status"')[1].split("</select>")[0]
    offered = [label for label in (s.label for s in Status) if f">{label}</option>" in select]
    assert offered == ["Assigned", "Assist Request", "Pending Customer Input", "Scheduled", "Closed"]
    assert '<input type="date" name="scheduled_for"' in html


def test_set_status_moves_each_case_and_lists_the_refused(advisor_client, personas):
    assigned, assist = a_case(personas, Status.ASSIGNED), a_case(personas, Status.ASSIST_REQUEST)
    new = a_case(personas, Status.NEW)
    response = apply(
        advisor_client, "set_status", [assigned, assist, new], query="", status=Status.PENDING_CUSTOMER_INPUT
    )
    assert shown_messages(response) == [
        f"#{new.number}: A case cannot move from New to Pending Customer Input.",
        "2 case(s) moved to Pending Customer Input. 1 case(s) refused (listed above).",
    ]
    assert {Case.objects.get(pk=c.pk).status for c in (assigned, assist)} == {Status.PENDING_CUSTOMER_INPUT}
    assert unchanged(new)
    # Each change is recorded on its own case, as the case page's timeline shows it.
    for case in (assigned, assist):
        assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.STATUS_CHANGED).count() == 1


def test_scheduled_needs_a_date_and_refuses_a_holiday_for_each_case(advisor_client, personas):
    case = a_case(personas, Status.ASSIGNED)
    before = row_counts()
    response = apply(advisor_client, "set_status", [case], query="", status=Status.SCHEDULED)
    assert "Choose the date of the planned action." in response.content.decode()
    memorial_day = date(2026, 5, 25)
    response = apply(
        advisor_client, "set_status", [case], query="", status=Status.SCHEDULED, scheduled_for=memorial_day
    )
    [refusal, summary] = shown_messages(response)
    assert refusal.startswith(f"#{case.number}: Monday 25 May 2026 is not a support business day")
    assert summary == "0 case(s) moved to Scheduled. 1 case(s) refused (listed above)."
    assert row_counts() == before
    assert unchanged(case)
    next_week = NOW.date() + timedelta(days=7)
    apply(advisor_client, "set_status", [case], query="", status=Status.SCHEDULED, scheduled_for=next_week)
    stored = Case.objects.get(pk=case.pk)
    assert (stored.status, stored.scheduled_for) == (Status.SCHEDULED, next_week)


def test_a_case_that_left_the_queue_still_gets_its_answer(advisor_client, personas):
    """The intermediate page posts back to the queue; a case that left it meanwhile is not silently skipped."""
    case = a_case(personas, Status.NEW)
    response = apply(
        advisor_client, "set_status", [case], query="queue=waiting", status=Status.ASSIST_REQUEST
    )
    assert shown_messages(response) == [
        f"#{case.number}: A case cannot move from New to Assist Request.",
        "0 case(s) moved to Assist Request. 1 case(s) refused (listed above).",
    ]


# --- Escalate to… -----------------------------------------------------------------------------------------------


def test_escalate_posts_the_note_on_each_case_and_lists_the_refused(advisor_client, personas):
    first, second = a_case(personas, Status.ASSIGNED), a_case(personas, Status.PENDING_CUSTOMER_INPUT)
    closed = a_case(personas, Status.CLOSED)
    response = apply(
        advisor_client,
        "escalate",
        [first, second, closed],
        query="",
        team=Team.TRAINING,
        note="Our trainers will call you this week.",
    )
    assert shown_messages(response) == [
        f"#{closed.number}: A closed case cannot be escalated; re-open it first.",
        "2 case(s) escalated to Training. 1 case(s) refused (listed above).",
    ]
    for case in (first, second):
        assert Case.objects.get(pk=case.pk).team == Team.TRAINING
        [post] = Post.objects.filter(case=case)
        assert "Our trainers will call you this week." in post.body
        assert not post.is_internal
    assert unchanged(closed)
    assert not Post.objects.filter(case=closed).exists()


def test_escalate_needs_a_team_it_escalates_to_and_a_note(advisor_client, personas):
    case = a_case(personas, Status.ASSIGNED)
    before = row_counts()
    html = choose(advisor_client, "escalate", [case]).content.decode()
    assert '<label for="id_note">Note to the district (public, e-mailed):</label>' in html
    assert f'value="{Team.CAMPUS_SUPPORT_ONCALL}"' not in html
    for fields in [{"team": Team.CAMPUS_SUPPORT, "note": "Why"}, {"team": Team.TRAINING, "note": ""}]:
        response = apply(advisor_client, "escalate", [case], query="", **fields)
        assert response.status_code == 200
        assert 'class="errorlist"' in response.content.decode()
    assert row_counts() == before


# --- who gets the admin -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "support", "staff_without_role"])
def test_contacts_anonymous_and_staff_without_the_role_get_no_admin(client, personas, who):
    case = a_case(personas, Status.NEW)
    if who == "support":
        client.force_login(personas.support)
    elif who == "staff_without_role":
        client.force_login(UserFactory(is_staff=True))
    before = row_counts()
    for response in [
        client.get(f"{LIST}?queue=unassigned"),
        client.post(
            f"{LIST}?queue=unassigned",
            {
                "action": "assign_to",
                "_selected_action": [case.pk],
                "apply": "1",
                "assignee": personas.advisor.pk,
            },
        ),
    ]:
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert reverse("admin:login") in response["Location"]
    assert row_counts() == before
    assert unchanged(case)
