"""The advisors' report pages in the admin (``cases/case/reports/<report>/``), their CSV export, and the case
list's drill-down filter (``?report=<measure>&…``) that lists the cases behind a figure.

The figures and their drill-down conditions are defined together in ``cases.selectors.reports``."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from contextlib import suppress
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from cases.casetypes import CaseType, Team
from cases.selectors import reports
from contacts.access import is_advisor
from contacts.models import User


class ReportDrilldownFilter(admin.ListFilter):
    """Takes a report figure's address (``report``, its scope and group) and lists exactly the rows it counts.
    Draws nothing in the sidebar: the figure's link is the way in. A report of other rows (the surveys')
    subclasses it with its own parameters and condition."""

    title = "report figure"
    template = "admin/cases/case/no_filter.html"
    parameters: tuple[str, ...] = reports.DRILLDOWN_PARAMS
    condition = staticmethod(reports.drilldown_condition)

    def __init__(self, request: HttpRequest, params: dict[str, Any], model: Any, model_admin: Any) -> None:
        super().__init__(request, params, model, model_admin)
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                self.used_parameters[name] = value[-1] if isinstance(value, list) else value

    def has_output(self) -> bool:
        return True

    def choices(self, changelist: Any) -> Iterator[Mapping[str, object]]:
        return iter(())

    def expected_parameters(self) -> list[str | None]:
        return list(self.parameters)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.used_parameters:
            return queryset
        try:
            return queryset.filter(self.condition({k: str(v) for k, v in self.used_parameters.items()}))
        except (KeyError, ValueError) as error:
            raise IncorrectLookupParameters("Not a report figure's address.") from error


class ReportScopeForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.ChoiceField(label="Team", required=False, choices=[("", "All teams"), *Team.choices])
    case_type = forms.ChoiceField(
        label="Case type", required=False, choices=[("", "All case types"), *CaseType.choices]
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The end date must not be before the start date.")
        return data


class Echo:
    """A file-like object whose write returns the line, for a streaming CSV response."""

    def write(self, value: str) -> str:
        return value


class ReportsMixin(admin.ModelAdmin):
    """Report pages under the case admin: ``reports/<slug>/`` and ``?format=csv`` for the export."""

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "reports/<slug:report>/",
                self.admin_site.admin_view(self.report_view),
                name="cases_case_report",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # A figure's drill-down says which figure the list shows, in place of the list's own title.
        context = dict(extra_context or {})
        if "report" in request.GET:
            # An address that is no figure's is refused by the filter, and the admin shows the whole list.
            with suppress(KeyError, ValueError):
                context["title"] = reports.drilldown_title(request.GET.dict())
        return super().changelist_view(request, extra_context=context)

    def report_view(self, request: HttpRequest, report: str) -> HttpResponseBase:
        # Reports are the advisors': a staff account without the role gets a 403 like any work page.
        if not is_advisor(request.user):
            raise PermissionDenied("Only a support advisor can read the reports.")
        spec = reports.REPORTS.get(report)
        if spec is None:
            raise Http404("No such report.")
        default = reports.default_scope(timezone.localdate())
        bound = any(name in request.GET for name in ReportScopeForm.base_fields)
        initial = {"start": default.start, "end": default.end, "team": "", "case_type": ""}
        form = ReportScopeForm(request.GET if bound else None, initial=initial)
        scope = default
        status = 200
        if bound:
            if form.is_valid():
                data = form.cleaned_data
                scope = reports.ReportScope(data["start"], data["end"], data["team"], data["case_type"])
            else:
                status = 400
        user: User = request.user  # type: ignore[assignment]
        tables = reports.build(report, user, scope) if status == 200 else []
        if request.GET.get("format") == "csv" and status == 200:
            writer = csv.writer(Echo())
            response = StreamingHttpResponse(
                (writer.writerow(row) for row in reports.csv_rows(tables)),
                content_type="text/csv; charset=utf-8",
            )
            name = f"report-{report}-{scope.start.isoformat()}-{scope.end.isoformat()}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        query = request.GET.copy()
        query["format"] = "csv"
        for name, value in {
            "start": scope.start.isoformat(),
            "end": scope.end.isoformat(),
            "team": scope.team,
            "case_type": scope.case_type,
        }.items():
            query[name] = value
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": spec.title,
            "spec": spec,
            "reports": [
                {
                    "spec": other,
                    "href": reverse("admin:cases_case_report", args=[other.slug]),
                    "current": other == spec,
                }
                for other in reports.REPORTS.values()
            ],
            "form": form,
            "tables": tables,
            "csv_href": "?" + query.urlencode(),
        }
        return TemplateResponse(request, "admin/cases/reports/report.html", context, status=status)
