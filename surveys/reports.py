"""The satisfaction report (SPEC §9): the share of responses with Overall Service 4 or 5, by month, team and
advisor, against the 95 % goal; and the responses with Overall 2 or less, for follow-up.

A response is dated by when it was submitted (months begin at midnight Central, as in the case reports), and
counted for the team and advisor of its case when the case was closed (stored on the survey). Each figure links
to the response list filtered by ``drilldown_condition``, the same condition the figure counts: the number of
rows a figure links to is the figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse

from cases.casetypes import Team
from cases.models import Case
from cases.selectors.reports import (
    Cell,
    Table,
    local_midnight,
    month_bounds,
    month_key,
    month_label,
    percent,
    portal_zone,
)
from contacts.models import User
from surveys.models import SurveyResponse

GOAL = 95  # per cent of responses rating Overall Service 4 or 5 (the vendor's stated goal)
SATISFIED = Q(overall__gte=4)
FOLLOW_UP = Q(overall__lte=2)
DRILLDOWN_PARAMS = ("r_from", "r_to", "r_month", "r_team", "r_advisor", "r_satisfied")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # both included

    def condition(self) -> Q:
        return Q(
            submitted_at__gte=local_midnight(self.start),
            submitted_at__lt=local_midnight(self.end + timedelta(days=1)),
        )

    def params(self) -> dict[str, str]:
        return {"r_from": self.start.isoformat(), "r_to": self.end.isoformat()}


def responses_visible_to(user: User) -> QuerySet[SurveyResponse]:
    # Through the access chokepoint: the responses to surveys of cases the person may see.
    return SurveyResponse.objects.filter(survey__case__in=Case.objects.visible_to(user))


def drilldown_condition(params: Mapping[str, str]) -> Q:
    """The responses behind a figure. Raises ValueError (or KeyError) for anything else."""
    period = Period(date.fromisoformat(params["r_from"]), date.fromisoformat(params["r_to"]))
    q = period.condition()
    if month := params.get("r_month"):
        start, end = month_bounds(month)
        q &= Q(submitted_at__gte=start, submitted_at__lt=end)
    if (team := params.get("r_team")) is not None:
        q &= Q(survey__team=Team(team))
    if (advisor := params.get("r_advisor")) is not None:
        q &= Q(survey__advisor__isnull=True) if advisor == "none" else Q(survey__advisor=int(advisor))
    if (satisfied := params.get("r_satisfied")) is not None:
        if satisfied not in ("1", "0"):
            raise ValueError("r_satisfied is 1 or 0.")
        q &= SATISFIED if satisfied == "1" else ~SATISFIED
    return q


def drilldown_url(period: Period, group: Mapping[str, str], *, satisfied: bool = False) -> str:
    params = {**period.params(), **group}
    if satisfied:
        params["r_satisfied"] = "1"
    return reverse("admin:surveys_surveyresponse_changelist") + "?" + urlencode(params)


def _row(label: str, row: Mapping[str, Any], period: Period, group: Mapping[str, str]) -> list[Cell]:
    return [
        Cell(label),
        percent(row["satisfied"], row["responses"], drilldown_url(period, group, satisfied=True)),
        Cell(f"{row['satisfied']:,}", drilldown_url(period, group, satisfied=True), row["satisfied"]),
        Cell(f"{row['responses']:,}", drilldown_url(period, group), row["responses"]),
        _goal(row),
    ]


def _goal(row: Mapping[str, Any]) -> Cell:
    if not row["responses"]:
        return Cell("\u2013", value="")
    met = 100 * row["satisfied"] >= GOAL * row["responses"]
    return Cell("Met" if met else "Below goal", value="met" if met else "below")


COLUMNS = ["Satisfaction rate", "Satisfied (Overall 4\u20135)", "Responses", f"Goal {GOAL} %"]
AGGREGATES = {"responses": Count("pk"), "satisfied": Count("pk", filter=SATISFIED)}


def build(user: User, period: Period) -> list[Table]:
    base = responses_visible_to(user).filter(period.condition())
    by_month = (
        base.annotate(month=TruncMonth("submitted_at", tzinfo=portal_zone()))
        .values("month")
        .annotate(**AGGREGATES)
        .order_by("month")
    )
    months = Table("By month", ["Month", *COLUMNS], note="Responses by the month they were received.")
    for row in by_month:
        key = month_key(row["month"])
        months.rows.append(_row(month_label(key), row, period, {"r_month": key}))

    teams = Table("By team", ["Team", *COLUMNS], note="The team of the case when it was closed.")
    for team_row in base.values("survey__team").annotate(**AGGREGATES).order_by("survey__team"):
        team = team_row["survey__team"]
        teams.rows.append(_row(str(Team(team).label), team_row, period, {"r_team": team}))

    advisor_rows: list[dict[str, Any]] = [
        dict(row) for row in base.values("survey__advisor").annotate(**AGGREGATES)
    ]
    names = {
        person.pk: person.get_full_name() or person.email
        for person in User.objects.filter(
            pk__in=[row["survey__advisor"] for row in advisor_rows if row["survey__advisor"]]
        ).only("first_name", "last_name", "email")
    }
    advisor_rows.sort(key=lambda row: (row["survey__advisor"] is None, names.get(row["survey__advisor"], "")))
    advisors = Table(
        "By advisor", ["Advisor", *COLUMNS], note="The advisor the case was assigned to when it was closed."
    )
    for advisor_row in advisor_rows:
        pk = advisor_row["survey__advisor"]
        advisors.rows.append(
            _row(
                names.get(pk, "Unassigned"),
                advisor_row,
                period,
                {"r_advisor": "none" if pk is None else str(pk)},
            )
        )
    return [months, teams, advisors]


@dataclass
class LowRating:
    response: SurveyResponse
    case_href: str


def follow_ups(user: User, period: Period) -> list[LowRating]:
    """Responses rating Overall Service 1 or 2 in the period, newest first, each with its case's work page."""
    rows = (
        responses_visible_to(user)
        .filter(period.condition() & FOLLOW_UP)
        .select_related("survey__case", "survey__contact", "survey__advisor")
        .order_by("-submitted_at")
    )
    return [LowRating(row, reverse("admin:cases_case_change", args=[row.survey.case_id])) for row in rows]
