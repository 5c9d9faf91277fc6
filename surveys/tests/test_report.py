"""The satisfaction report's arithmetic on a hand-built set of responses: each figure, the rows its link lists,
the follow-up list, and who may read it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cases.tests.factories import CaseFactory, put_in_status
from contacts.tests.factories import AdvisorFactory
from surveys.models import Survey, SurveyResponse

pytestmark = pytest.mark.django_db

REPORT = "/admin/surveys/surveyresponse/report/?start=2026-11-01&end=2026-12-31"
TODAY = datetime(2026, 12, 20, 15, 0, tzinfo=UTC)


def response(
    personas, *, at: datetime, team: str, advisor, overall: int, comment: str = ""
) -> SurveyResponse:
    case = CaseFactory(district=personas.district_a, contact=personas.support, team=team, created_at=at)
    case = put_in_status(case, "closed", advisor=personas.advisor, at=at)
    survey = Survey.objects.create(
        case=case,
        contact=personas.support,
        team=team,
        advisor=advisor,
        closed_at=at,
        state=Survey.State.SENT,
        sent_at=at,
        token_hash=f"{case.pk:064d}",
        expires_at=at,
    )
    return SurveyResponse.objects.create(
        survey=survey,
        courtesy=4,
        knowledge=4,
        timeliness=4,
        quality=4,
        overall=overall,
        comment=comment,
        submitted_at=at,
    )


@pytest.fixture
def data(personas):
    ana = AdvisorFactory(first_name="Ana", last_name="Diaz")
    ben = AdvisorFactory(first_name="Ben", last_name="Okafor")
    rows = {
        "r1": response(
            personas, at=datetime(2026, 11, 10, 16, tzinfo=UTC), team="campus_support", advisor=ana, overall=5
        ),
        # 23:30 on 30 November in Chicago: November's, though it is December in UTC.
        "r2": response(
            personas,
            at=datetime(2026, 12, 1, 5, 30, tzinfo=UTC),
            team="campus_support",
            advisor=ben,
            overall=2,
            comment="Took a week to get an answer.",
        ),
        "r3": response(
            personas, at=datetime(2026, 12, 3, 16, tzinfo=UTC), team="training", advisor=ana, overall=4
        ),
        "r4": response(
            personas, at=datetime(2026, 12, 4, 16, tzinfo=UTC), team="campus_support", advisor=None, overall=1
        ),
        "r5": response(
            personas, at=datetime(2026, 12, 5, 16, tzinfo=UTC), team="campus_support", advisor=ana, overall=3
        ),
        # Outside the period: counted nowhere.
        "old": response(
            personas, at=datetime(2026, 10, 31, 12, tzinfo=UTC), team="training", advisor=ana, overall=1
        ),
    }
    return rows


def table(page: str, title: str) -> list[list[str]]:
    section = page.split(f">{title}</h2>", 1)[1].split("</section>", 1)[0]
    result = []
    for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)[1:]:
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        result.append([re.sub(r"<[^>]+>", "", cell).strip() for cell in cells])
    return result


def advisor_client(personas) -> Client:
    client = Client()
    client.force_login(personas.advisor)
    return client


@time_machine.travel(TODAY, tick=False)
def test_the_figures(personas, data) -> None:
    page = advisor_client(personas).get(REPORT).content.decode()
    assert table(page, "By month") == [
        ["November 2026", "50.0 %", "1", "2", "Below goal"],
        ["December 2026", "33.3 %", "1", "3", "Below goal"],
    ]
    assert table(page, "By team") == [
        ["Campus Support", "25.0 %", "1", "4", "Below goal"],
        ["Training", "100.0 %", "1", "1", "Met"],
    ]
    assert table(page, "By advisor") == [
        ["Ana Diaz", "66.7 %", "2", "3", "Below goal"],
        ["Ben Okafor", "0.0 %", "0", "1", "Below goal"],
        ["Unassigned", "0.0 %", "0", "1", "Below goal"],
    ]
    follow_up = table(page, "To follow up: Overall Service 1 or 2")
    assert [row[0].split()[0] for row in follow_up] == [
        f"#{data['r4'].survey.case.number}",
        f"#{data['r2'].survey.case.number}",
    ]
    assert follow_up[1][2:] == ["2", "Ben Okafor", "Took a week to get an answer."]
    assert f'href="/admin/cases/case/{data["r4"].survey.case_id}/change/"' in page


@time_machine.travel(TODAY, tick=False)
def test_each_count_lists_exactly_the_rows_it_counts(personas, data) -> None:
    client = advisor_client(personas)
    page = client.get(REPORT).content.decode()
    links = re.findall(r'<td class="report-number"><a href="([^"]+)">([\d,]+)</a></td>', page)
    assert len(links) == 2 * (2 + 2 + 3)  # satisfied and responses, on every row of the three tables
    for href, figure in links:
        listed = client.get(href.replace("&amp;", "&"))
        assert listed.status_code == 200
        assert listed.context["cl"].result_count == int(figure), href
        assert "Report:" in listed.content.decode()


@time_machine.travel(TODAY, tick=False)
def test_a_bad_period_is_a_form_error(personas, data) -> None:
    response = advisor_client(personas).get(
        "/admin/surveys/surveyresponse/report/?start=2026-12-31&end=2026-11-01"
    )
    assert response.status_code == 400
    assert "The end date must not be before the start date." in response.content.decode()


def test_a_forged_figure_address_lists_nothing_wrong(personas, data) -> None:
    response = advisor_client(personas).get("/admin/surveys/surveyresponse/?r_from=x&r_to=2026-12-31")
    # The admin's answer to lookup parameters it refuses: back to the list, flagged as an error.
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_a_staff_account_without_the_advisor_role_is_refused(personas) -> None:
    from contacts.tests.factories import UserFactory

    staff = UserFactory(email="staff@support.example.com", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get(REPORT).status_code == 403


@time_machine.travel(TODAY, tick=False)
def test_the_report_reads_the_same_number_of_queries_for_more_responses(personas) -> None:
    ana = AdvisorFactory()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert advisor_client(personas).get(REPORT).status_code == 200
        return len(captured)

    for day in range(1, 4):
        response(
            personas, at=datetime(2026, 12, day, 16, tzinfo=UTC), team="training", advisor=ana, overall=day
        )
    few = queries()
    for day in range(1, 28):
        response(
            personas,
            at=datetime(2026, 11, day, 16, tzinfo=UTC),
            team="campus_support",
            advisor=ana,
            overall=1 + day % 5,
        )
    many = queries()
    # The same bound at both sizes: no query per response, advisor or case (the rest is the admin's own:
    # session, user, permissions).
    assert few <= 27
    assert many <= 27
