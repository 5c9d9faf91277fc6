"""Opening a case from the workbench (SPEC §1, §3.6): an advisor files a case on behalf of one of a district's
authorized contacts, or in an emergency for an unauthorized caller (name and phone stored on the case); and
transfers a caller's case to an authorized contact from its work page.

The page has two steps: the district and the case type first (``open/``), then that type's form for that
district (``open/?district=<pk>&type=<key>``), the portal's submission form with the caller's fields added.
Both the case and the transfer go through the services (``case_submit``, ``case_transfer``); a refusal shows
the form again with the typed values and the reason, and writes nothing.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from cases.admin.work_forms import SeenForm
from cases.casetypes import CASE_TYPES, CaseType, CaseTypeSpec
from cases.forms import CaseForm, ContactChoiceField
from cases.models import Case, Category
from cases.services import case_submit, case_transfer, submitted_with_token
from cases.services.submission import CALLER_NAME_MAX, CALLER_PHONE_MAX, caller_errors
from cases.services.transfer import contact_refusal
from contacts.access import is_advisor
from contacts.models import District, User
from contacts.selectors import authorized_contacts
from portal.forms import add_service_errors
from portal.validators import single_line

CALLER_CHOICE = "Nobody: an unauthorized caller (emergency; name and phone below)"


class ChooseForm(forms.Form):
    """The first step: which district the case is for and what kind of case it is."""

    district = forms.ModelChoiceField(
        queryset=District.objects.filter(is_active=True).order_by("name"),
        label="District",
        empty_label="Choose a district…",
    )
    type = forms.ChoiceField(label="Case type", choices=[("", "Choose a case type…"), *CaseType.choices])


class OpenCaseForm(CaseForm):
    """The portal's submission form for one district, with the Contact optional: left empty, the case is for
    an unauthorized caller, whose name and phone are then required."""

    def __init__(self, *args: Any, spec: CaseTypeSpec, district: District, **kwargs: Any) -> None:
        super().__init__(*args, spec=spec, districts=[district], **kwargs)
        self.district = district
        self.fields["district"].widget = forms.HiddenInput()
        contact = cast(ContactChoiceField, self.fields["contact"])
        # Any account is read here, so that a read-only or foreign contact sent by hand is refused by name
        # (``clean``) rather than as an unknown choice; the list offers the district's authorized contacts.
        contact.queryset = User.objects.all()
        contact.required = False
        contact.choices = [("", CALLER_CHOICE), *self.contact_options[district.pk]]
        contact.help_text = (
            "The authorized contact the case is for: they own it and are e-mailed. Choose Nobody for a caller who "
            "is not an authorized contact; transfer the case to a contact later from its work page."
        )
        self.fields["caller_name"] = forms.CharField(
            label="Caller's name",
            required=False,
            max_length=CALLER_NAME_MAX,
            validators=[single_line],
            help_text="Required when the case is for a caller. Shown to advisors and to the district's contacts.",
        )
        self.fields["caller_phone"] = forms.CharField(
            label="Caller's phone",
            required=False,
            max_length=CALLER_PHONE_MAX,
            validators=[single_line],
            help_text="Required when the case is for a caller. Shown to advisors only.",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = self.cleaned_data
        contact = cleaned.get("contact")
        if contact is not None and (refusal := contact_refusal(self.district, contact)):
            self.add_error("contact", refusal)
        elif contact is None and "contact" not in self.errors:
            name, phone = cleaned.get("caller_name", "").strip(), cleaned.get("caller_phone", "").strip()
            for field, message in caller_errors(name, phone).items():
                if field not in self.errors:
                    self.add_error(field, message)
        return super().clean()

    def caller_fields(self) -> list[forms.BoundField]:
        return [self["caller_name"], self["caller_phone"]]


class TransferForm(SeenForm):
    """The work page's transfer card: one of the district's authorized contacts (the service decides)."""

    contact = ContactChoiceField(
        queryset=User.objects.all(),
        label="Authorized contact",
        empty_label="Choose a contact…",
        help_text="They become the case's contact, receive its e-mails and are told by e-mail now.",
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(ContactChoiceField, self.fields["contact"])
        # The list offers who may own the case; anyone else sent by hand is refused by the service, by name.
        field.choices = [("", "Choose a contact…")] + [
            (person.pk, field.label_from_instance(person))
            for person in authorized_contacts(case.district)
            if person.pk != case.contact_id
        ]


def offers_transfer(case: Case) -> bool:
    """The work page offers the transfer for a case phoned in by a caller: without a contact yet, or
    transferred already and to be handed to another contact."""
    return case.contact_id is None or bool(case.caller_name)


def transfer(advisor: User, case: Case, form: TransferForm) -> str:
    contact = form.cleaned_data["contact"]
    case_transfer(actor=advisor, case=case, contact=contact)
    name = contact.get_full_name() or contact.email
    return f"Case #{case.number} transferred to {name}, who was told by e-mail."


class OpeningMixin(admin.ModelAdmin):
    """``open/``: the page that opens a case for a contact or a caller."""

    def get_urls(self) -> list[URLPattern]:
        opening = path("open/", self.admin_site.admin_view(self.open_case_view), name="cases_case_open")
        return [opening, *super().get_urls()]

    def open_case_view(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        advisor = _advisor(request)
        choose = ChooseForm(request.GET if request.GET else None)
        if not choose.is_valid():
            if request.method == "POST":
                raise Http404("Choose a district and a case type first.")
            return self._render_open(request, choose=choose)
        district: District = choose.cleaned_data["district"]
        spec = CASE_TYPES[CaseType(choose.cleaned_data["type"])]
        initial = {"district": district, "contact": None}
        form = OpenCaseForm(request.POST or None, spec=spec, district=district, initial=initial)
        if request.method == "POST":
            earlier = submitted_with_token(advisor, _token(form))
            if earlier is not None:
                messages.info(
                    request,
                    f"This form was already submitted as case #{earlier.number}; nothing new was filed.",
                )
                return HttpResponseRedirect(reverse("admin:cases_case_change", args=[earlier.pk]))
            if form.is_valid():
                data = form.cleaned_data
                try:
                    case = case_submit(
                        submitter=advisor,
                        district=district,
                        contact=data["contact"],
                        case_type=spec.key,
                        priority=form.priority_fixed or data["priority"],
                        subject=data["subject"],
                        description=data["description"],
                        module=data.get("module"),
                        details=form.detail_values(),
                        category=Category.ADMIN,
                        client_token=data.get("token"),
                        caller_name=data["caller_name"] if data["contact"] is None else "",
                        caller_phone=data["caller_phone"] if data["contact"] is None else "",
                    )
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    messages.success(request, _opened_message(case))
                    return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.pk]))
        return self._render_open(
            request,
            choose=choose,
            form=form,
            spec=spec,
            district=district,
            status=400 if form.errors else 200,
        )

    def _render_open(
        self,
        request: HttpRequest,
        *,
        choose: ChooseForm,
        form: OpenCaseForm | None = None,
        spec: CaseTypeSpec | None = None,
        district: District | None = None,
        status: int = 200,
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Open a case" if spec is None else f"Open a case: {spec.label}",
            "choose": choose,
            "form": form,
            "spec": spec,
            "district": district,
        }
        return TemplateResponse(request, "admin/cases/case/open.html", context, status=status)


def _advisor(request: HttpRequest) -> User:
    """Only an advisor opens cases here; a staff account without the role sees no district data (403)."""
    user = request.user
    if not is_advisor(user):
        raise PermissionDenied("Only a support advisor can open cases.")
    return cast(User, user)


def _token(form: OpenCaseForm) -> Any:
    field = form.fields["token"]
    try:
        return field.clean(form.data.get("token"))
    except ValidationError:
        return None


def _opened_message(case: Case) -> str:
    if case.contact is None:
        return (
            f"Case #{case.number} opened for {case.caller_name}. The district's contacts see it; transfer it to an "
            "authorized contact when one takes it over."
        )
    name = case.contact.get_full_name() or case.contact.email
    return f"Case #{case.number} opened on behalf of {name}, who was e-mailed."


__all__ = ["OpeningMixin", "TransferForm", "offers_transfer", "transfer"]
