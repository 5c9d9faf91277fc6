"""Timeline entries read as sentences for advisors (``cases.selectors.events.event_sentence``).

Each event is produced by the service that writes it in the product, then read back the way the timeline reads
it: the events with their actors, labelled by ``label_events``, told by ``event_sentence``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from cases.casetypes import CaseType, Team
from cases.models import Case, CaseEvent, Disruption, Priority
from cases.selectors.events import event_sentence, label_events
from cases.services import (
    case_assign,
    case_close,
    case_escalate,
    case_reopen,
    case_set_status,
    impact_assess,
    permission_grant,
    permission_withdraw,
    post_create,
    recipients_add,
    recipients_remove,
)
from cases.services.common import record_event
from cases.tests.factories import DevIssueFactory, put_in_status, submit_case
from cases.tests.listing_helpers import NOW
from cases.tests.page_helpers import make_case, pdf, png
from cases.workflow import Status
from contacts.models import Role, User
from contacts.tests.factories import AdvisorFactory, MembershipFactory

pytestmark = pytest.mark.django_db

Kind = CaseEvent.Kind


@dataclass
class People:
    avery: User  # advisor
    sam: User  # advisor
    robin: User  # advisor
    dana: User  # the district's support contact, who submits the cases
    pat: User  # the district's technical contact


def named(user: User, first: str, last: str) -> User:
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])
    return user


@pytest.fixture
def people(personas) -> People:
    return People(
        avery=named(personas.advisor, "Avery", "Morgan"),
        sam=AdvisorFactory(first_name="Sam", last_name="Lee"),
        robin=AdvisorFactory(first_name="Robin", last_name="Ng"),
        dana=named(personas.support, "Dana", "Whitfield"),
        pat=named(personas.technical, "Pat", "Quinn"),
    )


def timeline(case: Case) -> list[CaseEvent]:
    """The case's events as the timeline reads them: with their actors, labelled."""
    return label_events(list(CaseEvent.objects.filter(case=case).select_related("actor").order_by("pk")))


def sentences(case: Case, kind: str) -> list[str]:
    return [event_sentence(event) for event in timeline(case) if event.kind == kind]


def last(case: Case, kind: str) -> str:
    return sentences(case, kind)[-1]


def assigned_case(personas) -> Case:
    """A case of district A, submitted by Dana, assigned to Avery (set-up only)."""
    return make_case(personas)


# --- one test per kind ------------------------------------------------------------------------------------------


def test_submitting(personas, people):
    case = submit_case(
        district=personas.district_a,
        contact=people.dana,
        case_type=CaseType.REPORT_OUTAGE,
        priority=Priority.CRITICAL,
    )
    assert last(case, Kind.CREATED) == "Dana Whitfield submitted the case (Report an Outage, Critical)"


def test_changing_the_status(personas, people):
    case = assigned_case(personas)
    case_set_status(actor=people.avery, case=case, status=Status.PENDING_CUSTOMER_INPUT)
    assert last(case, Kind.STATUS_CHANGED) == (
        "Avery Morgan changed the status from Assigned to Pending Customer Input"
    )


def test_the_districts_reply_hands_the_case_back(personas, people):
    case = assigned_case(personas)
    case_set_status(actor=people.avery, case=case, status=Status.PENDING_CUSTOMER_INPUT)
    post_create(author=people.dana, case=case, body="<p>Here is the student's number.</p>")
    assert last(case, Kind.STATUS_CHANGED) == (
        "Dana Whitfield changed the status from Pending Customer Input to Assigned after the district replied"
    )


def test_scheduling_names_the_day(personas, people):
    with time_machine.travel(NOW, tick=False):
        case = assigned_case(personas)
        case_set_status(
            actor=people.avery, case=case, status=Status.SCHEDULED, scheduled_for=date(2026, 4, 17)
        )
    assert last(case, Kind.STATUS_CHANGED) == (
        "Avery Morgan changed the status from Assigned to Scheduled for Friday 17 April 2026"
    )


def test_the_portal_closes_an_unverified_case(personas, people):
    case = put_in_status(assigned_case(personas), Status.PENDING_CUSTOMER_VERIFICATION, advisor=people.avery)
    case_close(actor=None, case=case)
    assert last(case, Kind.STATUS_CHANGED) == "The portal closed the case"


def test_closing_and_reopening(personas, people):
    case = assigned_case(personas)
    case_close(actor=people.dana, case=case)
    case_reopen(actor=people.dana, case=case, details="<p>The report is still empty.</p>")
    assert sentences(case, Kind.STATUS_CHANGED) == [
        "Dana Whitfield closed the case",
        "Dana Whitfield re-opened the case",
    ]


def test_taking_assigning_and_handing_over(personas, people):
    taken = submit_case(district=personas.district_a, contact=people.dana)
    case_assign(actor=people.avery, case=taken, assignee=people.avery, take=True)
    given = submit_case(district=personas.district_a, contact=people.dana)
    case_assign(actor=people.avery, case=given, assignee=people.sam)
    case_assign(actor=people.robin, case=given, assignee=people.avery)
    case_assign(actor=people.sam, case=given, assignee=people.sam)
    assert sentences(taken, Kind.ASSIGNED) == ["Avery Morgan took the case"]
    assert sentences(given, Kind.ASSIGNED) == [
        "Avery Morgan assigned the case to Sam Lee",
        "Robin Ng handed the case over from Sam Lee to Avery Morgan",
        "Sam Lee took the case over from Avery Morgan",
    ]


def test_escalating(personas, people):
    case = assigned_case(personas)
    case_escalate(actor=people.avery, case=case, team=Team.TECHNICAL_SERVICES, note="<p>Server team.</p>")
    case_escalate(actor=people.avery, case=case, team=Team.DEVELOPMENT, note="<p>A product defect.</p>")
    assert sentences(case, Kind.ESCALATED) == [
        "Avery Morgan escalated the case from Campus Support to Technical Services",
        "Avery Morgan escalated the case from Technical Services to Development",
    ]


def test_posting_a_note_a_reply_and_files(personas, people):
    case = assigned_case(personas)
    post_create(author=people.avery, case=case, body="<p>Checked the logs.</p>", internal=True)
    post_create(author=people.avery, case=case, body="<p>We are on it.</p>")
    post_create(author=people.dana, case=case, body="<p>Screens attached.</p>", attachments=[pdf("a.pdf")])
    post_create(
        author=people.avery, case=case, body="<p>The fix.</p>", attachments=[pdf("a.pdf"), png("b.png")]
    )
    assert sentences(case, Kind.POST_ADDED) == [
        "Avery Morgan posted an internal note",
        "Avery Morgan posted a reply",
        "Dana Whitfield posted a reply (1 file: a.pdf)",
        "Avery Morgan posted a reply (2 files: a.pdf, b.png)",
    ]


def test_recipients_added_and_removed(personas, people):
    case = assigned_case(personas)
    recipients_add(actor=people.dana, case=case, users=[people.pat])
    recipients_remove(actor=people.avery, case=case, users=[people.pat])
    recipients_add(actor=personas.read_only, case=case, users=[personas.read_only])
    recipients_remove(actor=personas.read_only, case=case, users=[personas.read_only])
    reader = personas.read_only.get_full_name()
    assert sentences(case, Kind.RECIPIENT_ADDED) == [
        "Dana Whitfield added Pat Quinn to the recipients",
        f"{reader} started receiving notifications",
    ]
    assert sentences(case, Kind.RECIPIENT_REMOVED) == [
        "Avery Morgan removed Pat Quinn from the recipients",
        f"{reader} stopped receiving notifications",
    ]


def test_written_permission_granted_and_withdrawn(personas, people):
    case = assigned_case(personas)
    permission_grant(actor=people.dana, case=case)
    permission_withdraw(actor=people.dana, case=case)
    assert last(case, Kind.PERMISSION_GRANTED) == (
        "Dana Whitfield granted written permission to work on the district's site"
    )
    assert last(case, Kind.PERMISSION_WITHDRAWN) == (
        "Dana Whitfield withdrew the written permission to work on the district's site"
    )


def test_linking_a_development_issue(personas, people):
    case = assigned_case(personas)
    issue = DevIssueFactory(number="DEV-48213")
    case_set_status(actor=people.avery, case=case, status=Status.ASSIGNED_TO_DEVELOPMENT, dev_issue=issue)
    assert last(case, Kind.DEV_ISSUE_LINKED) == "Avery Morgan linked development issue DEV-48213"


def test_assessing_and_revising_the_impact(personas, people):
    case = assigned_case(personas)
    impact_assess(actor=people.avery, case=case, disruption=Disruption.SEVERE)
    impact_assess(actor=people.sam, case=case, disruption=Disruption.MODERATE)
    impact_assess(actor=people.sam, case=case, disruption=Disruption.MODERATE, workaround_exists=True)
    assert sentences(case, Kind.IMPACT_ASSESSED) == [
        "Avery Morgan assessed the impact: Severe: work has stopped",
        "Sam Lee revised the impact from Severe: work has stopped to Moderate: work is slowed down",
        "Sam Lee revised the impact assessment: still Moderate: work is slowed down",
    ]


def test_changing_the_priority_with_its_reason(personas, people):
    # No service writes this kind yet: the row is written as the service will write it (ranks, data reason).
    case = assigned_case(personas)
    record_event(
        case,
        Kind.PRIORITY_CHANGED,
        people.avery,
        case.updated_at + timedelta(minutes=1),
        old=Priority.MEDIUM.value,
        new=Priority.HIGH.value,
        reason="Payroll runs tomorrow",
    )
    record_event(
        case,
        Kind.PRIORITY_CHANGED,
        people.avery,
        case.updated_at + timedelta(minutes=2),
        old=Priority.HIGH.value,
        new=Priority.LOW.value,
    )
    assert sentences(case, Kind.PRIORITY_CHANGED) == [
        "Avery Morgan changed the priority from Medium to High (reason: Payroll runs tomorrow)",
        "Avery Morgan changed the priority from High to Low",
    ]


def test_every_kind_has_a_sentence_of_its_own(people):
    # A new kind must be told here too: the fallback (the kind's label) is not a sentence anyone wrote.
    for kind in Kind:
        event = CaseEvent(kind=kind, actor=people.avery, old="", new="", data={})
        assert event_sentence(event) != f"Avery Morgan {kind.label.lower()}", kind


# --- safe and cheap ---------------------------------------------------------------------------------------------


def test_a_sentence_is_plain_text_that_the_template_escapes(personas, people):
    named(people.sam, "<b>Sam</b>", "Lee")
    case = submit_case(district=personas.district_a, contact=people.dana)
    case_assign(actor=people.sam, case=case, assignee=people.sam)
    sentence = last(case, Kind.ASSIGNED)
    assert sentence == "<b>Sam</b> Lee took the case"
    rendered = Template("{{ sentence }}").render(Context({"sentence": sentence}))
    assert rendered == "&lt;b&gt;Sam&lt;/b&gt; Lee took the case"


def _busy_case(personas, people: People, rounds: int) -> Case:
    """A case whose events name many people and development issues: each round another advisor takes it
    over, another contact is added to and removed from its recipients and another issue is linked."""
    case = assigned_case(personas)
    for n in range(rounds):
        advisor = AdvisorFactory()
        contact = MembershipFactory(district=personas.district_a, role=Role.SUPPORT).user
        case_assign(actor=advisor, case=case, assignee=advisor)
        recipients_add(actor=advisor, case=case, users=[contact])
        recipients_remove(actor=advisor, case=case, users=[contact])
        issue = DevIssueFactory(number=f"DEV-{49000 + n}")
        case_set_status(actor=advisor, case=case, status=Status.ASSIGNED_TO_DEVELOPMENT, dev_issue=issue)
        case_set_status(actor=advisor, case=case, status=Status.ASSIGNED)
    return case


def test_labelling_and_telling_5_or_50_events_costs_the_same_queries(personas, people):
    case = _busy_case(personas, people, rounds=9)

    def tell(count: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            events = list(CaseEvent.objects.filter(case=case).select_related("actor").order_by("pk")[:count])
            told = [event_sentence(event) for event in label_events(events)]
        assert len(told) == count
        # Every kind that names someone or something is among the first five too.
        assert {e.kind for e in events[:5]} >= {Kind.ASSIGNED, Kind.RECIPIENT_ADDED, Kind.DEV_ISSUE_LINKED}
        return len(queries)

    assert tell(5) == tell(50) == 3  # the events with their actors, the people named, the issues named


@pytest.mark.parametrize(
    ("utc", "shown", "machine"),
    [
        ("2026-12-01T14:00:00+00:00", "Tue 1 Dec 2026, 8:00 AM", "2026-12-01T08:00:00-06:00"),
        ("2026-07-04T05:05:59+00:00", "Sat 4 Jul 2026, 12:05 AM", "2026-07-04T00:05:59-05:00"),
        ("2026-12-31T18:30:00+00:00", "Thu 31 Dec 2026, 12:30 PM", "2026-12-31T12:30:00-06:00"),
    ],
)
def test_the_work_pages_moments_read_as_the_date_filter_writes_them(utc, shown, machine):
    from datetime import datetime

    from django.template.defaultfilters import date as date_filter
    from django.utils import timezone

    from cases.templatetags.case_labels import machine_time, when

    moment = datetime.fromisoformat(utc)
    assert when(moment) == shown == date_filter(timezone.localtime(moment), "D j M Y, g:i A")
    assert machine_time(moment) == machine
