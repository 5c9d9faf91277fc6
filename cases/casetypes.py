"""The ten case types (SPEC §2, seed 002 "Case Types" and "Case Fields"), declared once.

Each type lists its extra fields as data; one form builder (``cases.forms``), one validator (``clean_details``)
and one template serve all ten. The type-specific values are stored in ``Case.details`` (JSON), keyed by the
field names below; dates as ISO strings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.formats import date_format

from portal.lib import businesstime
from portal.validators import SINGLE_LINE_MESSAGE, is_single_line, single_line


class CaseType(models.TextChoices):
    APPLICATION_ISSUE = "application_issue", "Application Issue"
    ASK_QUESTION = "ask_question", "Ask a Question"
    REPORT_OUTAGE = "report_outage", "Report an Outage"
    REQUEST_TRAINING = "request_training", "Request Training"
    DATA_RESTORE = "data_restore", "Data Restore"
    SERVER_ISSUE = "server_issue", "Server Issue"
    SERVER_ACCESS = "server_access", "Server Access"
    MODIFY_CONTACTS = "modify_contacts", "Modify Support Contacts"
    REQUEST_CONSULTING = "request_consulting", "Request Consulting"
    REQUEST_TECHNICAL_SERVICES = "request_technical_services", "Request Technical Services"


class Team(models.TextChoices):
    CAMPUS_SUPPORT = "campus_support", "Campus Support"
    CAMPUS_SUPPORT_ONCALL = "campus_support_oncall", "Campus Support (on-call)"
    TRAINING = "training", "Training"
    MANAGED_SERVICES = "managed_services", "Managed Services"
    PROCESS_CONSULTING = "process_consulting", "Process Consulting"
    TECHNICAL_SERVICES = "technical_services", "Technical Services"
    DEVELOPMENT = "development", "Development"


DATA_RETENTION_DAYS = 30

Kind = Literal["text", "long_text", "choice", "multi", "date", "confirm", "email", "phone"]


@dataclass(frozen=True)
class Detail:
    """One type-specific field: how it is asked, explained (the tooltip) and stored."""

    name: str
    label: str
    help: str
    kind: Kind = "text"
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()

    def form_field(self) -> forms.Field:
        common: dict[str, Any] = {"label": self.label, "help_text": self.help, "required": self.required}
        match self.kind:
            case "text":
                return forms.CharField(max_length=255, validators=[single_line], **common)
            case "phone":
                return forms.CharField(
                    max_length=40,
                    widget=forms.TextInput(attrs={"autocomplete": "tel"}),
                    validators=[single_line],
                    **common,
                )
            case "email":
                return forms.EmailField(max_length=254, **common)
            case "long_text":
                return forms.CharField(max_length=10000, widget=forms.Textarea(attrs={"rows": 4}), **common)
            case "choice":
                return forms.ChoiceField(choices=(("", "Choose…"), *self.choices), **common)
            case "multi":
                return forms.MultipleChoiceField(
                    choices=self.choices, widget=forms.CheckboxSelectMultiple, **common
                )
            case "date":
                return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
            case "confirm":
                return forms.BooleanField(**common)
        raise AssertionError(self.kind)  # pragma: no cover

    def to_json(self, value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        return value

    def display(self, value: Any) -> str:
        if value in (None, "", []):
            return ""
        labels = dict(self.choices)
        match self.kind:
            case "choice":
                return labels.get(value, value)
            case "multi":
                return ", ".join(labels.get(v, v) for v in value)
            case "date":
                return date_format(date.fromisoformat(value), "D j M Y")
            case "confirm":
                return "Yes" if value else "No"
        return str(value)


Rule = Callable[[dict[str, Any], date], dict[str, str]]


@dataclass(frozen=True)
class CaseTypeSpec:
    key: CaseType
    slug: str
    description: str
    examples: tuple[str, ...]
    team: Team
    billable: bool = False
    uses_module: bool = False
    module_required: bool = False
    details: tuple[Detail, ...] = ()
    rules: tuple[Rule, ...] = ()
    technical_only: bool = False
    outage: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        return self.key.label

    def detail(self, name: str) -> Detail:
        return next(d for d in self.details if d.name == name)

    def display_details(self, values: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(label, shown value) for each detail that has a value, in form order."""
        rows = []
        for d in self.details:
            shown = d.display(values.get(d.name))
            if shown:
                rows.append((d.label, shown))
        return rows


# ---------------------------------------------------------------------------------------------------------------
# Rules shared by several types. Each returns {field name: message} for what is wrong.


def _future_business_days(*names: str) -> Rule:
    def rule(values: dict[str, Any], today: date) -> dict[str, str]:
        errors: dict[str, str] = {}
        seen: dict[date, str] = {}
        for name in names:
            day = values.get(name)
            if not isinstance(day, date):
                continue
            if day <= today:
                errors[name] = "Choose a date after today."
            elif not businesstime.is_business_day(day):
                errors[name] = "Choose a business day: Monday to Friday, not a support holiday."
            elif day in seen:
                errors[name] = "Choose a date different from your other choices."
            seen.setdefault(day, name)
        return errors

    return rule


def _not_in_future(*names: str) -> Rule:
    def rule(values: dict[str, Any], today: date) -> dict[str, str]:
        return {
            n: "This date cannot be in the future."
            for n in names
            if isinstance(values.get(n), date) and values[n] > today
        }

    return rule


def _not_in_past(*names: str) -> Rule:
    def rule(values: dict[str, Any], today: date) -> dict[str, str]:
        return {
            n: "This date cannot be in the past."
            for n in names
            if isinstance(values.get(n), date) and values[n] < today
        }

    return rule


def _date_of_loss(values: dict[str, Any], today: date) -> dict[str, str]:
    day = values.get("date_of_loss")
    if not isinstance(day, date):
        return {}
    if day > today:
        return {"date_of_loss": "The date of loss cannot be in the future."}
    if day < today - timedelta(days=DATA_RETENTION_DAYS):
        return {
            "date_of_loss": (
                f"Backups are kept for {DATA_RETENTION_DAYS} days: data lost before "
                f"{(today - timedelta(days=DATA_RETENTION_DAYS)):%d %b %Y} cannot be restored."
            )
        }
    return {}


def _sql_server_needs_bootcamp(values: dict[str, Any], today: date) -> dict[str, str]:
    if values.get("request_type") == "sql_server" and not values.get("schema_bootcamp"):
        return {
            "schema_bootcamp": "SQL Server access requires Schema Bootcamp training: confirm it to continue."
        }
    return {}


def _contact_change(values: dict[str, Any], today: date) -> dict[str, str]:
    errors = {}
    kind = values.get("request_type")
    if kind in {"add", "replace"}:
        for name, label in (("contact_email", "email"), ("contact_type", "contact type")):
            if not values.get(name):
                errors[name] = f"Enter the new contact's {label}."
    if kind == "replace" and not values.get("replacement_name"):
        errors["replacement_name"] = "Enter the name of the contact who is being replaced."
    return errors


# ---------------------------------------------------------------------------------------------------------------
# Field definitions (tooltips from seed 002, "Case Fields").

ISSUE_BEGAN = Detail("issue_began", "Issue Began", "When did the issue first occur?", "date")
ERROR_MESSAGE = Detail(
    "error_message",
    "Error Message",
    "Please copy and paste any error messages that may display.",
    "long_text",
)


def _preferred_dates(prefix: str, what: str, first_required: bool) -> tuple[Detail, ...]:
    ordinal = ("First", "Second", "Third")
    return tuple(
        Detail(
            f"{prefix}_date_{i}",
            f"Preferred {what} Date {i}",
            f"{ordinal[i - 1]} choice of date for the {what.lower()}: a future business day, different from your other choices.",
            "date",
            required=first_required and i == 1,
        )
        for i in (1, 2, 3)
    )


TRAINING_DATES = _preferred_dates("training", "Training", first_required=True)
CONSULT_DATES = _preferred_dates("consult", "Consult", first_required=True)

AREAS = (
    ("sis", "SIS"),
    ("food_service", "Food Service"),
    ("human_resources", "Human Resources"),
    ("finance", "Finance"),
    ("online_payments", "Online Payments"),
    ("voice_messenger", "Voice Messenger"),
    ("state_edition", "State Edition"),
)

CASE_TYPES: dict[CaseType, CaseTypeSpec] = {
    spec.key: spec
    for spec in [
        CaseTypeSpec(
            CaseType.APPLICATION_ISSUE,
            "application-issue",
            "Campus is not working as expected or you are experiencing a problem.",
            ("Receiving an error token", "Teachers are unable to take attendance"),
            Team.CAMPUS_SUPPORT,
            uses_module=True,
            module_required=True,
            details=(
                Detail(
                    "application_type",
                    "Type",
                    "Which application the issue is in.",
                    "choice",
                    required=True,
                    choices=(
                        ("campus_application", "Campus Application"),
                        ("campus_learning", "Campus Learning"),
                        ("portals", "Campus Parent / Campus Student"),
                        ("mobile", "Mobile apps"),
                        ("integration", "Integration / data interchange"),
                        ("state_reporting", "State reporting"),
                    ),
                ),
                Detail(
                    "steps_to_reproduce",
                    "Steps to Reproduce",
                    "Click-by-click steps to replicate the issue. Please include what is shown on the screen, which "
                    "fields were filled in and with what text. Give usernames or specific students to look at if "
                    "applicable.",
                    "long_text",
                    required=True,
                ),
                Detail(
                    "environment_changes",
                    "Environment Changes",
                    "Were any changes recently made to your workstation or to your Campus site? For example new "
                    "software, updated tool rights, or a version update.",
                    "long_text",
                ),
                ERROR_MESSAGE,
                Detail(
                    "expected_results",
                    "Expected Results",
                    "How do the results differ from what is expected? What should happen, given the tool and the "
                    "permissions of the person reporting the issue?",
                    "long_text",
                ),
                Detail(
                    "who_is_impacted",
                    "Who is impacted?",
                    "The scope of the issue: for example all users in the district, all users in a calendar, or all "
                    "teachers of a specific course.",
                ),
                ISSUE_BEGAN,
            ),
            rules=(_not_in_future("issue_began"),),
        ),
        CaseTypeSpec(
            CaseType.ASK_QUESTION,
            "ask-a-question",
            "Ask a how-to question or for advice.",
            (
                "What is the best way to set up a snow day?",
                "Where can I find a specific report?",
                "How do I end date a student's enrollment?",
            ),
            Team.CAMPUS_SUPPORT,
            uses_module=True,
            details=(
                Detail("location", "Location within Product", "The area in Campus where you are working."),
            ),
        ),
        CaseTypeSpec(
            CaseType.REPORT_OUTAGE,
            "report-an-outage",
            "Campus is inaccessible for all (or most) users.",
            ("Users are unable to access Infinite Campus",),
            Team.CAMPUS_SUPPORT_ONCALL,
            outage=True,
            details=(ERROR_MESSAGE,),
            notes=("Outages are always Critical. After submitting, please also call support.",),
        ),
        CaseTypeSpec(
            CaseType.REQUEST_TRAINING,
            "request-training",
            "Enter a request to schedule Infinite Campus training.",
            ("Campus Learning training for teachers", "Scheduling training for counselors"),
            Team.TRAINING,
            billable=True,
            details=(
                Detail(
                    "request_type",
                    "Request Type",
                    "The kind of training you are requesting.",
                    "choice",
                    required=True,
                    choices=(
                        ("virtual", "Virtual training"),
                        ("onsite", "On-site training"),
                        ("custom", "Custom training plan"),
                    ),
                ),
                *TRAINING_DATES,
            ),
            rules=(_future_business_days(*(d.name for d in TRAINING_DATES)),),
        ),
        CaseTypeSpec(
            CaseType.DATA_RESTORE,
            "data-restore",
            "Request that lost or deleted data be restored. Data is backed up nightly and kept for 30 days; "
            "we need your written permission to restore it.",
            ("Restore a deleted enrollment",),
            Team.CAMPUS_SUPPORT,
            uses_module=True,
            module_required=True,
            details=(
                Detail(
                    "date_of_loss",
                    "Approximate Date of Loss",
                    "The date when the data was deleted. Backups are kept for 30 days.",
                    "date",
                    required=True,
                ),
                Detail(
                    "restore_reason",
                    "Reason for Restore",
                    "Why the data was lost.",
                    "long_text",
                    required=True,
                ),
                Detail(
                    "written_permission",
                    "I give written permission to restore this data",
                    "Restoring may recreate missing or deleted data and overwrite later changes. Support needs your "
                    "written permission before changing your district's data.",
                    "confirm",
                    required=True,
                ),
            ),
            rules=(_date_of_loss,),
        ),
        CaseTypeSpec(
            CaseType.SERVER_ISSUE,
            "server-issue",
            "Report an issue with your Campus server.",
            (
                "SQL database connection issues",
                "Hardware end of life",
                "Reporting server errors",
                "Data Warehouse server problems",
                "SSRS server access issues",
            ),
            Team.MANAGED_SERVICES,
            uses_module=True,
            technical_only=True,
            details=(ERROR_MESSAGE, ISSUE_BEGAN),
            rules=(_not_in_future("issue_began"),),
        ),
        CaseTypeSpec(
            CaseType.SERVER_ACCESS,
            "server-access",
            "Request Server, SQL Server, or SSRS access. Schema Bootcamp training is required for SQL Server access.",
            ("Request access to the database to run SQL scripts",),
            Team.MANAGED_SERVICES,
            technical_only=True,
            details=(
                Detail(
                    "request_type",
                    "Request Type",
                    "The kind of access you are requesting.",
                    "choice",
                    required=True,
                    choices=(("server", "Server"), ("sql_server", "SQL Server"), ("ssrs", "SSRS")),
                ),
                Detail(
                    "schema_bootcamp",
                    "The person who needs SQL Server access has completed Schema Bootcamp training",
                    "Required for SQL Server access.",
                    "confirm",
                ),
            ),
            rules=(_sql_server_needs_bootcamp,),
        ),
        CaseTypeSpec(
            CaseType.MODIFY_CONTACTS,
            "modify-support-contacts",
            "Add, update, replace or remove one of your district's authorized contacts.",
            (
                "Add an additional contact after the purchase of a Premium Suite",
                "Replace the existing Technical Contact after a retirement",
            ),
            Team.CAMPUS_SUPPORT,
            details=(
                Detail(
                    "request_type",
                    "Request Type",
                    "What should change.",
                    "choice",
                    required=True,
                    choices=(
                        ("add", "Add"),
                        ("modify", "Modify"),
                        ("replace", "Replace"),
                        ("remove", "Remove"),
                    ),
                ),
                Detail(
                    "contact_first_name",
                    "Contact First Name",
                    "First name of the contact being added, modified, or replaced.",
                    required=True,
                ),
                Detail(
                    "contact_last_name",
                    "Contact Last Name",
                    "Last name of the contact being added, modified, or replaced.",
                    required=True,
                ),
                Detail(
                    "contact_email",
                    "Contact Email",
                    "Email address of the contact being added, modified, or replaced.",
                    "email",
                ),
                Detail(
                    "contact_title",
                    "Contact Title",
                    "Title of the contact being added, modified or replaced.",
                ),
                Detail("primary_phone", "Contact Primary Phone", "The contact's main phone number.", "phone"),
                Detail(
                    "secondary_phone",
                    "Contact Secondary Phone",
                    "The contact's secondary phone number, if any.",
                    "phone",
                ),
                Detail(
                    "contact_type",
                    "Contact Type",
                    "Whether the contact will be an authorized, the technical, or a read-only contact.",
                    "choice",
                    choices=(
                        ("authorized", "Authorized"),
                        ("technical", "Technical"),
                        ("read_only", "Read Only"),
                    ),
                ),
                Detail(
                    "areas",
                    "Areas of Responsibility",
                    "The areas of Campus the person is the contact for.",
                    "multi",
                    choices=AREAS,
                ),
                Detail(
                    "replacement_name",
                    "Contact Replacement Name",
                    "If replacing a contact, the contact who should be removed.",
                ),
            ),
            rules=(_contact_change,),
        ),
        CaseTypeSpec(
            CaseType.REQUEST_CONSULTING,
            "request-consulting",
            "Request time with a Business Consultant, who guides you on advanced features and helps align your "
            "business processes with the product.",
            ("Assessments, custom tabs, grading, standards-based grading or scheduling",),
            Team.PROCESS_CONSULTING,
            billable=True,
            details=CONSULT_DATES,
            rules=(_future_business_days(*(d.name for d in CONSULT_DATES)),),
        ),
        CaseTypeSpec(
            CaseType.REQUEST_TECHNICAL_SERVICES,
            "request-technical-services",
            "Report an issue with an existing Technical Services project, request a new project, or modify one.",
            (
                "Existing custom project (fix or modification)",
                "Custom report, report card, or transcript",
                "Data import, export or modification",
                "Integration with a third-party application",
            ),
            Team.TECHNICAL_SERVICES,
            billable=True,
            uses_module=True,
            details=(
                Detail(
                    "service_type",
                    "Type",
                    "The kind of service you are requesting.",
                    "choice",
                    required=True,
                    choices=(
                        ("existing_project", "Existing custom project (fix/modification)"),
                        ("custom_report", "Custom report, report card, or transcript"),
                        ("data", "Data import/export/modification"),
                        ("integration", "Integration with a third-party application"),
                        ("other", "Other services"),
                    ),
                ),
                Detail(
                    "desired_completion",
                    "Desired Completion Date",
                    "The date by which the work should be finished.",
                    "date",
                ),
            ),
            rules=(_not_in_past("desired_completion"),),
        ),
    ]
}

BY_SLUG: dict[str, CaseTypeSpec] = {spec.slug: spec for spec in CASE_TYPES.values()}


def clean_details(spec: CaseTypeSpec, values: Mapping[str, Any], *, today: date) -> dict[str, Any]:
    """Check a type's detail values (already parsed to Python values) and return them ready to store.

    Raises ``ValidationError`` with a message per field. Unknown keys are refused: a forged field is an error,
    not something silently stored.
    """
    unknown = set(values) - {d.name for d in spec.details}
    if unknown:
        raise ValidationError(
            {name: f"{spec.label} cases have no field {name!r}." for name in sorted(unknown)}
        )
    errors: dict[str, str] = {}
    for d in spec.details:
        value = values.get(d.name)
        if d.required and value in (None, "", [], False):
            errors[d.name] = (
                "This field is required." if d.kind != "confirm" else "Please confirm to continue."
            )
        elif d.kind in {"text", "phone"} and not is_single_line(value):
            errors[d.name] = SINGLE_LINE_MESSAGE
        elif d.kind in {"choice", "multi"} and value:
            allowed = {key for key, _ in d.choices}
            chosen = value if isinstance(value, list) else [value]
            if not set(chosen) <= allowed:
                errors[d.name] = "Choose one of the offered options."
    for rule in spec.rules:
        for name, message in rule(dict(values), today).items():
            errors.setdefault(name, message)
    if errors:
        raise ValidationError(errors)
    return {
        d.name: d.to_json(values[d.name]) for d in spec.details if values.get(d.name) not in (None, "", [])
    }
