"""The submission form, built from a case type's declaration (``cases.casetypes``): one form for ten types."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.html import linebreaks

from cases import attachments as attachment_files
from cases.casetypes import CaseTypeSpec, clean_details
from cases.models import PRIORITY_HELP, Module, Priority
from cases.services import CRITICAL_ONLY_FOR_OUTAGES
from contacts.models import District, User
from contacts.selectors import authorized_memberships
from notifications.models import Notification
from portal.validators import single_line

# Tooltips of the fields every type shares (seed 002, "Case Fields").
ACCOUNT_HELP = (
    "The school district reporting the issue. It defaults to the district you last worked in; contacts of "
    "several districts choose the right one here."
)
CONTACT_HELP = (
    "The contact reporting the issue. It defaults to you; you may submit on behalf of another authorized contact "
    "of the district."
)
SUBJECT_HELP = (
    "The topic of the case; it may name the issue and the module affected. Make it brief and specific: it routes "
    "the case and helps your district find it later."
)
DESCRIPTION_HELP = (
    "Details of the issue: who, what, where, when, why and how. The more you tell us, the faster we can qualify "
    "and resolve it."
)
INCIDENT_HELP = (
    "If your district sees the same symptoms as the open incident, link the case to it: support then knows how "
    "many districts are affected, and no phone call is needed."
)
MODULE_HELP = "The product area, in alphabetical order. If yours is not listed, choose Not Applicable."


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name()} ({obj.email})"


class CaseForm(forms.Form):
    """District, Contact, Priority, Subject, Description, then the type's own fields."""

    def __init__(
        self,
        *args: Any,
        spec: CaseTypeSpec,
        districts: Sequence[District],
        incidents: Mapping[int, Sequence[Notification]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec
        self.incidents_by_district = incidents or {}
        # New on every form load and sent back with the form: one case per form load (cases.services.case_submit).
        self.fields["token"] = forms.UUIDField(required=False, widget=forms.HiddenInput)
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4())
        district_ids = [d.pk for d in districts]
        self.fields["district"] = forms.ModelChoiceField(
            queryset=District.objects.filter(pk__in=district_ids),
            label="Account (district)",
            help_text=ACCOUNT_HELP,
            empty_label=None,
        )
        memberships = (
            authorized_memberships(district_ids)
            .select_related("user", "district")
            .order_by("district__name", "user__last_name", "user__first_name")
        )
        # The Contact field offers the authorized contacts of the chosen district only (``contact_options``
        # holds every district's, for the page's script to swap when the district changes); ``clean`` refuses
        # anyone else by name.
        self.contact_options: dict[int, list[tuple[int, str]]] = {pk: [] for pk in district_ids}
        user_ids = set()
        for m in memberships:
            self.contact_options[m.district_id].append(
                (m.user_id, f"{m.user.get_full_name()} ({m.user.email})")
            )
            user_ids.add(m.user_id)
        self.contacts_by_district: dict[int, set[int]] = {
            pk: {user_id for user_id, _label in options} for pk, options in self.contact_options.items()
        }
        contact_field = ContactChoiceField(
            queryset=User.objects.filter(pk__in=user_ids),
            label="Contact",
            help_text=CONTACT_HELP,
            empty_label=None,
        )
        chosen = self._chosen_district(district_ids)
        contact_field.choices = self.contact_options[chosen] if chosen is not None else []
        self.fields["contact"] = contact_field
        self.priority_fixed: Priority | None = Priority.CRITICAL if spec.outage else None
        if not spec.outage:
            self.fields["priority"] = forms.TypedChoiceField(
                choices=[(p.value, p.label) for p in Priority],
                coerce=int,
                initial=Priority.MEDIUM,
                label="Priority",
                help_text="How urgent the issue is.",
                widget=forms.RadioSelect,
            )
            self.fields["priority"].widget.choices = [
                (p.value, f"{p.label}: {PRIORITY_HELP[p]}") for p in Priority if p != Priority.CRITICAL
            ]
        self.fields["subject"] = forms.CharField(
            max_length=255, label="Subject", help_text=SUBJECT_HELP, validators=[single_line]
        )
        self.fields["description"] = forms.CharField(
            max_length=20000,
            label="Description",
            help_text=DESCRIPTION_HELP,
            widget=forms.Textarea(attrs={"rows": 8}),
        )
        if spec.uses_module:
            self.fields["module"] = forms.ModelChoiceField(
                queryset=Module.objects.active(),
                required=spec.module_required,
                label="Module",
                help_text=MODULE_HELP,
                empty_label="Choose a module…",
            )
        for detail in spec.details:
            self.fields[detail.name] = detail.form_field()
        # SPEC §2: while an incident is open for the district, the contact may link the case to it.
        self.open_incidents = list(self.incidents_by_district.get(chosen, ())) if chosen is not None else []
        if self.open_incidents:
            self.fields["incident"] = forms.TypedChoiceField(
                label="Is this the open incident?",
                help_text=INCIDENT_HELP,
                required=False,
                coerce=int,
                empty_value=None,
                widget=forms.RadioSelect,
                choices=[
                    ("", "No, my issue is different"),
                    *((n.pk, f"Same symptoms as “{n.title}”") for n in self.open_incidents),
                ],
            )

    def chosen_incident(self) -> Notification | None:
        """The open incident the contact said the case reports, if any (checked against the district in
        ``clean``)."""
        pk = self.cleaned_data.get("incident")
        district = self.cleaned_data.get("district")
        if pk is None or district is None:
            return None
        return next((n for n in self.incidents_by_district.get(district.pk, ()) if n.pk == pk), None)

    def _chosen_district(self, district_ids: list[int]) -> int | None:
        """The district the form is for: as sent, else as first shown."""
        raw = self.data.get("district") if self.is_bound else self.initial.get("district")
        pk = getattr(raw, "pk", raw)
        try:
            chosen = int(pk)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            chosen = None
        return chosen if chosen in district_ids else (district_ids[0] if district_ids else None)

    def other_districts_contacts(self) -> list[tuple[int, list[tuple[int, str]]]]:
        """Every district's contacts when there are several, for the script that swaps the Contact options."""
        return list(self.contact_options.items()) if len(self.contact_options) > 1 else []

    def clean_priority(self) -> int:
        priority = self.cleaned_data["priority"]
        if priority == Priority.CRITICAL:
            raise ValidationError(CRITICAL_ONLY_FOR_OUTAGES)
        return priority

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        district, contact = cleaned.get("district"), cleaned.get("contact")
        if district and contact and contact.pk not in self.contacts_by_district.get(district.pk, set()):
            self.add_error(
                "contact", f"{contact.get_full_name()} is not an authorized contact of {district.name}."
            )
        incident = cleaned.get("incident")
        if district and incident is not None and self.chosen_incident() is None:
            self.add_error("incident", f"This incident is not open for {district.name}; choose again.")
        details = {d.name: cleaned.get(d.name) for d in self.spec.details if d.name not in self.errors}
        try:
            clean_details(self.spec, details, today=timezone.localdate())
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                if name in self.fields and name not in self.errors:
                    self.add_error(name, messages)
        return cleaned

    def detail_values(self) -> dict[str, Any]:
        return {d.name: self.cleaned_data.get(d.name) for d in self.spec.details}

    def common_fields(self) -> list[forms.BoundField]:
        names = ["district", "contact", "priority", "subject", "description", "module", "incident"]
        return [self[n] for n in names if n in self.fields]

    def detail_fields(self) -> list[forms.BoundField]:
        return [self[d.name] for d in self.spec.details]


# ---------------------------------------------------------------------------------------------------------------
# The case page


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type="file" multiple>``; the service checks each one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [item for item in items if item]


class RichTextField(forms.CharField):
    """The text of the rich-text editor: HTML when the editor ran (``format=html``), plain text otherwise
    (no JavaScript), which becomes paragraphs. Either way the service sanitizes it with nh3."""


class _TokenForm(forms.Form):
    """A form that may be sent only once: its token is new on every rendering and stored with the post."""

    token = forms.UUIDField(widget=forms.HiddenInput)
    format = forms.ChoiceField(
        choices=[("text", "text"), ("html", "html")], initial="text", widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4())

    def rich_text(self, name: str) -> str:
        """The field's value as HTML for the service (which sanitizes it)."""
        value = self.cleaned_data.get(name) or ""
        if self.cleaned_data.get("format") == "html":
            return value
        return linebreaks(value, autoescape=True)


class PostForm(_TokenForm):
    body = RichTextField(
        label="Share an update",
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 6, "data-editor": "rich", "class": "editor-source"}),
    )
    attachments = MultipleFileField(label="Attach files")
    internal = forms.BooleanField(
        label="Internal note: visible to advisors only, never to the district", required=False
    )

    def __init__(self, *args: Any, advisor: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not advisor:
            del self.fields["internal"]
        self.fields["attachments"].help_text = (
            f"Up to {attachment_files.max_per_post()} files, {filesizeformat(attachment_files.max_bytes())} "
            "each: PDF, images, text and CSV, Office documents, ZIP."
        )
        self.fields["attachments"].widget.attrs.update({"accept": attachment_files.ACCEPT})


class ReopenForm(_TokenForm):
    details = RichTextField(
        label="What is still wrong?",
        help_text="Re-opening needs the additional details: what happened, when, and for whom.",
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 5, "data-editor": "rich", "class": "editor-source"}),
    )


class MoreTimeForm(forms.Form):
    """A contact's "I need more time" before the 3x10 automatic close: how many business days."""

    days = forms.TypedChoiceField(label="How much more time?", coerce=int)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = settings.FOLLOWUP_MORE_TIME_MAX_BUSINESS_DAYS
        days = cast(forms.TypedChoiceField, self.fields["days"])
        days.choices = [(n, f"{n} business day{'s' if n > 1 else ''}") for n in range(limit, 0, -1)]
        days.initial = limit
