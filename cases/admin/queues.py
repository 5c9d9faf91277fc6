"""The advisors' case list in the admin: its columns, filters, search and bulk actions. ``CaseAdmin`` mixes this
in; the case's own page is the rest of ``CaseAdmin``."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from cases.models import Case
from cases.services import case_assign
from cases.workflow import WorkflowError


class QueueAdminMixin(admin.ModelAdmin):
    """The changelist part of ``CaseAdmin`` (a ModelAdmin subclass so that its hooks are typed)."""

    list_display = [
        "number",
        "subject",
        "district",
        "contact_or_caller",
        "case_type",
        "priority",
        "status",
        "assigned_to",
        "first_response_due_at",
        "written_permission",
        "updated_at",
    ]
    list_filter = ["status", "priority", "case_type", "team"]
    search_fields = ["=number", "subject", "district__name", "contact__email", "caller_name"]
    list_select_related = ["district", "contact", "assigned_to"]
    ordering = ["-updated_at"]
    show_full_result_count = False
    actions = ["assign_to_me"]

    @admin.display(description="Contact", ordering="contact__last_name")
    def contact_or_caller(self, obj: Case) -> str:
        """The contact, or who phoned in a case opened without one (SPEC §3.6)."""
        return obj.contact_label(advisor=True)

    @admin.action(description="Take the selected new or re-opened cases")
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        done = 0
        for case in queryset:
            try:
                case_assign(actor=request.user, case=case, assignee=request.user, take=True)  # type: ignore[arg-type]
            except (WorkflowError, ValidationError, PermissionDenied) as exc:
                message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
                self.message_user(request, f"#{case.number}: {message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} case(s) assigned to you.", messages.SUCCESS)
