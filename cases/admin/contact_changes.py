"""Applying a Modify Support Contacts case from the workbench: the preview page.

``<case>/contact-changes/`` shows the change the case asks for as a form the advisor can correct (what to do,
the contact concerned, the new person's name and address, the role, the areas of responsibility) and, next
to it, exactly what applying it will do to the district's memberships. "Update the preview" recomputes the
steps from the typed values; "Apply" carries them out in one transaction (``contact_change_apply``), provided
they are still the steps shown. A refusal shows the page again with the typed values and the reason.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from cases.admin.work import _advisor, _case
from cases.casetypes import AREAS, CaseType
from cases.models import Case
from cases.services.contact_changes import (
    REQUESTS,
    ContactChange,
    Plan,
    PlanChanged,
    applied_event,
    contact_change_apply,
    district_memberships,
    plan_change,
    proposed_change,
)
from cases.workflow import Status
from contacts.models import Role
from portal.forms import add_service_errors
from portal.validators import single_line


class ContactChangeForm(forms.Form):
    request = forms.ChoiceField(label="What to do", choices=REQUESTS)
    target = forms.TypedChoiceField(
        label="The contact modified, replaced or removed",
        coerce=int,
        required=False,
        empty_value=None,
        help_text="Found by the name or e-mail the district gave; choose another if it is the wrong person.",
    )
    first_name = forms.CharField(
        label="New contact's first name", max_length=150, required=False, validators=[single_line]
    )
    last_name = forms.CharField(
        label="New contact's last name", max_length=150, required=False, validators=[single_line]
    )
    email = forms.EmailField(label="New contact's e-mail", max_length=254, required=False)
    title = forms.CharField(label="Title", max_length=150, required=False, validators=[single_line])
    phone = forms.CharField(label="Phone", max_length=40, required=False, validators=[single_line])
    role = forms.ChoiceField(label="Role", choices=(("", "Choose…"), *Role.choices), required=False)
    areas = forms.MultipleChoiceField(
        label="Areas of responsibility", choices=AREAS, widget=forms.CheckboxSelectMultiple, required=False
    )
    shown = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["target"])
        field.choices = [
            ("", "Nobody (adding a contact)"),
            *(
                (
                    m.pk,
                    f"{m.user.get_full_name() or m.user.email} ({m.user.email}), {m.get_role_display()}"
                    + ("" if m.is_active else ", switched off"),
                )
                for m in district_memberships(case.district)
            ),
        ]

    def change(self) -> ContactChange:
        data = self.cleaned_data
        return ContactChange(
            request=data["request"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            title=data["title"],
            phone=data["phone"],
            role=data["role"],
            areas=tuple(data["areas"]),
            target=data["target"],
        )


def _initial(change: ContactChange) -> dict[str, Any]:
    return {
        "request": change.request,
        "target": change.target,
        "first_name": change.first_name,
        "last_name": change.last_name,
        "email": change.email,
        "title": change.title,
        "phone": change.phone,
        "role": change.role,
        "areas": list(change.areas),
    }


class ContactChangesMixin(admin.ModelAdmin):
    def get_urls(self) -> list[URLPattern]:
        page = path(
            "<path:object_id>/contact-changes/",
            self.admin_site.admin_view(self.contact_changes_view),
            name="cases_case_contact_changes",
        )
        return [page, *super().get_urls()]

    def contact_changes_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        advisor = _advisor(request)
        case = _case(advisor, object_id)
        if case.case_type != CaseType.MODIFY_CONTACTS:
            raise Http404("Only a Modify Support Contacts case changes a district's contacts.")
        done = applied_event(case)
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponse(status=405, headers={"Allow": "GET, POST"})
        if request.method != "POST" or done is not None:
            proposed = proposed_change(case)
            plan = plan_change(case, proposed)
            form = ContactChangeForm(initial={**_initial(proposed), "shown": plan.digest}, case=case)
            status = 200 if request.method != "POST" else 400
            if done is not None and request.method == "POST":
                form.add_error(None, "This change was already applied.")
            return self._render_preview(request, case, form, plan, done=done, status=status)

        form = ContactChangeForm(data=request.POST, case=case)
        if not form.is_valid():
            return self._render_preview(request, case, form, Plan(), status=400)
        change = form.change()
        if "apply" not in request.POST:
            plan = plan_change(case, change)
            for name, message in plan.errors.items():
                form.add_error(name if name in form.fields else None, message)
            return self._render_preview(request, case, _shown(form, plan), plan, status=200)
        try:
            contact_change_apply(actor=advisor, case=case, change=change, shown=form.cleaned_data["shown"])
        except PlanChanged as changed:
            form.add_error(None, str(changed))
            return self._render_preview(request, case, _shown(form, changed.plan), changed.plan, status=400)
        except ValidationError as error:
            add_service_errors(form, error, {})
            plan = plan_change(case, change)
            return self._render_preview(request, case, _shown(form, plan), plan, status=400)
        messages.success(request, f"Contact change applied to {case.district.name}.")
        return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.pk]) + "#contact-changes")

    def _render_preview(
        self,
        request: HttpRequest,
        case: Case,
        form: ContactChangeForm,
        plan: Plan,
        *,
        done: Any = None,
        status: int = 200,
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Apply the contact change of case #{case.number}",
            "case": case,
            "form": form,
            "plan": plan,
            "done": done,
            "closed": case.status == Status.CLOSED,
            "memberships": district_memberships(case.district),
            "details": case.type_spec.display_details(case.details or {}),
        }
        return TemplateResponse(request, "admin/cases/case/contact_changes.html", context, status=status)


def _shown(form: ContactChangeForm, plan: Plan) -> ContactChangeForm:
    """The form as typed, now vouching for the plan shown beside it: "Apply" carries out these steps."""
    data = cast(QueryDict, form.data).copy()
    data["shown"] = plan.digest
    form.data = data
    return form
