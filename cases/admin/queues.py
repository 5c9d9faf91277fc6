"""The advisors' case list in the admin: the queues (``cases.selectors.queues``) with their counts, the columns,
filters and search, and the bulk actions. ``CaseAdmin`` mixes this in; the case's own page is the rest of it.

A bulk action sends each selected case through its service on its own (one transaction each): a case the
workflow refuses is listed with the reason and the others are done."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString

from cases import search
from cases.casetypes import Team
from cases.models import Case, FollowUpSequence, Priority
from cases.selectors.queues import (
    QUEUES,
    capped_count,
    count_label,
    first_response_label,
    impact_summary,
    queue_condition,
    queue_counts,
    queue_ordering,
    whose_move_label,
)
from cases.services import case_assign, case_escalate, case_set_status
from cases.services.qualification import ESCALATION_TEAMS
from cases.workflow import Status, WorkflowError
from contacts.models import User

REFUSALS = (WorkflowError, ValidationError, PermissionDenied)


def refusal_message(exc: Exception) -> str:
    """What a service said when it refused: a ValidationError's messages, or the error's own text."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


class QueueFilter(admin.SimpleListFilter):
    """Accepts ``?queue=<name>``. Its links are drawn above the list with their counts (change_list.html), so the
    filter itself draws nothing in the sidebar."""

    title = "queue"
    parameter_name = "queue"
    template = "admin/cases/case/no_filter.html"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, queue.label) for name, queue in QUEUES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Case]) -> QuerySet[Case]:
        name = self.value()
        if not name:
            return queryset
        if name not in QUEUES:
            raise IncorrectLookupParameters(f"No queue is called {name!r}.")
        return queryset.filter(queue_condition(name, user=request.user, now=timezone.now()))  # type: ignore[arg-type]


class TeamFilter(admin.SimpleListFilter):
    """``?team=<Team code>``: with ``queue=team`` the open cases of one team."""

    title = "team"
    parameter_name = "team"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(Team.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Case]) -> QuerySet[Case]:
        team = self.value()
        if not team:
            return queryset
        if team not in Team.values:
            raise IncorrectLookupParameters(f"No team is called {team!r}.")
        return queryset.filter(team=team)


# ---------------------------------------------------------------------------------------------------------------
# The forms of the bulk actions' intermediate pages.


class AdvisorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.email


class BulkAssignForm(forms.Form):
    # Only active advisors are offered; a forged pk of anyone else is refused by the field (the queryset is
    # evaluated when the form is, so an advisor who lost the role a moment ago is refused too).
    assignee = AdvisorChoiceField(
        label="Assign the selected cases to",
        queryset=User.objects.advisors().order_by("first_name", "last_name", "email"),
        empty_label="Choose an advisor…",
        error_messages={"invalid_choice": "Cases can only be assigned to an active advisor."},
    )


# The statuses an advisor can give several cases at once: those that need nothing, or only what one form gives every
# case alike (a date). Left out: Pending Customer Verification (each case needs its own written resolution),
# Assigned to Development and Available in Release (a development issue or release, linked from the issue's own
# page), Re-Opened (each case needs its own details, within its reopen window). Assigned needs an assigned advisor,
# which the case has or has not: a case without one is refused with the reason.
BULK_STATUSES = [
    Status.ASSIGNED,
    Status.ASSIST_REQUEST,
    Status.PENDING_CUSTOMER_INPUT,
    Status.SCHEDULED,
    Status.CLOSED,
]


class BulkSetStatusForm(forms.Form):
    status = forms.ChoiceField(
        label="New status",
        choices=[("", "Choose a status…"), *((s.value, s.label) for s in BULK_STATUSES)],
    )
    scheduled_for = forms.DateField(
        label="Date of the planned action (Scheduled only)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="A support business day, today or later.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == Status.SCHEDULED and not data.get("scheduled_for"):
            self.add_error("scheduled_for", "Choose the date of the planned action.")
        return data


class BulkEscalateForm(forms.Form):
    team = forms.ChoiceField(
        label="Escalate to",
        choices=[("", "Choose a team…"), *((t.value, t.label) for t in ESCALATION_TEAMS)],
    )
    note = forms.CharField(
        label="Note to the district (public, e-mailed)",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Why the case is escalated and what happens next. Each case gets this note as a public post.",
    )


class CappedPaginator(Paginator):
    """Counts a list up to ``COUNT_CAP`` cases (``capped_count``), like the queue links: beyond that it says
    "1,000+ cases", and sorting, filtering or searching finds what the first pages do not show."""

    @cached_property
    def count(self) -> int:
        return capped_count(self.object_list)  # type: ignore[arg-type]


class QueueChangeList(ChangeList):
    """A search lists the best match first unless a column was chosen (``get_search_results`` ranks it); the
    count is capped (``CappedPaginator``)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.count_label = count_label(self.result_count)

    def get_ordering(self, request: HttpRequest, queryset: QuerySet[Any]) -> list[Any]:
        if (
            self.query.strip()
            and ORDER_VAR not in self.params
            and "search_rank" in queryset.query.annotations
        ):
            return ["-search_rank", "-updated_at", "-pk"]
        return super().get_ordering(request, queryset)


class QueueAdminMixin(admin.ModelAdmin):
    """The changelist part of ``CaseAdmin`` (a ModelAdmin subclass so that its hooks are typed)."""

    change_list_template = "admin/cases/case/change_list.html"
    list_display = [
        "number",
        "subject",
        "district",
        "contact_or_caller",
        "priority_label",
        "status",
        "assigned_to",
        "first_response_label",
        "impact_summary",
        "last_public_activity",
        "whose_move",
    ]
    list_filter = [QueueFilter, "status", "priority", "case_type", TeamFilter]
    # The search box is the case list's full-text search (get_search_results); Django's shows it when set.
    search_fields = ["subject"]
    list_select_related = ["district", "contact", "assigned_to", "impact"]
    # A page of a queue is about what a 1280 px screen shows, as in the commercial help desks (30 rows).
    list_per_page = 30
    # Newest change first. Only the first key is named here: the admin marks a column whose field is in
    # ``ordering`` as the one sorted by, which every queue's number column would then claim (get_ordering).
    ordering = ["-updated_at"]
    show_full_result_count = False
    paginator = CappedPaginator
    actions = ["assign_to_me", "assign_to", "set_status", "escalate"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Case], search_term: str
    ) -> tuple[QuerySet[Case], bool]:
        """The same search as the case list (``cases/search.py``): a case number, or words of the subject,
        description and public posts, through the search index, or a caller's name; best match first
        (``QueueChangeList``). An e-mail address finds the cases of that contact."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term and " " not in term:
            return queryset.filter(contact__email__iexact=term), False
        # A case phoned in by an unauthorized caller is also found by the caller's name.
        found = queryset.filter(search.match(term) | Q(caller_name__icontains=term))
        return found.annotate(search_rank=search.rank(term)), False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        # The rows show none of the long columns: reading every case's search index, description and details
        # took longer than the page's queries.
        # The running 3x10 sequence's close and whether the district asked for more time, for "Whose move"; read
        # for the page's rows only, from the one-running-sequence-per-case index.
        running = FollowUpSequence.objects.filter(case=OuterRef("pk"), ended_at__isnull=True)
        return (
            super()
            .get_queryset(request)
            .defer("search_vector", "description", "details")
            .annotate(
                followup_close_at=Subquery(running.values("close_at")[:1]),
                followup_more_time=Exists(running.filter(more_time_at__isnull=False)),
            )
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return QueueChangeList

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        name = request.GET.get(QueueFilter.parameter_name, "")
        if name in QUEUES:
            return queue_ordering(name)
        # The number breaks ties, as in the index that reads the list in this order (``case_updated``).
        return [*super().get_ordering(request), "-number"]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), **self.queue_links(request)}
        return super().changelist_view(request, extra_context=context)

    def queue_links(self, request: HttpRequest) -> dict[str, Any]:
        """The queue links above the list, each with its count, and the title of the queue shown."""
        counts = queue_counts(user=request.user, now=timezone.now())  # type: ignore[arg-type]
        current = (request.GET.get("queue", ""), request.GET.get("team", ""))
        links = []
        for name, queue in QUEUES.items():
            if name == "team":
                continue
            links.append(
                {
                    "label": queue.label,
                    "href": "?" + urlencode({"queue": name}),
                    "count": count_label(counts[name]),
                    "current": current == (name, ""),
                }
            )
        team_links = [
            {
                "label": team.label,
                "href": "?" + urlencode({"queue": "team", "team": team.value}),
                "count": count_label(counts[f"team:{team.value}"]),
                "current": current == ("team", team.value),
            }
            for team in Team
        ]
        title = next((link["label"] for link in [*links, *team_links] if link["current"]), None)
        context: dict[str, Any] = {"queue_links": links, "team_links": team_links}
        if title:
            context["title"] = title
        return context

    # ---- rows -----------------------------------------------------------------------------------------------

    def queue_rows(self, cl: ChangeList) -> list[SafeString]:
        """The page's rows as the admin draws them (the same cells, classes and checkbox), each one string of
        cells in ``list_display``'s order. The admin's own rows (a form widget per checkbox, a generic field
        lookup and a URL resolution per cell) took longer than all of the page's queries."""
        # The admin's checkbox first, then the case number linking to the case, then the other columns.
        columns = [str(name) for name in cl.list_display if name not in ("action_checkbox", "number")]
        row = (
            '<td class="action-checkbox"><input type="checkbox" name="{}" value="{}" class="action-select" '
            'aria-label="Select this object for an action - {}"></td><th class="field-number"><a href="{}">{}</a></th>'
            + "".join(f'<td class="{self.column_class(name)}">{{}}</td>' for name in columns)
        )
        # A case's page is the list's address plus "<pk>/change/" (the admin's URL patterns), and the list's filters
        # are kept for the way back: the same for every row, so worked out once rather than reversed per row.
        prefix = reverse("admin:cases_case_changelist")
        back = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, "")
        return [
            format_html(
                row,
                ACTION_CHECKBOX_NAME,
                case.pk,
                case,
                f"{prefix}{case.pk}/change/{back}",
                case.number,
                *(self.cell(case, name) for name in columns),
            )
            for case in cl.result_list
        ]

    def column_class(self, name: str) -> str:
        """The admin's classes of a column's cells: dates and related records do not wrap."""
        try:
            field = self.opts.get_field(name)
        except FieldDoesNotExist:
            return f"field-{name}"
        wraps = not isinstance(field, (models.DateField, models.TimeField, models.ForeignKey))
        return f"field-{name}" if wraps else f"field-{name} nowrap"

    def cell(self, case: Case, name: str) -> str:
        """A column's text: a display method below, or the field's label or value ("-" when empty)."""
        method = getattr(self, name, None)
        if method is not None:
            return method(case)
        display = getattr(case, f"get_{name}_display", None)
        value = display() if display is not None else getattr(case, name)
        return "-" if value in (None, "") else str(value)

    # ---- columns --------------------------------------------------------------------------------------------

    @admin.display(description="Contact", ordering="contact__last_name")
    def contact_or_caller(self, obj: Case) -> str:
        """The contact, or who phoned in a case opened without one (SPEC §3.6)."""
        return obj.contact_label(advisor=True)

    @admin.display(description="Priority", ordering="priority")
    def priority_label(self, obj: Case) -> str:
        if obj.priority == Priority.CRITICAL:
            return format_html('<strong class="queue-critical">{}</strong>', obj.get_priority_display())
        return obj.get_priority_display()

    @admin.display(description="First response (business hours)")
    def first_response_label(self, obj: Case) -> str:
        label = first_response_label(obj, timezone.now())
        if label.startswith("overdue"):
            return format_html('<strong class="queue-overdue">{}</strong>', label)
        return label

    @admin.display(description="Impact")
    def impact_summary(self, obj: Case) -> str:
        return impact_summary(obj)

    @admin.display(description="Last public activity", ordering="public_updated_at")
    def last_public_activity(self, obj: Case) -> str:
        # "5 Dec 2026, 8:33 PM", as the date filter's "j M Y, g:i A" writes it in English; strftime writes a
        # page of them in a fraction of the time of Django's per-letter formatter.
        return timezone.localtime(obj.public_updated_at).strftime("%-d %b %Y, %-I:%M %p")

    @admin.display(description="Whose move")
    def whose_move(self, obj: Case) -> str:
        label = whose_move_label(obj, timezone.now())
        close = getattr(obj, "followup_close_at", None)
        if obj.status == Status.PENDING_CUSTOMER_VERIFICATION and close is not None:
            closes = timezone.localtime(close).strftime("%a %-d %b")
            more = ", more time given" if getattr(obj, "followup_more_time", False) else ""
            return f"{label}: closes automatically {closes}{more}"
        return label

    # ---- bulk actions ---------------------------------------------------------------------------------------

    def run_each(
        self,
        request: HttpRequest,
        cases: QuerySet[Case],
        service: Callable[[Case], object],
        done_message: str,
    ) -> None:
        """Call ``service`` for each case in its own transaction: a refusal is listed with its reason and writes
        nothing for that case; the others are done. Ends with a summary message."""
        done = refused = 0
        for case in cases.order_by("number"):
            try:
                with transaction.atomic():
                    service(case)
            except REFUSALS as exc:
                refused += 1
                self.message_user(request, f"#{case.number}: {refusal_message(exc)}", messages.ERROR)
            else:
                done += 1
        summary = f"{done} case(s) {done_message}."
        if refused:
            summary += f" {refused} case(s) refused (listed above)."
        self.message_user(request, summary, messages.SUCCESS if done else messages.WARNING)

    def selected(self, request: HttpRequest) -> QuerySet[Case]:
        """The cases the intermediate page was shown for. Read by their ids, not through the list's queue: a case
        that left the queue in the meantime (another advisor took it) still gets its answer from the service."""
        ids = [pk for pk in request.POST.getlist(ACTION_CHECKBOX_NAME) if pk.isdigit()]
        return Case.objects.visible_to(request.user).filter(pk__in=ids)

    def intermediate_page(
        self, request: HttpRequest, cases: QuerySet[Case], action: str, title: str, form: forms.Form
    ) -> TemplateResponse:
        """The page between choosing a bulk action and doing it: the action's form, and the cases it applies
        to; it posts back to the same list (its queue kept) with the selected cases."""
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "form": form,
            "cases": cases.select_related("district").order_by("number"),
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/cases/case/bulk_action.html", context)

    @admin.action(description="Take the selected new or re-opened cases")
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        user: User = request.user  # type: ignore[assignment]
        self.run_each(
            request,
            queryset,
            lambda case: case_assign(actor=user, case=case, assignee=user, take=True),
            "assigned to you",
        )

    @admin.action(description="Assign to…")
    def assign_to(self, request: HttpRequest, queryset: QuerySet[Case]) -> TemplateResponse | None:
        form = BulkAssignForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self.intermediate_page(request, queryset, "assign_to", "Assign the selected cases", form)
        user: User = request.user  # type: ignore[assignment]
        assignee: User = form.cleaned_data["assignee"]
        self.run_each(
            request,
            self.selected(request),
            lambda case: case_assign(actor=user, case=case, assignee=assignee),
            f"assigned to {assignee.get_full_name() or assignee.email}",
        )
        return None

    @admin.action(description="Set status…")
    def set_status(self, request: HttpRequest, queryset: QuerySet[Case]) -> TemplateResponse | None:
        form = BulkSetStatusForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self.intermediate_page(
                request, queryset, "set_status", "Set the status of the selected cases", form
            )
        user: User = request.user  # type: ignore[assignment]
        status = Status(form.cleaned_data["status"])
        day: date | None = form.cleaned_data["scheduled_for"] if status == Status.SCHEDULED else None
        self.run_each(
            request,
            self.selected(request),
            lambda case: case_set_status(actor=user, case=case, status=status, scheduled_for=day),
            f"moved to {status.label}",
        )
        return None

    @admin.action(description="Escalate to…")
    def escalate(self, request: HttpRequest, queryset: QuerySet[Case]) -> TemplateResponse | None:
        form = BulkEscalateForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self.intermediate_page(request, queryset, "escalate", "Escalate the selected cases", form)
        user: User = request.user  # type: ignore[assignment]
        team = Team(form.cleaned_data["team"])
        note: str = form.cleaned_data["note"]
        self.run_each(
            request,
            self.selected(request),
            lambda case: case_escalate(actor=user, case=case, team=team, note=note),
            f"escalated to {team.label}",
        )
        return None
