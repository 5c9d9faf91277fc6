"""The development issue's admin pages (SPEC §3.4): its linked cases, "add cases by number", and marking it
fixed in a release (a preview first, then the fan-out); and the case work page's "Link to a development issue".

Every write goes through ``cases.services.devissues``; a refusal shows the page again with the typed values
and the reason, and writes nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from cases.admin.work_forms import SeenForm
from cases.models import Case, DevIssue
from cases.selectors.devissues import linked_cases, release_preview
from cases.services.devissues import (
    case_link_dev_issue,
    dev_issue_link_cases,
    dev_issue_release,
    parse_case_numbers,
    release_name_clean,
)
from contacts.access import is_advisor
from contacts.models import User
from portal.forms import add_service_errors


class LinkIssueForm(SeenForm):
    """The work page's "Link to a development issue": an open issue chosen by its number."""

    issue = forms.CharField(
        label="Development issue to link",
        max_length=40,
        help_text="An open issue already recorded, for example DEV-48213. The district is told.",
        widget=forms.TextInput(attrs={"list": "dev-issue-open-numbers", "autocomplete": "off"}),
    )

    def clean_issue(self) -> DevIssue:
        number = self.cleaned_data["issue"].strip().upper()
        issue = DevIssue.objects.select_related("fixed_in").filter(number=number).first()
        if issue is None:
            raise forms.ValidationError(
                f"No development issue {number} is recorded. Record it under Development issues first."
            )
        return issue


def link_issue_action(advisor: User, case: Case, form: LinkIssueForm) -> str:
    issue: DevIssue = form.cleaned_data["issue"]
    if not case_link_dev_issue(actor=advisor, case=case, issue=issue):
        return f"Case #{case.number} is already linked to {issue.number}; nothing changed."
    return f"Case #{case.number} linked to {issue.number} and set to Assigned to Development; the district was told."


class LinkCasesForm(forms.Form):
    numbers = forms.CharField(
        label="Case numbers",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One or more case numbers, separated by commas or spaces. Each open case moves to Assigned "
        "to Development and its district is told.",
    )


class ReleaseForm(forms.Form):
    release_name = forms.CharField(
        label="Fixed in release", max_length=200, help_text="For example 2026.11 Release Pack."
    )

    def clean_release_name(self) -> str:
        try:
            return release_name_clean(self.cleaned_data["release_name"])
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["release_name"]) from None


def _advisor(request: HttpRequest) -> User:
    if not is_advisor(request.user):
        raise PermissionDenied("Only a support advisor can work development issues.")
    return request.user  # type: ignore[return-value]


class DevIssuePagesMixin(admin.ModelAdmin):
    """``<id>/link/`` (add cases by number) and ``<id>/release/`` (preview, then the fan-out)."""

    change_form_template = "admin/cases/devissue/change_form.html"

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/link/",
                self.admin_site.admin_view(self.link_view),
                name="cases_devissue_link",
            ),
            path(
                "<path:object_id>/release/",
                self.admin_site.admin_view(self.release_view),
                name="cases_devissue_release",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        issue = self._issue(object_id)
        if is_advisor(request.user):
            extra["linked_cases"] = linked_cases(request.user, issue)  # type: ignore[arg-type]
        return super().change_view(request, object_id, form_url, extra)

    def _issue(self, object_id: str) -> DevIssue:
        try:
            return DevIssue.objects.select_related("fixed_in", "product_area").get(pk=int(object_id))
        except (DevIssue.DoesNotExist, ValueError):
            raise Http404("No such development issue.") from None

    def _context(self, request: HttpRequest, issue: DevIssue, title: str, **more: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "issue": issue,
            "title": title,
            "change_url": reverse("admin:cases_devissue_change", args=[issue.pk]),
            **more,
        }

    def link_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        advisor = _advisor(request)
        issue = self._issue(object_id)
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        form = LinkCasesForm(request.POST if request.method == "POST" else None)
        result = None
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    numbers = parse_case_numbers(form.cleaned_data["numbers"])
                    result = dev_issue_link_cases(actor=advisor, issue=issue, numbers=numbers)
                except ValidationError as error:
                    add_service_errors(form, error, {})
                    status = 400
                else:
                    form = LinkCasesForm()
            else:
                status = 400
        context = self._context(
            request,
            issue,
            f"Add cases to {issue.number}",
            form=form,
            result=result,
            cases=linked_cases(advisor, issue),
        )
        return TemplateResponse(request, "admin/cases/devissue/link.html", context, status=status)

    def release_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        advisor = _advisor(request)
        issue = self._issue(object_id)
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        data = request.POST if request.method == "POST" else request.GET
        initial = {"release_name": issue.fixed_in.name} if issue.fixed_in else None
        form = ReleaseForm(data if "release_name" in data else None, initial=initial)
        preview = report = None
        status = 200
        if form.is_bound and form.is_valid():
            name = form.cleaned_data["release_name"]
            if request.method == "POST":
                try:
                    report = dev_issue_release(actor=advisor, issue=issue, release_name=name)
                except ValidationError as error:
                    add_service_errors(form, error, {})
                    status = 400
            if report is None and not form.errors:
                preview = release_preview(advisor, issue, name)
                if preview.nothing_open and request.method != "POST":
                    form.add_error(
                        "release_name", f"No open case is linked to {issue.number}: there is nothing to move."
                    )
                    preview = None
        elif form.is_bound:
            status = 400
        context = self._context(
            request,
            issue,
            f"Mark {issue.number} fixed in a release",
            form=form,
            preview=preview,
            report=report,
        )
        return TemplateResponse(request, "admin/cases/devissue/release.html", context, status=status)
