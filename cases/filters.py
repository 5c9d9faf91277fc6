"""The filters of the case list (SPEC §4, seed 000 "Case Search"), with django-filter.

Every filter narrows a queryset that already went through the access chokepoint, and they combine with AND.
The query string is the whole state of the list: the filters, ``q`` (free-text search), ``view`` (a quick
view), ``sort``, ``per_page`` and ``page``. Every value is validated by the filter form: a value the page never
offers (a crafted ``sort``, an unknown status, another person's district) makes the form invalid, and the page
answers 400 with the message next to the field instead of guessing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.urls import reverse_lazy

from cases import search
from cases.casetypes import CaseType
from cases.models import Case, Module, Priority
from cases.selectors import listing, reopen
from cases.workflow import Status
from portal.validators import ascii_digits

MAX_CASE_NUMBER = 2**63 - 1
ALL_DISTRICTS = "all"


class SubjectOperator(models.TextChoices):
    """How the Subject filter compares (seed 000); always case-insensitive."""

    EQUALS = "equals", "Equals"
    NOT_EQUALS = "not_equals", "Not equals"
    STARTS_WITH = "starts", "Starts with"
    ENDS_WITH = "ends", "Ends with"
    CONTAINS = "contains", "Contains"
    NOT_CONTAINS = "not_contains", "Does not contain"


DEFAULT_SUBJECT_OPERATOR = SubjectOperator.CONTAINS


class QuickView(models.TextChoices):
    OPEN = "open", "Open cases"
    WAITING = "waiting", "Waiting on my district"
    CLOSED_RECENTLY = "closed", "Closed in the last 60 days"


class CaseNumberField(forms.IntegerField):
    """A case number as people write it: ``100234`` or ``#100234``."""

    default_error_messages = {"invalid": "Enter a case number, such as 100234."}

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str):
            value = value.strip().removeprefix("#").strip()
            if value and not ascii_digits(value):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class CaseFilterForm(forms.Form):
    """The form under the filters, plus the list's own controls (subject operator, sort, page size)."""

    subject_op = forms.ChoiceField(
        label="Subject condition",
        choices=SubjectOperator.choices,
        required=False,
        error_messages={"invalid_choice": "Choose how to compare the subject."},
    )
    sort = forms.ChoiceField(
        label="Sort by",
        choices=[("", "Default"), *listing.SORT_CHOICES],
        required=False,
        error_messages={"invalid_choice": "The list cannot be sorted that way; use the column headers."},
    )
    # Lenient like ``page``: a size the page never offers (an edited address) shows the default size.
    per_page = forms.CharField(label="Cases per page", required=False)

    def clean_per_page(self) -> int:
        value = (self.cleaned_data.get("per_page") or "").strip()
        return int(value) if value in {str(n) for n in listing.PAGE_SIZES} else listing.DEFAULT_PAGE_SIZE

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("modified_from"), data.get("modified_to")
        if start and end and start > end:
            self.add_error("modified_to", "The end of the Last Modified range is before its start.")
        if not data.get("subject_op"):
            data["subject_op"] = DEFAULT_SUBJECT_OPERATOR
        return data


class CaseNumberFilter(django_filters.Filter):
    field_class = CaseNumberField


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search cases",
        method="filter_search",
        max_length=search.MAX_QUERY_LENGTH,
        help_text='Every word, in any order, in the subject, description and replies. Put "quotes" around a phrase.',
        widget=forms.SearchInput(attrs={"placeholder": "e.g. grade book issues"}),
    )
    number = CaseNumberFilter(
        label="Case Number",
        field_name="number",
        min_value=1,
        max_value=MAX_CASE_NUMBER,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    subject = django_filters.CharFilter(label="Subject text", method="filter_subject", max_length=255)
    # distinct=False: a case has one status and one priority, so the list needs no DISTINCT.
    status = django_filters.MultipleChoiceFilter(
        label="Status",
        field_name="status",
        choices=Status.choices,
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    priority = django_filters.TypedMultipleChoiceFilter(
        label="Priority",
        field_name="priority",
        choices=[(str(value), label) for value, label in Priority.choices],
        coerce=int,
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # Choices read once per request with a plain query (ModelChoiceField would open a server-side cursor and
    # read the chosen module a second time to validate it).
    module = django_filters.ChoiceFilter(
        label="Module", field_name="module", choices=[], empty_label="Any module"
    )
    case_type = django_filters.ChoiceFilter(
        label="Case Type", field_name="case_type", choices=CaseType.choices, empty_label="Any case type"
    )
    contact = django_filters.CharFilter(
        label="Contact",
        method="filter_contact",
        max_length=254,
        help_text="Type part of a name or e-mail address.",
        # Suggestions from the autocomplete fill the <datalist> below the field (cases/list.html).
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "list": "contact-suggestions",
                "hx-get": reverse_lazy("cases:contact-suggestions"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#contact-suggestions",
                "hx-swap": "innerHTML",
                "hx-push-url": "false",
                "hx-indicator": "this",
                "hx-sync": "this:replace",
            }
        ),
    )
    modified_from = django_filters.DateFilter(
        label="From", method="filter_modified_from", widget=_date_widget()
    )
    modified_to = django_filters.DateFilter(label="To", method="filter_modified_to", widget=_date_widget())
    account = django_filters.ChoiceFilter(
        label="Account", choices=[], method="filter_account", empty_label=None
    )
    view = django_filters.ChoiceFilter(label="Quick view", choices=QuickView.choices, method="filter_view")

    class Meta:
        model = Case
        fields: list[str] = []
        form = CaseFilterForm

    def __init__(
        self,
        data: Any = None,
        queryset: QuerySet[Case] | None = None,
        *,
        request: Any = None,
        accounts: Iterable[tuple[int, str, str]] = (),
        offer_account: bool = False,
    ) -> None:
        """``accounts``: (id, slug, name) of the districts the viewer may pick in the Account filter;
        ``offer_account``: whether the page shows that filter (the viewer has several districts to choose from)."""
        super().__init__(data, queryset, request=request)
        self.accounts = list(accounts)
        # The viewer's Last Modified (internal notes move only the advisors'); without a viewer, the district's.
        self.modified = listing.modified_field(request.user) if request is not None else "public_updated_at"
        self._account_ids = {slug: pk for pk, slug, _name in self.accounts}
        self.modules = {str(pk): name for pk, name in Module.objects.values_list("pk", "name")}
        self.filters["module"].extra["choices"] = list(self.modules.items())
        self.filters["account"].extra["choices"] = [
            (ALL_DISTRICTS, "All my districts"),
            *((slug, name) for _pk, slug, name in self.accounts),
        ]
        if offer_account:
            # Suggest the contacts of the chosen district only.
            self.filters["contact"].extra["widget"].attrs["hx-include"] = "#id_account"

    def filter_queryset(self, queryset: QuerySet[Case], *, search: bool = True) -> QuerySet[Case]:
        # The form also holds the list's controls (subject operator, sort, page size), which filter nothing.
        for name, value in self.form.cleaned_data.items():
            if name in self.filters and (search or name != "q"):
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def unsearched(self) -> QuerySet[Case]:
        """The list with every filter but the search (the form must be valid), for a reader that applies the
        search itself (``listing.ranked_recent_page``)."""
        return self.filter_queryset(self.queryset.all(), search=False)

    # --- filters -------------------------------------------------------------------------------------------

    def filter_search(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        value = value.strip()
        return search.matching(queryset, value) if value else queryset

    def filter_subject(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        value = value.strip()
        if not value:
            return queryset
        match self.form.cleaned_data.get("subject_op") or DEFAULT_SUBJECT_OPERATOR:
            case SubjectOperator.EQUALS:
                return queryset.filter(subject__iexact=value)
            case SubjectOperator.NOT_EQUALS:
                return queryset.exclude(subject__iexact=value)
            case SubjectOperator.STARTS_WITH:
                return queryset.filter(subject__istartswith=value)
            case SubjectOperator.ENDS_WITH:
                return queryset.filter(subject__iendswith=value)
            case SubjectOperator.NOT_CONTAINS:
                return queryset.exclude(subject__icontains=value)
            case _:
                return queryset.filter(subject__icontains=value)

    def filter_contact(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return listing.with_contact(queryset, value) if value else queryset

    def filter_modified_from(self, queryset: QuerySet[Case], name: str, value: date | None) -> QuerySet[Case]:
        return listing.modified_between(queryset, start=value, modified=self.modified)

    def filter_modified_to(self, queryset: QuerySet[Case], name: str, value: date | None) -> QuerySet[Case]:
        return listing.modified_between(queryset, end=value, modified=self.modified)

    def filter_account(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        if not value or value == ALL_DISTRICTS:
            return queryset
        return queryset.filter(district_id=self._account_ids[value])

    def filter_view(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        match value:
            case QuickView.OPEN:
                return listing.open_cases(queryset)
            case QuickView.WAITING:
                return listing.waiting_on_district(queryset)
            case QuickView.CLOSED_RECENTLY:
                return reopen.recently_closed(queryset)
        return queryset

    # --- state ---------------------------------------------------------------------------------------------

    def account_id(self) -> int | None:
        """The district the list is narrowed to by the Account filter, if any (the form must be valid)."""
        value = self.form.cleaned_data.get("account")
        return self._account_ids.get(value) if value else None
