"""Surveys in the admin: the satisfaction report (``surveys/surveyresponse/report/``), the responses (each
figure of the report links to a filtered list of them), the surveys the job decided, and the opt-outs.

Everything is read-only: rows are written by ``surveys.services`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import date
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from cases.admin.reports import ReportDrilldownFilter
from cases.selectors.reports import default_scope, month_label
from contacts.access import is_advisor
from surveys import reports
from surveys.models import Survey, SurveyOptOut, SurveyResponse


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class FigureFilter(ReportDrilldownFilter):
    """Takes a report figure's address and lists exactly the responses it counts; draws nothing."""

    parameters = reports.DRILLDOWN_PARAMS
    condition = staticmethod(reports.drilldown_condition)


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The end date must not be before the start date.")
        return data


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    list_display = [
        "submitted_at",
        "case_link",
        "overall",
        "courtesy",
        "knowledge",
        "timeliness",
        "quality",
        "advisor",
    ]
    list_filter = [FigureFilter]
    change_list_template = "admin/surveys/surveyresponse/change_list.html"
    list_select_related = ["survey__case", "survey__advisor"]
    fields = readonly_fields = (
        "case_link",
        "courtesy",
        "knowledge",
        "timeliness",
        "quality",
        "overall",
        "comment",
        "submitted_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[SurveyResponse]:
        return reports.responses_visible_to(request.user)  # type: ignore[arg-type]

    @admin.display(description="Case")
    def case_link(self, obj: SurveyResponse) -> str:
        case = obj.survey.case
        return format_html(
            '<a href="{}">#{}</a>', reverse("admin:cases_case_change", args=[case.pk]), case.number
        )

    @admin.display(description="Advisor")
    def advisor(self, obj: SurveyResponse) -> str:
        advisor = obj.survey.advisor
        return (advisor.get_full_name() or advisor.email) if advisor else "Unassigned"

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "report/", self.admin_site.admin_view(self.report_view), name="surveys_surveyresponse_report"
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = dict(extra_context or {})
        if "r_from" in request.GET:
            with suppress(KeyError, ValueError):
                context["title"] = figure_title(request.GET.dict())
        return super().changelist_view(request, extra_context=context)

    def report_view(self, request: HttpRequest) -> HttpResponse:
        if not is_advisor(request.user):
            raise PermissionDenied("Only a support advisor can read the reports.")
        default = default_scope(timezone.localdate())
        bound = any(name in request.GET for name in PeriodForm.base_fields)
        form = PeriodForm(
            request.GET if bound else None, initial={"start": default.start, "end": default.end}
        )
        period = reports.Period(default.start, default.end)
        status = 200
        if bound:
            if form.is_valid():
                period = reports.Period(form.cleaned_data["start"], form.cleaned_data["end"])
            else:
                status = 400
        user = request.user
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Customer satisfaction",
            "form": form,
            "goal": reports.GOAL,
            "tables": reports.build(user, period) if status == 200 else [],  # type: ignore[arg-type]
            "follow_ups": reports.follow_ups(user, period) if status == 200 else [],  # type: ignore[arg-type]
        }
        return TemplateResponse(request, "admin/surveys/report.html", context, status=status)


def figure_title(params: Mapping[str, str]) -> str:
    start, end = date.fromisoformat(params["r_from"]), date.fromisoformat(params["r_to"])
    parts = ["Satisfied responses" if params.get("r_satisfied") == "1" else "Responses"]
    if month := params.get("r_month"):
        parts.append(month_label(month))
    if team := params.get("r_team"):
        parts.append(str(dict(Survey._meta.get_field("team").choices or []).get(team, team)))
    return f"Report: {' \u00b7 '.join(parts)} ({start:%-d %b %Y} \u2013 {end:%-d %b %Y})"


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    list_display = ["case", "contact", "state", "skip_reason", "closed_at", "sent_at"]
    list_filter = ["state", "skip_reason"]
    list_select_related = ["case", "contact"]
    fields = readonly_fields = (
        "case",
        "contact",
        "team",
        "advisor",
        "state",
        "skip_reason",
        "closed_at",
        "decided_at",
        "sent_at",
        "expires_at",
    )
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Survey]:
        from cases.models import Case

        return super().get_queryset(request).filter(case__in=Case.objects.visible_to(request.user))


@admin.register(SurveyOptOut)
class SurveyOptOutAdmin(ReadOnlyAdmin):
    list_display = ["user", "created_at", "via"]
    list_select_related = ["user"]
    fields = readonly_fields = ("user", "created_at", "via", "survey")
