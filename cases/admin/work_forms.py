"""The forms of the case work page. Each asks for what its service needs; the service decides."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from cases.forms import MultipleFileField, RichTextField, _TokenForm
from cases.models import Case, DevIssue, Disruption, Priority
from cases.services.qualification import ESCALATION_TEAMS, REASON_MAX_LENGTH
from cases.workflow import Actor, Status, allowed_targets
from contacts.models import User


class SeenForm(forms.Form):
    """Every work-page form carries the newest event the page showed: a save after someone else's change is
    refused and the changes are shown (``cases.services.common.require_unchanged``)."""

    seen = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class ComposerForm(SeenForm, _TokenForm):
    KIND_REPLY, KIND_NOTE = "reply", "note"

    kind = forms.ChoiceField(
        label="Write",
        choices=[
            (KIND_REPLY, "Public reply: the district sees it and is e-mailed"),
            (KIND_NOTE, "Internal note: advisors only, never the district"),
        ],
        initial=KIND_REPLY,
        widget=forms.RadioSelect,
    )
    body = RichTextField(
        label="Message",
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 7}),
    )
    attachments = MultipleFileField(label="Attach files")
    status = forms.ChoiceField(label="And set the status to", required=False)
    dev_issue = forms.CharField(
        label="Development issue number",
        required=False,
        max_length=40,
        help_text="An issue already recorded, for example DEV-48213.",
    )
    release_name = forms.CharField(
        label="Release", required=False, max_length=100, help_text="For example 2026.11 Release Pack."
    )
    scheduled_for = forms.DateField(
        label="Date of the planned action",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="A support business day: weekends and support holidays are refused.",
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = Status(case.status)
        cast(forms.ChoiceField, self.fields["status"]).choices = [("", f"Keep it {current.label}")] + [
            (target.value, target.label) for target in allowed_targets(current, Actor.ADVISOR)
        ]
        self.fields["dev_issue"].widget.attrs.update({"list": "dev-issue-numbers", "autocomplete": "off"})
        if case.dev_issue_id:
            self.fields["dev_issue"].initial = case.dev_issue.number  # type: ignore[union-attr]

    def clean_dev_issue(self) -> DevIssue | None:
        number = self.cleaned_data["dev_issue"].strip().upper()
        if not number:
            return None
        issue = DevIssue.objects.filter(number=number).first()
        if issue is None:
            raise forms.ValidationError(
                f"No development issue {number} is recorded. Record it under Development issues first."
            )
        return issue

    @property
    def internal(self) -> bool:
        return self.cleaned_data.get("kind") == self.KIND_NOTE


class AssignForm(SeenForm):
    assignee = forms.CharField(
        label="Advisor",
        max_length=254,
        help_text="Type a name or e-mail address and choose from the list.",
        widget=forms.TextInput(attrs={"list": "advisor-list", "autocomplete": "off"}),
    )
    note = forms.CharField(
        label="Hand-over note (internal, optional)",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_assignee(self) -> User:
        """The advisor named by e-mail address (what the list fills in). Someone who is not an active advisor is
        refused here and again by the service."""
        typed = self.cleaned_data["assignee"].strip()
        email = typed.rsplit("<", 1)[-1].rstrip(">").strip().lower()
        advisor = User.objects.advisors().filter(email=email).first()
        if advisor is None:
            raise forms.ValidationError(f"{typed} is not an advisor. Choose someone from the list.")
        return advisor


class ButtonForm(SeenForm):
    """A one-button action (take the case, record written permission): nothing to fill in."""


class ImpactForm(SeenForm):
    disruption = forms.ChoiceField(
        label="Level of disruption", choices=Disruption.choices, widget=forms.RadioSelect
    )
    cannot_perform_daily_functions = forms.BooleanField(
        label="Unable to perform daily functions", required=False
    )
    workaround_exists = forms.BooleanField(label="A viable workaround exists", required=False)
    multiple_districts = forms.BooleanField(label="Several districts affected", required=False)
    multiple_users = forms.BooleanField(label="Several users affected", required=False)


class PriorityForm(SeenForm):
    priority = forms.TypedChoiceField(label="Priority", choices=Priority.choices, coerce=int)
    reason = forms.CharField(
        label="Why (the district reads it in the case feed)",
        max_length=REASON_MAX_LENGTH,
        widget=forms.TextInput,
    )


class EscalateForm(SeenForm):
    team = forms.ChoiceField(label="Escalate to")
    note = forms.CharField(
        label="Note to the district",
        help_text="Public: the district and every recipient get it by e-mail.",
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["team"]).choices = [
            (team.value, team.label) for team in ESCALATION_TEAMS if team != case.team
        ]
