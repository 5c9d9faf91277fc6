"""The advisors' queues in the admin case list: which cases each queue holds, in which order, with which counts
and row texts, and a page's SQL count that does not grow with its rows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.casetypes import CaseType, Team
from cases.models import Case, Disruption, ImpactAssessment, Priority, first_response_due_sql
from cases.selectors import queues
from cases.selectors.queues import QUEUES, queue_counts
from cases.services import post_create
from cases.tests.factories import CaseFactory, put_in_status, submit_case
from cases.tests.listing_helpers import CHICAGO, NOW
from cases.workflow import OPEN_STATUSES, WAITING_ON_DISTRICT, Status
from contacts.tests.factories import AdvisorFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wednesday_morning")]

LIST = reverse("admin:cases_case_changelist")
HOUR = timedelta(hours=1)


def numbers_listed(client, query: str) -> list[int]:
    """The case numbers of the list page, in the order shown."""
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    return [
        int(n)
        for n in re.findall(r'class="field-number"><a href="[^"]*">(\d+)</a>', response.content.decode())
    ]


def a_case(personas, status: Status, *, advisor=None, at: datetime | None = None, **fields: Any) -> Case:
    """A case of district A in ``status`` (an advisor assigned past New), with ``fields`` stored as given."""
    case = CaseFactory(district=personas.district_a, contact=personas.support, **fields)
    case = put_in_status(
        case,
        status,
        advisor=None if status == Status.NEW else (advisor or personas.advisor),
        at=at or NOW - HOUR,
    )
    return case


@pytest.fixture
def advisor_client(client, personas):
    client.force_login(personas.advisor)
    return client


# --- membership ------------------------------------------------------------------------------------------------


def expected_queues(status: Status) -> set[str]:
    """The queues of a Critical outage, unanswered and overdue, that a contact is waiting on, of Campus Support,
    assigned to the viewer past New, in ``status``."""
    if status not in OPEN_STATUSES:
        return set()
    queues = {"needs_reply", "due", "critical", "team"}
    if status != Status.NEW:
        queues.add("mine")
    if status in (Status.NEW, Status.REOPENED):
        queues.add("unassigned")
    if status in WAITING_ON_DISTRICT:
        queues.add("waiting")
    return queues


@pytest.mark.parametrize("status", list(Status))
def test_a_case_in_every_status_is_in_exactly_its_queues(advisor_client, personas, status):
    case = a_case(
        personas,
        status,
        case_type=CaseType.REPORT_OUTAGE,
        priority=Priority.CRITICAL,
        team=Team.CAMPUS_SUPPORT,
        created_at=NOW - 2 * HOUR,
        first_response_due_at=NOW + 8 * HOUR,
        oncall_due_at=NOW - HOUR,
    )
    Case.objects.filter(pk=case.pk).update(awaiting_support_since=NOW - HOUR)
    shown = {queue for queue in QUEUES if case.number in numbers_listed(advisor_client, f"queue={queue}")}
    assert shown == expected_queues(status)
    in_team = numbers_listed(advisor_client, f"queue=team&team={Team.CAMPUS_SUPPORT}")
    assert (case.number in in_team) == (status != Status.CLOSED)
    assert numbers_listed(advisor_client, f"queue=team&team={Team.TRAINING}") == []


def test_another_advisors_case_is_not_mine(advisor_client, personas):
    theirs = a_case(personas, Status.ASSIGNED, advisor=AdvisorFactory())
    mine = a_case(personas, Status.ASSIGNED)
    assert numbers_listed(advisor_client, "queue=mine") == [mine.number]
    assert theirs.number in numbers_listed(advisor_client, "")


def test_an_answered_case_is_not_due(advisor_client, personas):
    case = a_case(personas, Status.ASSIGNED, first_response_due_at=NOW - HOUR)
    Case.objects.filter(pk=case.pk).update(first_response_at=NOW - 2 * HOUR, first_response_met=True)
    assert numbers_listed(advisor_client, "queue=due") == []


@pytest.mark.parametrize(
    ("now", "due", "listed"),
    [
        (NOW, NOW + timedelta(hours=3, minutes=59), True),
        (NOW, NOW + timedelta(hours=4, minutes=1), False),
        (NOW, NOW - timedelta(days=3), True),  # overdue
        # Wednesday 17:00: one business hour today, then Thursday from 06:00.
        (NOW + 7 * HOUR, datetime(2026, 4, 16, 8, 59, tzinfo=CHICAGO), True),
        (NOW + 7 * HOUR, datetime(2026, 4, 16, 9, 1, tzinfo=CHICAGO), False),
    ],
    ids=["in-3h59", "in-4h01", "overdue", "overnight-3h59", "overnight-4h01"],
)
def test_due_soon_is_four_business_hours_ahead_or_overdue(advisor_client, personas, now, due, listed):
    case = a_case(personas, Status.ASSIGNED, created_at=NOW - 5 * HOUR, first_response_due_at=due)
    with time_machine.travel(now, tick=False):
        assert (case.number in numbers_listed(advisor_client, "queue=due")) is listed


@pytest.mark.parametrize(("oncall_in", "listed"), [(timedelta(minutes=30), True), (5 * HOUR, False)])
def test_a_critical_case_is_due_by_its_on_call_hour_in_clock_time(
    advisor_client, personas, oncall_in, listed
):
    case = a_case(
        personas,
        Status.NEW,
        case_type=CaseType.REPORT_OUTAGE,
        priority=Priority.CRITICAL,
        first_response_due_at=NOW + timedelta(days=5),
        oncall_due_at=NOW + oncall_in,
    )
    assert (case.number in numbers_listed(advisor_client, "queue=due")) is listed


def test_the_due_time_in_sql_is_the_one_case_first_response_shows(personas):
    cases = [
        a_case(personas, Status.NEW, first_response_due_at=NOW + HOUR),
        a_case(personas, Status.NEW, first_response_due_at=NOW - HOUR, oncall_due_at=NOW + HOUR),
        a_case(
            personas,
            Status.NEW,
            case_type=CaseType.REPORT_OUTAGE,
            priority=Priority.CRITICAL,
            first_response_due_at=NOW + 9 * HOUR,
            oncall_due_at=NOW + HOUR,
        ),
        a_case(
            personas,
            Status.NEW,
            case_type=CaseType.REPORT_OUTAGE,
            priority=Priority.CRITICAL,
            first_response_due_at=NOW + 9 * HOUR,
        ),
    ]
    in_sql = dict(Case.objects.annotate(due=first_response_due_sql()).values_list("pk", "due"))
    assert {case.pk: case.first_response(NOW).at for case in cases} == in_sql


def test_unknown_queue_or_team_is_refused_like_any_bad_filter(advisor_client):
    for query in ["queue=everything", "queue=team&team=plumbing"]:
        response = advisor_client.get(f"{LIST}?{query}")
        assert response.status_code == 302
        assert response["Location"].endswith("?e=1")


# --- order ------------------------------------------------------------------------------------------------------


def test_needs_reply_lists_the_longest_wait_first(advisor_client, personas):
    waits = [1, 3, 2]
    cases = []
    for hours in waits:
        case = a_case(personas, Status.ASSIGNED)
        Case.objects.filter(pk=case.pk).update(awaiting_support_since=NOW - hours * HOUR)
        cases.append(case)
    longest_first = [case.number for _, case in sorted(zip(waits, cases, strict=True), key=lambda p: -p[0])]
    assert numbers_listed(advisor_client, "queue=needs_reply") == longest_first


def test_due_lists_by_the_due_time_that_counts(advisor_client, personas):
    overdue = a_case(personas, Status.NEW, first_response_due_at=NOW - HOUR)
    # Due by its business target in the past, but promised within the on-call hour: that counts.
    oncall = a_case(
        personas,
        Status.NEW,
        case_type=CaseType.REPORT_OUTAGE,
        priority=Priority.CRITICAL,
        first_response_due_at=NOW - 5 * HOUR,
        oncall_due_at=NOW + timedelta(minutes=30),
    )
    soon = a_case(personas, Status.NEW, first_response_due_at=NOW + 2 * HOUR)
    a_case(personas, Status.NEW, first_response_due_at=NOW + 5 * HOUR)
    assert numbers_listed(advisor_client, "queue=due") == [overdue.number, oncall.number, soon.number]


# --- counts -----------------------------------------------------------------------------------------------------


def test_the_counts_are_one_query_and_match_the_lists(advisor_client, personas, django_assert_num_queries):
    for status in Status:
        a_case(personas, status, first_response_due_at=NOW - HOUR)
    a_case(personas, Status.ASSIGNED, team=Team.TRAINING)
    with django_assert_num_queries(1):
        counts = queue_counts(user=personas.advisor, now=timezone.now())
    for name in QUEUES:
        if name != "team":  # counted team by team
            assert counts[name] == len(numbers_listed(advisor_client, f"queue={name}")), name
    for team in Team:
        listed = numbers_listed(advisor_client, f"queue=team&team={team.value}")
        assert counts[f"team:{team.value}"] == len(listed), team
    assert (counts["team:training"], counts["team:campus_support"]) == (1, 9)
    html = advisor_client.get(LIST).content.decode()
    assert (
        f'href="?queue=unassigned">Unassigned <span class="queue-count">{counts["unassigned"]}</span>' in html
    )
    assert '<a href="?queue=team&amp;team=training">Training <span class="queue-count">1</span>' in html


def paginator_text(html: str) -> str:
    nav = re.search(r'<nav class="paginator".*?</nav>', html, re.S)
    assert nav
    return " ".join(re.sub(r"<[^>]+>", " ", nav.group()).split())


def test_counts_beyond_the_cap_say_so_in_the_links_and_under_the_list(advisor_client, personas, monkeypatch):
    monkeypatch.setattr(queues, "COUNT_CAP", 2)
    for _ in range(2):
        a_case(personas, Status.ASSIGNED)
    html = advisor_client.get(f"{LIST}?queue=mine").content.decode()
    assert 'href="?queue=mine" aria-current="page">My open cases <span class="queue-count">2</span>' in html
    assert paginator_text(html) == "Pagination cases 2 cases"
    a_case(personas, Status.ASSIGNED)
    html = advisor_client.get(f"{LIST}?queue=mine").content.decode()
    assert 'My open cases <span class="queue-count">2+</span>' in html
    assert paginator_text(html) == "Pagination cases 2+ cases"
    assert len(numbers_listed(advisor_client, "queue=mine")) == 3  # every case still listed


def test_the_current_queue_is_marked_and_titles_the_page(advisor_client):
    html = advisor_client.get(f"{LIST}?queue=needs_reply").content.decode()
    assert '<a href="?queue=needs_reply" aria-current="page">Needs reply' in html
    assert "<h1>Needs reply</h1>" in html


# --- rows -------------------------------------------------------------------------------------------------------


def test_every_row_says_what_the_advisor_needs(advisor_client, personas):
    overdue = a_case(
        personas,
        Status.ASSIGNED,
        subject="Report cards print blank",
        priority=Priority.HIGH,
        created_at=NOW - 3 * HOUR,
        first_response_due_at=NOW - 2 * HOUR,
    )
    ImpactAssessment.objects.create(
        case=overdue, disruption=Disruption.SEVERE, multiple_districts=True, assessed_at=NOW
    )
    Case.objects.filter(pk=overdue.pk).update(awaiting_support_since=NOW - HOUR)
    html = advisor_client.get(f"{LIST}?queue=mine").content.decode()
    # The number opens the case's work page, which leads back to this queue.
    change = reverse("admin:cases_case_change", args=[overdue.pk])
    assert f'<a href="{change}?_changelist_filters=queue%3Dmine">{overdue.number}</a>' in html
    row = html[html.index(f">{overdue.number}</a>") :].split("</tr>")[0]
    texts = [
        re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
    ]
    assert texts == [
        "Report cards print blank",
        "Maple Grove Public Schools",
        personas.support.get_full_name(),
        "High",
        "Assigned",
        personas.advisor.get_full_name(),
        "overdue by 2 h 00 min",
        "Severe · no workaround · several districts",
        "15 Apr 2026, 9:00 AM",
        "Support, waited 1 h 00 min",
    ]


@pytest.mark.parametrize(
    ("status", "move"),
    [
        (Status.PENDING_CUSTOMER_INPUT, "District"),
        (Status.AVAILABLE_IN_RELEASE, "District"),
        (Status.ASSIGNED_TO_DEVELOPMENT, "Development"),
        (Status.ASSIGNED, "Support"),
        (Status.SCHEDULED, "Scheduled Wed 22 Apr"),
        (Status.CLOSED, "-"),
    ],
)
def test_whose_move_it_is(advisor_client, personas, status, move):
    case = a_case(personas, status)
    html = advisor_client.get(LIST).content.decode()
    row = html[html.index(f">{case.number}</a>") :].split("</tr>")[0]
    assert f'<td class="field-whose_move">{move}</td>' in row


def test_a_critical_case_counts_its_on_call_hour_on_the_clock(advisor_client, personas):
    case = a_case(
        personas,
        Status.NEW,
        case_type=CaseType.REPORT_OUTAGE,
        priority=Priority.CRITICAL,
        first_response_due_at=NOW + 9 * HOUR,
        oncall_due_at=NOW + timedelta(minutes=25),
    )
    html = advisor_client.get(f"{LIST}?queue=critical").content.decode()
    row = html[html.index(f">{case.number}</a>") :].split("</tr>")[0]
    assert "due in 0 h 25 min (clock)" in row
    assert '<strong class="queue-critical">Critical</strong>' in row


# --- speed ------------------------------------------------------------------------------------------------------


def fill(personas, n: int) -> None:
    """``n`` Re-Opened and ``n`` Pending Customer Input Critical cases, each of its own district, contact and
    impact assessment, every one in as many queues as its status allows."""
    for status in [Status.REOPENED, Status.PENDING_CUSTOMER_INPUT] * n:
        case = CaseFactory(
            contact=UserFactory(),
            case_type=CaseType.REPORT_OUTAGE,
            priority=Priority.CRITICAL,
            first_response_due_at=NOW - HOUR,
            oncall_due_at=NOW - HOUR,
            awaiting_support_since=NOW - HOUR,
        )
        put_in_status(case, status, advisor=personas.advisor, at=NOW - HOUR)
        ImpactAssessment.objects.create(case=case, disruption=Disruption.MODERATE, assessed_at=NOW)


@pytest.mark.parametrize(
    "query", [*(f"queue={name}" for name in QUEUES), "queue=team&team=campus_support", ""]
)
def test_a_queue_page_costs_the_same_queries_for_more_rows(
    advisor_client, personas, query, django_assert_num_queries
):
    fill(personas, 2)
    numbers_listed(advisor_client, query)  # once first: what the first request caches
    with CaptureQueriesContext(connection) as small:
        rows = numbers_listed(advisor_client, query)
    assert len(rows) >= 2
    fill(personas, 5)
    with django_assert_num_queries(len(small)):
        assert len(numbers_listed(advisor_client, query)) > len(rows)


def test_the_search_box_finds_by_words_of_posts_and_by_number_best_match_first(client, personas):
    client.force_login(personas.advisor)
    weak = submit_case(
        district=personas.district_a, contact=personas.support, subject="Printer jam in office"
    )
    submit_case(
        district=personas.district_b, contact=personas.other_district, subject="Gradebook export fails"
    )
    post_create(author=personas.support, case=weak, body="<p>Also the gradebook export is slow.</p>")
    url = reverse("admin:cases_case_changelist")
    html = client.get(url, {"q": "gradebook export"}).content.decode()
    assert html.index("Gradebook export fails") < html.index("Printer jam in office")
    by_number = client.get(url, {"q": f"#{weak.number}"}).content.decode()
    assert "Printer jam in office" in by_number
    assert "Gradebook export fails" not in by_number
    by_address = client.get(url, {"q": personas.other_district.email}).content.decode()
    assert "Gradebook export fails" in by_address
    assert "Printer jam in office" not in by_address
