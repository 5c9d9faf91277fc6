"""The advisors' reports: figures counted in SQL over values stored on the case when its moments happened.

Each figure is a *measure* (``MEASURES``): the moment it is dated by (``created_at`` for "opened", ``closed_at``
for "closed") and the condition a case meets to be counted. A report groups the cases of a *scope* (the filter
form: a date range on that moment, a team, a case type) by month of the moment and by columns of the case, and
counts each measure with its condition. A figure's drill-down (``drilldown_condition``) is the same scope, the
same group and the same condition as a filter of the case list, so the rows a figure links to are the rows it
counts. Business durations are never worked out here: they were stored when the case was answered or closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Aggregate, Count, Exists, FloatField, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse

from cases.casetypes import CaseType, Team
from cases.models import Case, CaseEvent, Priority
from contacts.models import User

# The vendor's figure for the share of cases resolved without escalation (SPEC §3.3), shown as the reference.
VENDOR_UNESCALATED_SHARE = 70


def portal_zone() -> ZoneInfo:
    """Months begin at midnight in the portal's time zone, where support works, not in UTC."""
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=portal_zone())


def month_bounds(key: str) -> tuple[datetime, datetime]:
    """``2026-03`` as [its first midnight, the next month's first midnight) in the portal's time zone."""
    year, month = (int(part) for part in key.split("-"))
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1)
    return local_midnight(start), local_midnight(end)


def month_key(moment: datetime) -> str:
    return moment.astimezone(portal_zone()).strftime("%Y-%m")


def month_label(key: str) -> str:
    year, month = (int(part) for part in key.split("-"))
    return date(year, month, 1).strftime("%B %Y")


# A case counts as escalated once an advisor escalated it to another team (``case_escalate`` records the event):
# routing to a team at submission is not an escalation.
ESCALATED = Exists(CaseEvent.objects.filter(case=OuterRef("pk"), kind=CaseEvent.Kind.ESCALATED))


@dataclass(frozen=True)
class Measure:
    label: str
    moment: str  # the stored moment the figure is dated by
    condition: Q


MEASURES: dict[str, Measure] = {
    "opened": Measure("Opened", "created_at", Q()),
    "closed": Measure("Closed", "closed_at", Q(closed_at__isnull=False)),
    # Answered: the first public advisor post was written; met is stored with it (SPEC §7).
    "answered": Measure("Answered", "created_at", Q(first_response_met__isnull=False)),
    "met": Measure("First response met", "created_at", Q(first_response_met=True)),
    "responded_timed": Measure(
        "Answered (business time stored)", "created_at", Q(first_response_business_seconds__isnull=False)
    ),
    "resolved_timed": Measure(
        "Closed (business time stored)",
        "closed_at",
        Q(closed_at__isnull=False, resolution_business_seconds__isnull=False),
    ),
    "unescalated": Measure(
        "Closed without escalation", "closed_at", Q(Q(closed_at__isnull=False), ~ESCALATED)
    ),
}


@dataclass(frozen=True)
class ReportScope:
    """The filter form's choices: local dates (both included), a team, a case type."""

    start: date
    end: date
    team: str = ""
    case_type: str = ""

    def condition(self, moment: str) -> Q:
        q = Q(
            **{
                f"{moment}__gte": local_midnight(self.start),
                f"{moment}__lt": local_midnight(self.end + timedelta(days=1)),
            }
        )
        if self.team:
            q &= Q(team=self.team)
        if self.case_type:
            q &= Q(case_type=self.case_type)
        return q

    def params(self) -> dict[str, str]:
        params = {"r_from": self.start.isoformat(), "r_to": self.end.isoformat()}
        if self.team:
            params["r_team"] = self.team
        if self.case_type:
            params["r_type"] = self.case_type
        return params


def default_scope(today: date) -> ReportScope:
    """The last twelve months, this one included."""
    first = today.replace(day=1)
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    return ReportScope(start=first, end=today)


# The group columns a figure may be narrowed by, as drill-down parameters: each one a case column.
GROUP_PARAMS = {"r_team": "team", "r_type": "case_type", "r_priority": "priority", "r_advisor": "assigned_to"}
DRILLDOWN_PARAMS = ("report", "r_from", "r_to", "r_month", *GROUP_PARAMS)


def drilldown_condition(params: Mapping[str, str]) -> Q:
    """The cases behind a figure: ``report=<measure>`` with the report's scope and the figure's group. Raises
    ValueError for anything that is not a figure's address."""
    measure = MEASURES.get(params.get("report", ""))
    if measure is None:
        raise ValueError("No such report figure.")
    scope = ReportScope(
        start=date.fromisoformat(params["r_from"]),
        end=date.fromisoformat(params["r_to"]),
    )
    q = scope.condition(measure.moment) & measure.condition
    if month := params.get("r_month"):
        start, end = month_bounds(month)
        q &= Q(**{f"{measure.moment}__gte": start, f"{measure.moment}__lt": end})
    for param, column in GROUP_PARAMS.items():
        value = params.get(param)
        if value is None:
            continue
        if column == "assigned_to":
            q &= Q(assigned_to__isnull=True) if value == "none" else Q(assigned_to=int(value))
        elif column == "priority":
            q &= Q(priority=int(value))
        elif column == "team":
            q &= Q(team=Team(value))
        else:
            q &= Q(case_type=CaseType(value))
    return q


def drilldown_title(params: Mapping[str, str]) -> str:
    """What the case list shows when it lists a figure's cases: the figure and its group, in words."""
    parts = [MEASURES[params["report"]].label]
    if month := params.get("r_month"):
        parts.append(month_label(month))
    labels = {"r_team": Team, "r_type": CaseType}
    for param, choices in labels.items():
        if value := params.get(param):
            parts.append(str(choices(value).label))
    if priority := params.get("r_priority"):
        parts.append(str(Priority(int(priority)).label))
    if advisor := params.get("r_advisor"):
        if advisor == "none":
            parts.append("Unassigned")
        else:
            person = User.objects.filter(pk=int(advisor)).only("first_name", "last_name", "email").first()
            parts.append(person.get_full_name() or person.email if person else "No such advisor")
    start, end = date.fromisoformat(params["r_from"]), date.fromisoformat(params["r_to"])
    period = f"{start:%-d %b %Y} \u2013 {end:%-d %b %Y}"
    figure = " \u00b7 ".join(parts)
    return f"Report: {figure} ({period})"


@cache
def changelist_path() -> str:
    # A report links every figure to this one page: reverse() it once, not once per figure.
    return reverse("admin:cases_case_changelist")


def drilldown_url(measure: str, scope: ReportScope, group: Mapping[str, str]) -> str:
    return changelist_path() + "?" + urlencode({"report": measure, **scope.params(), **group})


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(f) WITHIN GROUP (ORDER BY x)``: the interpolated f-quantile."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


# ---------------------------------------------------------------------------------------------------------------
# What a report page shows and exports.


@dataclass
class Cell:
    text: str
    href: str = ""
    value: Any = None  # for the CSV: the number, unformatted

    def __post_init__(self) -> None:
        if self.value is None:
            self.value = self.text


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    note: str = ""


NONE = "\u2013"  # a figure over no case


def hours(seconds: float | None) -> Cell:
    if seconds is None:
        return Cell(NONE, value="")
    value = round(seconds / 3600, 1)
    return Cell(f"{value:.1f}", value=value)


def percent(part: int, whole: int, href: str = "") -> Cell:
    if not whole:
        return Cell(NONE, value="")
    value = round(100 * part / whole, 1)
    return Cell(f"{value:.1f} %", href, value)


class Figures:
    """One grouped query: the cases of a scope dated by one moment, by month (or not) and group columns."""

    def __init__(
        self, user: User, scope: ReportScope, moment: str, columns: Iterable[str], by_month: bool = True
    ):
        self.user, self.scope, self.moment = user, scope, moment
        self.columns = list(columns)
        self.by_month = by_month

    def rows(self, **aggregates: Any) -> list[dict[str, Any]]:
        qs: QuerySet[Any] = Case.objects.visible_to(self.user).filter(self.scope.condition(self.moment))
        keys = list(self.columns)
        if self.by_month:
            qs = qs.annotate(month=TruncMonth(self.moment, tzinfo=portal_zone()))
            keys.insert(0, "month")
        result = list(qs.values(*keys).annotate(**aggregates).order_by(*keys))
        for row in result:
            if self.by_month:
                row["month"] = month_key(row["month"])
        return result


def count(measure: str) -> Count:
    return Count("pk", filter=MEASURES[measure].condition)


def group_params(row: Mapping[str, Any], columns: Iterable[str]) -> dict[str, str]:
    by_column = {column: param for param, column in GROUP_PARAMS.items()}
    params = {"r_month": row["month"]} if "month" in row else {}
    for column in columns:
        value = row[column]
        params[by_column[column]] = "none" if value is None else str(value)
    return params


def linked(row: Mapping[str, Any], measure: str, scope: ReportScope, columns: Iterable[str]) -> Cell:
    value = row[measure]
    return Cell(f"{value:,}", drilldown_url(measure, scope, group_params(row, columns)), value)


@dataclass(frozen=True)
class ReportSpec:
    slug: str
    title: str
    description: str


REPORTS: dict[str, ReportSpec] = {
    spec.slug: spec
    for spec in (
        ReportSpec("volume", "Cases opened and closed", "By month, team and case type."),
        ReportSpec(
            "sla", "First-response SLA", "Share of answered cases answered in time, by priority and month."
        ),
        ReportSpec(
            "times",
            "Business hours to respond and resolve",
            "Median and 90th percentile, by priority and month.",
        ),
        ReportSpec(
            "escalation", "Resolved without escalation", "Share of closed cases never escalated, by month."
        ),
        ReportSpec("advisors", "Per advisor", "The same figures by the case's assigned advisor."),
    )
}


# A report groups and sorts a year of cases, and the percentiles sort each group again: with the server's
# default work_mem (4 MB) the year's sort spills to disk. The setting is local to the report's transaction.
REPORT_WORK_MEM = "16MB"


def build(slug: str, user: User, scope: ReportScope) -> list[Table]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = %s", [REPORT_WORK_MEM])
        return BUILDERS[slug](user, scope)


def _volume(user: User, scope: ReportScope) -> list[Table]:
    columns = ["team", "case_type"]
    opened = Figures(user, scope, "created_at", columns).rows(opened=count("opened"))
    closed = Figures(user, scope, "closed_at", columns).rows(closed=count("closed"))
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in [*opened, *closed]:
        key = (row["month"], row["team"], row["case_type"])
        merged.setdefault(
            key,
            {
                "month": row["month"],
                "team": row["team"],
                "case_type": row["case_type"],
                "opened": 0,
                "closed": 0,
            },
        )
        merged[key].update({k: v for k, v in row.items() if k in ("opened", "closed")})
    table = Table(
        "Cases opened and closed",
        ["Month", "Team", "Case type", "Opened", "Closed"],
        note="Opened counts cases by the month they were submitted; closed, by the month of their last close.",
    )
    for key in sorted(merged):
        row = merged[key]
        table.rows.append(
            [
                Cell(month_label(row["month"]), value=row["month"]),
                Cell(Team(row["team"]).label),
                Cell(CaseType(row["case_type"]).label),
                linked(row, "opened", scope, columns),
                linked(row, "closed", scope, columns),
            ]
        )
    return [table]


def _sla(user: User, scope: ReportScope) -> list[Table]:
    columns = ["priority"]
    rows = Figures(user, scope, "created_at", columns).rows(answered=count("answered"), met=count("met"))
    table = Table(
        "First response within the SLA target",
        ["Month opened", "Priority", "Met %", "Met", "Answered"],
        note="Cases by the month they were submitted; those not yet answered are not counted.",
    )
    for row in rows:
        if not row["answered"]:
            continue
        table.rows.append(
            [
                Cell(month_label(row["month"]), value=row["month"]),
                Cell(Priority(row["priority"]).label),
                percent(row["met"], row["answered"], drilldown_url("met", scope, group_params(row, columns))),
                linked(row, "met", scope, columns),
                linked(row, "answered", scope, columns),
            ]
        )
    return [table]


def _timing_aggregates(prefix: str, measure: str, column: str) -> dict[str, Any]:
    condition = MEASURES[measure].condition
    return {
        measure: count(measure),
        f"{prefix}_median": PercentileCont(column, 0.5, filter=condition),
        f"{prefix}_p90": PercentileCont(column, 0.9, filter=condition),
    }


def _times(user: User, scope: ReportScope) -> list[Table]:
    columns = ["priority"]
    tables = []
    for prefix, measure, column, moment, title, month_title in (
        (
            "fr",
            "responded_timed",
            "first_response_business_seconds",
            "created_at",
            "Business hours to first response",
            "Month opened",
        ),
        (
            "res",
            "resolved_timed",
            "resolution_business_seconds",
            "closed_at",
            "Business hours to resolution",
            "Month closed",
        ),
    ):
        rows = Figures(user, scope, moment, columns).rows(**_timing_aggregates(prefix, measure, column))
        table = Table(title, [month_title, "Priority", "Median hours", "90th percentile hours", "Cases"])
        for row in rows:
            if not row[measure]:
                continue
            table.rows.append(
                [
                    Cell(month_label(row["month"]), value=row["month"]),
                    Cell(Priority(row["priority"]).label),
                    hours(row[f"{prefix}_median"]),
                    hours(row[f"{prefix}_p90"]),
                    linked(row, measure, scope, columns),
                ]
            )
        tables.append(table)
    tables[
        0
    ].note = "Business hours count Monday\u2013Friday, 6 a.m.\u20136 p.m. Central, as stored when the case was answered."
    tables[1].note = "From submission to the last close, as stored when the case was closed."
    return tables


def _escalation(user: User, scope: ReportScope) -> list[Table]:
    rows = Figures(user, scope, "closed_at", []).rows(
        closed=count("closed"), unescalated=count("unescalated")
    )
    table = Table(
        "Closed without escalation",
        ["Month closed", "Without escalation %", "Vendor figure", "Without escalation", "Closed"],
        note=f"A case counts as escalated once an advisor escalated it to another team. The vendor's figure is "
        f"about {VENDOR_UNESCALATED_SHARE} %.",
    )
    for row in rows:
        table.rows.append(
            [
                Cell(month_label(row["month"]), value=row["month"]),
                percent(
                    row["unescalated"],
                    row["closed"],
                    drilldown_url("unescalated", scope, group_params(row, [])),
                ),
                Cell(f"{VENDOR_UNESCALATED_SHARE} %", value=VENDOR_UNESCALATED_SHARE),
                linked(row, "unescalated", scope, []),
                linked(row, "closed", scope, []),
            ]
        )
    return [table]


def _advisors(user: User, scope: ReportScope) -> list[Table]:
    columns = ["assigned_to"]
    by_opened = Figures(user, scope, "created_at", columns, by_month=False).rows(
        opened=count("opened"),
        answered=count("answered"),
        met=count("met"),
        **_timing_aggregates("fr", "responded_timed", "first_response_business_seconds"),
    )
    by_closed = Figures(user, scope, "closed_at", columns, by_month=False).rows(
        closed=count("closed"),
        unescalated=count("unescalated"),
        **_timing_aggregates("res", "resolved_timed", "resolution_business_seconds"),
    )
    merged: dict[int | None, dict[str, Any]] = {}
    empty = {
        "opened": 0,
        "answered": 0,
        "met": 0,
        "responded_timed": 0,
        "fr_median": None,
        "fr_p90": None,
        "closed": 0,
        "unescalated": 0,
        "resolved_timed": 0,
        "res_median": None,
        "res_p90": None,
    }
    for row in [*by_opened, *by_closed]:
        merged.setdefault(row["assigned_to"], {**empty, "assigned_to": row["assigned_to"]}).update(row)
    names = {
        person.pk: person.get_full_name() or person.email
        for person in User.objects.filter(pk__in=[pk for pk in merged if pk is not None]).only(
            "first_name", "last_name", "email"
        )
    }
    table = Table(
        "Per advisor",
        [
            "Advisor",
            "Opened",
            "Closed",
            "SLA met %",
            "Met",
            "Answered",
            "Median hours to first response",
            "Median hours to resolution",
            "Without escalation %",
            "Without escalation",
        ],
        note="By the advisor the case is assigned to now. Opened and first-response figures count cases submitted "
        "in the period; closed, resolution and escalation figures, cases closed in it.",
    )
    ordered = sorted(
        merged.values(), key=lambda row: (row["assigned_to"] is None, names.get(row["assigned_to"], ""))
    )
    for row in ordered:
        params = group_params(row, columns)
        table.rows.append(
            [
                Cell(names.get(row["assigned_to"], "Unassigned")),
                linked(row, "opened", scope, columns),
                linked(row, "closed", scope, columns),
                percent(row["met"], row["answered"], drilldown_url("met", scope, params)),
                linked(row, "met", scope, columns),
                linked(row, "answered", scope, columns),
                hours(row["fr_median"]),
                hours(row["res_median"]),
                percent(row["unescalated"], row["closed"], drilldown_url("unescalated", scope, params)),
                linked(row, "unescalated", scope, columns),
            ]
        )
    return [table]


BUILDERS = {
    "volume": _volume,
    "sla": _sla,
    "times": _times,
    "escalation": _escalation,
    "advisors": _advisors,
}


def csv_rows(tables: list[Table]) -> Iterator[list[Any]]:
    """Each table under its title, its header, then its values (numbers unformatted)."""
    for index, table in enumerate(tables):
        if index:
            yield []
        if len(tables) > 1:
            yield [table.title]
        yield table.columns
        for row in table.rows:
            yield [cell.value for cell in row]
