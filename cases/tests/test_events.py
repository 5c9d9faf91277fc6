"""Case events store values (ids and codes) and are rendered with today's names and labels when read."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.casetypes import CaseType, Team
from cases.models import CaseEvent, Disruption, Priority
from cases.services import (
    case_assign,
    case_escalate,
    case_set_status,
    impact_assess,
    permission_grant,
    permission_withdraw,
    post_create,
    recipients_add,
    recipients_remove,
)
from cases.tests.factories import DevIssueFactory, submit_case
from cases.tests.page_helpers import login, make_case, private_media_fixture, url  # noqa: F401
from cases.workflow import Status
from contacts.tests.factories import AdvisorFactory, UserFactory

pytestmark = pytest.mark.django_db

Kind = CaseEvent.Kind


def last_event(case, kind: str) -> CaseEvent:
    return CaseEvent.objects.filter(case=case, kind=kind).latest("pk")


# --- each service writes values --------------------------------------------------------------------------------


def test_submitting_records_the_status_code_case_type_and_priority_rank(personas):
    case = submit_case(
        district=personas.district_a,
        contact=personas.support,
        case_type=CaseType.ASK_QUESTION,
        priority=Priority.HIGH,
    )
    event = last_event(case, Kind.CREATED)
    assert (event.kind, event.old, event.new, event.data) == (
        "case.created",
        "",
        "new",
        {"type": "ask_question", "priority": 2},
    )


def test_assigning_records_the_advisors_ids(personas):
    case = submit_case(district=personas.district_a, contact=personas.support)
    colleague = AdvisorFactory(first_name="Robin", last_name="Ng")
    case_assign(actor=personas.advisor, case=case, assignee=personas.advisor)
    taken = last_event(case, Kind.ASSIGNED)
    assert (taken.kind, taken.old, taken.new) == ("case.assigned", "", str(personas.advisor.pk))
    status = last_event(case, Kind.STATUS_CHANGED)
    assert (status.kind, status.old, status.new) == ("case.status_changed", "new", "assigned")

    case_assign(actor=personas.advisor, case=case, assignee=colleague)
    moved = last_event(case, Kind.ASSIGNED)
    assert (moved.old, moved.new) == (str(personas.advisor.pk), str(colleague.pk))


def test_recipient_changes_record_the_persons_id(personas):
    case = make_case(personas)
    recipients_add(actor=personas.support, case=case, users=[personas.technical])
    recipients_remove(actor=personas.support, case=case, users=[personas.technical])
    added, removed = last_event(case, Kind.RECIPIENT_ADDED), last_event(case, Kind.RECIPIENT_REMOVED)
    assert (added.kind, added.old, added.new, added.data) == (
        "recipient.added",
        "",
        str(personas.technical.pk),
        {},
    )
    assert (removed.kind, removed.old, removed.new, removed.data) == (
        "recipient.removed",
        str(personas.technical.pk),
        "",
        {},
    )


def test_impact_assessment_records_disruption_codes(personas):
    case = make_case(personas)
    impact_assess(actor=personas.advisor, case=case, disruption=Disruption.MODERATE)
    first = last_event(case, Kind.IMPACT_ASSESSED)
    assert (first.kind, first.old, first.new) == ("impact.assessed", "", "moderate")
    impact_assess(actor=personas.advisor, case=case, disruption=Disruption.SEVERE)
    revised = last_event(case, Kind.IMPACT_ASSESSED)
    assert (revised.old, revised.new) == ("moderate", "severe")


def test_escalation_records_team_codes_and_the_note(personas):
    case = make_case(personas)
    note = case_escalate(
        actor=personas.advisor, case=case, team=Team.TRAINING, note="<p>Training will call.</p>"
    )
    event = last_event(case, Kind.ESCALATED)
    assert (event.kind, event.old, event.new, event.data) == (
        "case.escalated",
        "campus_support",
        "training",
        {"note_post": note.pk},
    )


def test_a_post_records_its_id(personas):
    case = make_case(personas)
    post = post_create(author=personas.support, case=case, body="<p>More detail.</p>")
    event = last_event(case, Kind.POST_ADDED)
    assert (event.kind, event.new, event.data) == (
        "post.added",
        str(post.pk),
        {"internal": False, "attachments": []},
    )


def test_linking_a_development_issue_and_naming_a_release_record_their_ids(personas):
    case = make_case(personas)
    issue = DevIssueFactory(number="DEV-48213")
    case_set_status(actor=personas.advisor, case=case, status=Status.ASSIGNED_TO_DEVELOPMENT, dev_issue=issue)
    linked = last_event(case, Kind.DEV_ISSUE_LINKED)
    assert (linked.kind, linked.new) == ("dev_issue.linked", str(issue.pk))
    case_set_status(
        actor=personas.advisor, case=case, status=Status.AVAILABLE_IN_RELEASE, release_name="2026.11"
    )
    case.refresh_from_db()
    assert last_event(case, Kind.STATUS_CHANGED).data == {"release": case.release_id}


def test_written_permission_events_have_namespaced_kinds(personas):
    case = make_case(personas)
    permission_grant(actor=personas.support, case=case)
    permission_withdraw(actor=personas.support, case=case)
    kinds = list(
        CaseEvent.objects.filter(case=case, kind__startswith="permission.").values_list("kind", flat=True)
    )
    assert kinds == ["permission.granted", "permission.withdrawn"]


# --- labels are rendered when read ------------------------------------------------------------------------------


def test_the_timeline_shows_the_advisors_name_of_today(client, personas):
    case = submit_case(district=personas.district_a, contact=personas.support)
    colleague = AdvisorFactory(first_name="Robin", last_name="Ng")
    case_assign(actor=personas.advisor, case=case, assignee=colleague)
    colleague.last_name = "Okafor-Ng"
    colleague.save()

    html = login(client, personas.support).get(url("detail", case)).content.decode()
    assert "assigned the case to Robin Okafor-Ng" in html
    assert "Robin Ng" not in html

    root = UserFactory(email="root@support.example.com", is_staff=True, is_superuser=True)
    admin_html = login(client, root).get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "Robin Okafor-Ng" in admin_html
    assert "Robin Ng" not in admin_html


def test_the_feed_tells_taking_a_case_from_handing_it_on(client, personas):
    case = submit_case(district=personas.district_a, contact=personas.support)
    case_assign(actor=personas.advisor, case=case, assignee=personas.advisor)
    case_assign(
        actor=personas.advisor, case=case, assignee=AdvisorFactory(first_name="Robin", last_name="Ng")
    )
    html = login(client, personas.support).get(url("detail", case)).content.decode()
    assert html.count("took the case") == 1
    assert "assigned the case to Robin Ng" in html


def test_the_feed_shows_who_was_added_to_and_removed_from_notifications(client, personas):
    case = make_case(personas)
    recipients_add(actor=personas.support, case=case, users=[personas.technical])
    recipients_remove(actor=personas.support, case=case, users=[personas.technical])
    recipients_add(actor=personas.read_only, case=case, users=[personas.read_only])
    login(client, personas.support)
    html = client.get(url("detail", case)).content.decode()
    name = personas.technical.get_full_name()
    assert f"added {name} to notifications" in html
    assert f"removed {name} from notifications" in html
    assert "started receiving notifications" in html
    searched = client.get(url("detail", case, q="removed")).content.decode()
    assert f"removed {name} from notifications" in searched
    assert f"added {name} to notifications" not in searched


def test_the_admin_timeline_shows_labels_not_codes(client, personas):
    case = make_case(personas)
    impact_assess(actor=personas.advisor, case=case, disruption=Disruption.SEVERE)
    case_escalate(actor=personas.advisor, case=case, team=Team.TRAINING, note="<p>Training will call.</p>")
    root = UserFactory(email="root@support.example.com", is_staff=True, is_superuser=True)
    html = login(client, root).get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "Severe: work has stopped" in html
    assert "escalated the case from Campus Support to Training" in html


def _admin_queries(client, case) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert response.status_code == 200
    return len(queries)


def test_the_admin_timeline_reads_the_people_it_names_at_once(client, personas):
    small, large = make_case(personas, subject="small"), make_case(personas, subject="large")
    advisors = AdvisorFactory.create_batch(10)
    for case, count in [(small, 1), (large, 10)]:
        for advisor in advisors[:count]:
            case_assign(actor=advisor, case=case, assignee=advisor)
            # Added and removed again: the recipients inline lists the same people on both cases.
            recipients_add(actor=advisor, case=case, users=[personas.technical])
            recipients_remove(actor=advisor, case=case, users=[personas.technical])
    login(client, UserFactory(email="root@support.example.com", is_staff=True, is_superuser=True))
    _admin_queries(client, small)  # the session is read once before counting
    assert CaseEvent.objects.filter(case=large).count() > CaseEvent.objects.filter(case=small).count() + 25
    assert _admin_queries(client, large) == _admin_queries(client, small)
