"""Cases in the admin. Advisors act through the same services as everyone else: status and every
workflow-owned field are read-only here, and actions call ``cases.services`` and show its errors as messages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html

from cases.admin.queues import QueueAdminMixin
from cases.admin.work import WorkPageMixin, business_hours
from cases.models import (
    Attachment,
    Case,
    CaseEvent,
    ImpactAssessment,
    Post,
    Recipient,
)
from cases.selectors.events import label_events


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class EventFormSet(BaseInlineFormSet):
    """The case's events with the labels of their values, read once for the whole list (the people and
    development issues they name in one query each) rather than once per row."""

    def get_queryset(self) -> Any:
        if not hasattr(self, "_labelled"):
            events = list(super().get_queryset())
            for event in events:
                event.case = self.instance  # each row's title names the case: not one query per row
            self._labelled = label_events(events)
        return self._labelled


class EventInline(ReadOnlyInline):
    """The case's timeline and audit trail: each change with its old and new values as they read today."""

    model = CaseEvent
    formset = EventFormSet
    fields = readonly_fields = ("created_at", "kind", "actor", "change", "data")
    ordering = ["-created_at", "-pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseEvent]:
        return super().get_queryset(request).select_related("actor")

    @admin.display(description="change")
    def change(self, obj: CaseEvent) -> str:
        """``old → new``, or the one value the event has (the recipient removed, the issue linked)."""
        return " → ".join(label for label in (obj.old_label, obj.new_label) if label)


class PostInline(ReadOnlyInline):
    model = Post
    fields = readonly_fields = ("created_at", "author", "is_internal", "body")


class RecipientInline(ReadOnlyInline):
    model = Recipient
    fields = readonly_fields = ("user", "added_by", "created_at")


class AttachmentInline(ReadOnlyInline):
    """Every file of the case, downloaded through the same authorized view as on the case page."""

    model = Attachment
    fields = readonly_fields = (
        "download",
        "file_size",
        "content_type",
        "uploaded_by",
        "created_at",
        "internal",
    )
    ordering = ["-created_at", "-pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Attachment]:
        return super().get_queryset(request).select_related("uploaded_by", "post")

    @admin.display(description="file")
    def download(self, obj: Attachment) -> str:
        return format_html('<a href="{}">{}</a>', obj.url, obj.name)

    @admin.display(description="size")
    def file_size(self, obj: Attachment) -> str:
        return filesizeformat(obj.size)

    @admin.display(description="internal note", boolean=True)
    def internal(self, obj: Attachment) -> bool:
        return obj.post.is_internal


class ImpactInline(ReadOnlyInline):
    model = ImpactAssessment
    fields = readonly_fields = (
        "disruption",
        "cannot_perform_daily_functions",
        "workaround_exists",
        "multiple_districts",
        "multiple_users",
        "assessed_by",
        "assessed_at",
    )


@admin.register(Case)
class CaseAdmin(QueueAdminMixin, WorkPageMixin, admin.ModelAdmin):
    inlines = [ImpactInline, PostInline, AttachmentInline, EventInline, RecipientInline]
    readonly_fields = [
        "number",
        "district",
        "contact",
        "caller_name",
        "caller_phone",
        "submitted_by",
        "case_type",
        "category",
        "team",
        "priority",
        "module",
        "subject",
        "description",
        "details",
        "status",
        "assigned_to",
        "dev_issue",
        "release",
        "follows_case",
        "written_permission",
        "written_permission_at",
        "written_permission_by",
        "written_permission_withdrawn_at",
        "written_permission_withdrawn_by",
        "first_response_due_at",
        "oncall_due_at",
        "first_response_at",
        "first_response_met",
        "first_response_business_time",
        "resolution_business_time",
        "created_at",
        "updated_at",
        "public_updated_at",
        "status_changed_at",
        "closed_at",
    ]
    fieldsets = [
        (None, {"fields": ["number", "status", "assigned_to", "priority", "team"]}),
        (
            "Submission",
            {
                "fields": [
                    "district",
                    "contact",
                    "caller_name",
                    "caller_phone",
                    "submitted_by",
                    "case_type",
                    "category",
                    "module",
                ]
            },
        ),
        (
            "Case",
            {
                "fields": [
                    "subject",
                    "description",
                    "details",
                ]
            },
        ),
        (
            "Written permission",
            {
                "fields": [
                    "written_permission",
                    "written_permission_at",
                    "written_permission_by",
                    "written_permission_withdrawn_at",
                    "written_permission_withdrawn_by",
                ]
            },
        ),
        ("Development", {"fields": ["dev_issue", "release", "follows_case"]}),
        (
            "Service level",
            {
                "fields": [
                    "first_response_due_at",
                    "oncall_due_at",
                    "first_response_at",
                    "first_response_met",
                    "first_response_business_time",
                    "resolution_business_time",
                ]
            },
        ),
        (
            "Times",
            {"fields": ["created_at", "updated_at", "public_updated_at", "status_changed_at", "closed_at"]},
        ),
    ]

    @admin.display(description="Time to first response")
    def first_response_business_time(self, obj: Case) -> str:
        return business_hours(obj.first_response_business_seconds)

    @admin.display(description="Time to resolution")
    def resolution_business_time(self, obj: Case) -> str:
        return business_hours(obj.resolution_business_seconds)

    @admin.display(description="Written permission", boolean=True)
    def written_permission(self, obj: Case) -> bool:
        """Whether support may test on or change the district's site for this case (SPEC §3.6)."""
        return obj.written_permission_at is not None

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Submitting on behalf of a contact goes through the same service as the portal (advisors' workbench).
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
