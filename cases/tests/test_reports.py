"""The advisors' reports: figures on a hand-built set of cases whose stored moments and business durations are
set directly, each figure's drill-down listing exactly the cases it counts, the CSV export, constant queries,
and who may read them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.casetypes import CaseType, Team
from cases.models import Case, CaseEvent, Priority
from cases.selectors.reports import REPORTS, Cell
from cases.tests.factories import submit_case
from cases.workflow import Status
from contacts.tests.factories import AdvisorFactory, UserFactory

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 4, 15, 12, 0, tzinfo=CHICAGO)
SCOPE = {"start": "2026-01-01", "end": "2026-04-15", "team": "", "case_type": ""}
HOUR = 3600


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def make(personas, created: datetime, **stored: Any) -> Case:
    """A case submitted at ``created`` whose stored outcome (status, moments, durations) is set directly."""
    case = submit_case(district=personas.district_a, contact=personas.support, now=created)
    if stored.get("closed_at"):
        stored.setdefault("status", Status.CLOSED)
    elif stored.get("assigned_to"):
        stored.setdefault("status", Status.ASSIGNED)
    Case.objects.filter(pk=case.pk).update(**stored)
    case.refresh_from_db()
    return case


def escalate(case: Case, at: datetime) -> None:
    CaseEvent.objects.create(
        case=case, kind=CaseEvent.Kind.ESCALATED, old=case.team, new=Team.TECHNICAL_SERVICES, created_at=at
    )


@pytest.fixture
def data(personas) -> dict[str, Any]:
    advisor = personas.advisor
    other = AdvisorFactory(email="robin@support.example.com", first_name="Robin", last_name="Other")
    # 23:30 on 28 February in Chicago is already 1 March in UTC: the case belongs to February.
    a = make(
        personas,
        local(2026, 2, 28, 23, 30),
        assigned_to=advisor,
        first_response_at=local(2026, 3, 2, 7, 0),
        first_response_met=True,
        first_response_business_seconds=HOUR,
        closed_at=local(2026, 3, 2, 10, 0),
        resolution_business_seconds=2 * HOUR,
    )
    b = make(
        personas,
        local(2026, 3, 1, 0, 30),
        assigned_to=advisor,
        first_response_at=local(2026, 3, 3, 9, 0),
        first_response_met=False,
        first_response_business_seconds=5 * HOUR,
        closed_at=local(2026, 3, 10, 10, 0),
        resolution_business_seconds=10 * HOUR,
    )
    escalate(b, local(2026, 3, 4, 9, 0))
    c = make(
        personas,
        local(2026, 3, 5, 9, 0),
        assigned_to=advisor,
        case_type=CaseType.REQUEST_TRAINING,
        team=Team.TRAINING,
        priority=Priority.HIGH,
        first_response_at=local(2026, 3, 5, 9, 30),
        first_response_met=True,
        first_response_business_seconds=HOUR // 2,
    )
    d = make(personas, local(2026, 3, 20, 9, 0))
    # Opened before the period, closed in January.
    e = make(
        personas,
        local(2025, 12, 31, 23, 0),
        closed_at=local(2026, 1, 5, 9, 0),
        resolution_business_seconds=4 * HOUR,
    )
    # Closed ten minutes into April in Chicago.
    f = make(
        personas,
        local(2026, 3, 10, 9, 0),
        assigned_to=other,
        priority=Priority.HIGH,
        first_response_at=local(2026, 3, 10, 10, 30),
        first_response_met=True,
        first_response_business_seconds=90 * 60,
        closed_at=local(2026, 4, 1, 0, 10),
        resolution_business_seconds=9000,
    )
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "advisor": advisor, "other": other}


def report(client: Client, slug: str, **params: str) -> Any:
    return client.get(reverse("admin:cases_case_report", args=[slug]), {**SCOPE, **params})


def texts(response: Any) -> list[list[list[str]]]:
    return [[[cell.text for cell in row] for row in table.rows] for table in response.context["tables"]]


@pytest.fixture
def client(personas) -> Client:
    client = Client()
    client.force_login(personas.advisor)
    return client


def test_cases_opened_and_closed_by_month_team_and_case_type(client, data) -> None:
    response = report(client, "volume")
    assert response.status_code == 200
    assert texts(response) == [
        [
            ["January 2026", "Campus Support", "Ask a Question", "0", "1"],
            ["February 2026", "Campus Support", "Ask a Question", "1", "0"],
            ["March 2026", "Campus Support", "Ask a Question", "3", "2"],
            ["March 2026", "Training", "Request Training", "1", "0"],
            ["April 2026", "Campus Support", "Ask a Question", "0", "1"],
        ]
    ]
    narrowed = report(client, "volume", team=Team.TRAINING)
    assert texts(narrowed) == [[["March 2026", "Training", "Request Training", "1", "0"]]]


def test_first_response_sla_met_by_priority_and_month_with_the_counts(client, data) -> None:
    assert texts(report(client, "sla")) == [
        [
            ["February 2026", "Medium", "100.0 %", "1", "1"],
            ["March 2026", "High", "100.0 %", "2", "2"],
            # The unanswered case of March is not counted.
            ["March 2026", "Medium", "0.0 %", "0", "1"],
        ]
    ]


def test_median_and_90th_percentile_business_hours(client, data) -> None:
    first_response, resolution = texts(report(client, "times"))
    assert first_response == [
        ["February 2026", "Medium", "1.0", "1.0", "1"],
        # 0.5 h and 1.5 h: median 1.0 h; 90th percentile 0.5 + 0.9 * 1.0 = 1.4 h.
        ["March 2026", "High", "1.0", "1.4", "2"],
        ["March 2026", "Medium", "5.0", "5.0", "1"],
    ]
    assert resolution == [
        ["January 2026", "Medium", "4.0", "4.0", "1"],
        # 2 h and 10 h: median 6.0 h; 90th percentile 2 + 0.9 * 8 = 9.2 h.
        ["March 2026", "Medium", "6.0", "9.2", "2"],
        ["April 2026", "High", "2.5", "2.5", "1"],
    ]


def test_share_resolved_without_escalation_against_the_vendor_figure(client, data) -> None:
    response = report(client, "escalation")
    assert texts(response) == [
        [
            ["January 2026", "100.0 %", "70 %", "1", "1"],
            ["March 2026", "50.0 %", "70 %", "1", "2"],
            ["April 2026", "100.0 %", "70 %", "1", "1"],
        ]
    ]
    assert "The vendor&#x27;s figure is about 70 %" in response.content.decode()


def test_per_advisor(client, data, personas) -> None:
    name = personas.advisor.get_full_name() or personas.advisor.email
    rows = texts(report(client, "advisors"))[0]
    assert sorted(rows[:2]) == sorted(
        [
            [name, "3", "2", "66.7 %", "2", "3", "1.0", "6.0", "50.0 %", "1"],
            ["Robin Other", "1", "1", "100.0 %", "1", "1", "1.5", "2.5", "100.0 %", "1"],
        ]
    )
    assert rows[2] == ["Unassigned", "1", "1", "\u2013", "0", "0", "\u2013", "4.0", "100.0 %", "1"]


def listed(client: Client, href: str) -> set[int]:
    response = client.get(href)
    assert response.status_code == 200, href
    changelist = response.context["cl"]
    assert changelist.result_count == len(changelist.result_list)
    return {case.number for case in changelist.result_list}


@pytest.mark.parametrize("slug", list(REPORTS))
def test_every_figure_links_to_exactly_the_cases_it_counts(client, data, slug) -> None:
    cells: list[Cell] = [
        cell
        for table in report(client, slug).context["tables"]
        for row in table.rows
        for cell in row
        if cell.href
    ]
    assert cells
    for cell in cells:
        numbers = listed(client, cell.href)
        if isinstance(cell.value, int):
            assert len(numbers) == cell.value, (cell.text, cell.href)


def test_a_drilldown_lists_the_cases_by_number(client, data) -> None:
    cells = {(row[0].text, row[1].text): row for row in report(client, "sla").context["tables"][0].rows}
    answered = cells[("March 2026", "High")][4]
    assert listed(client, answered.href) == {data["c"].number, data["f"].number}
    title = "Report: Answered \u00b7 March 2026 \u00b7 High (1 Jan 2026 \u2013 15 Apr 2026)"
    assert title in client.get(answered.href).content.decode()
    per_advisor = report(client, "advisors").context["tables"][0].rows
    unassigned_opened = per_advisor[2][1]
    assert listed(client, unassigned_opened.href) == {data["d"].number}
    assert "Report: Opened \u00b7 Unassigned" in client.get(unassigned_opened.href).content.decode()
    escalation = report(client, "escalation").context["tables"][0].rows
    march_unescalated = escalation[1][3]
    assert listed(client, march_unescalated.href) == {data["a"].number}


def test_a_forged_drilldown_is_refused_by_the_list(client, data) -> None:
    response = client.get(
        reverse("admin:cases_case_changelist"), {"report": "nonsense", "r_from": "2026-01-01"}
    )
    # The admin answers lookups it cannot apply by redirecting to the unfiltered list with ?e=1.
    assert response.status_code == 302
    assert "e=1" in response["Location"]


def test_csv_export(client, data) -> None:
    response = report(client, "sla", format="csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="report-sla-2026-01-01-2026-04-15.csv"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    assert list(csv.reader(io.StringIO(body))) == [
        ["Month opened", "Priority", "Met %", "Met", "Answered"],
        ["2026-02", "Medium", "100.0", "1", "1"],
        ["2026-03", "High", "100.0", "2", "2"],
        ["2026-03", "Medium", "0.0", "0", "1"],
    ]
    times = b"".join(report(client, "times", format="csv").streaming_content).decode()
    lines = list(csv.reader(io.StringIO(times)))
    assert lines[0] == ["Business hours to first response"]
    assert ["Business hours to resolution"] in lines


def test_a_start_after_the_end_keeps_the_typed_dates(client, data) -> None:
    response = report(client, "volume", start="2026-05-01", end="2026-04-01")
    assert response.status_code == 400
    page = response.content.decode()
    assert "The end date must not be before the start date." in page
    assert 'value="2026-05-01"' in page


def test_the_default_period_is_the_last_twelve_months(client, data) -> None:
    response = client.get(reverse("admin:cases_case_report", args=["volume"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="2025-05-01"' in page
    assert 'value="2026-04-15"' in page


def more_cases(personas, advisors: int) -> None:
    for index in range(advisors):
        advisor = AdvisorFactory()
        for month in (1, 2, 3):
            make(
                personas,
                local(2026, month, 10 + index, 9, 0),
                assigned_to=advisor,
                priority=Priority.LOW,
                first_response_at=local(2026, month, 20, 9, 0),
                first_response_met=bool(index % 2),
                first_response_business_seconds=HOUR * (index + 1),
                closed_at=local(2026, month, 25, 9, 0),
                resolution_business_seconds=HOUR * (index + 5),
            )


@pytest.mark.parametrize("slug", list(REPORTS))
def test_queries_do_not_grow_with_the_cases(client, data, personas, slug) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert report(client, slug).status_code == 200
            b"".join(report(client, slug, format="csv").streaming_content)
        return len(captured)

    queries()  # the first request of a session reads what later ones find cached (the session, the user)
    small = queries()
    more_cases(personas, 4)
    assert queries() == small


def test_a_contact_gets_no_admin(personas, data) -> None:
    client = Client()
    client.force_login(personas.support)
    response = report(client, "volume")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_staff_account_without_the_advisor_role_is_refused(personas, data) -> None:
    client = Client()
    client.force_login(UserFactory(email="clerk@support.example.com", is_staff=True))
    assert report(client, "volume").status_code == 403
    assert report(client, "volume", format="csv").status_code == 403


def test_the_case_list_links_to_the_reports(client) -> None:
    page = client.get(reverse("admin:cases_case_changelist")).content.decode()
    assert f'href="{reverse("admin:cases_case_report", args=["volume"])}">Reports</a>' in page


def test_an_unknown_report_is_missing(client) -> None:
    assert client.get(reverse("admin:cases_case_report", args=["nope"])).status_code == 404
