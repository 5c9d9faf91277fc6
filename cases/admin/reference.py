"""Reference data advisors maintain: modules, development issues and releases."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from cases.admin.devissues import DevIssuePagesMixin
from cases.devissues import dev_issue_save
from cases.models import DevIssue, Module, Release, SavedReply
from contacts.admin import ServiceErrorsAsMessages


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]


class DevIssueForm(forms.ModelForm):
    class Meta:
        model = DevIssue
        fields = ["number", "title", "product_area"]

    def clean_number(self) -> str:
        # As the service stores it, so the form's "already recorded" check compares like with like.
        return str(self.cleaned_data["number"]).strip().upper()


@admin.register(DevIssue)
class DevIssueAdmin(DevIssuePagesMixin, ServiceErrorsAsMessages):
    form = DevIssueForm
    list_display = ["number", "title", "product_area", "fixed_in", "created_at"]
    list_filter = ["product_area"]
    search_fields = ["number", "title"]
    fields = ["number", "title", "product_area", "fixed_in"]
    # Marked fixed only through "Mark fixed in a release", which moves the linked cases too: a release set
    # here would leave them waiting on Development.
    readonly_fields = ["fixed_in"]

    def save_model(self, request: HttpRequest, obj: DevIssue, form: forms.ModelForm, change: bool) -> None:
        # Through the service. The form checked the same things first (required, length, number not yet
        # recorded); a refusal at save time (a colleague recorded the number a moment ago) comes back as a message.
        saved = dev_issue_save(
            actor=request.user,  # type: ignore[arg-type]
            issue=obj if change else None,
            number=form.cleaned_data["number"],
            title=form.cleaned_data["title"],
            fixed_in=obj.fixed_in,
            product_area=form.cleaned_data["product_area"],
        )
        obj.pk, obj.number, obj.title, obj.created_at = saved.pk, saved.number, saved.title, saved.created_at


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["name", "released_on"]
    search_fields = ["name"]


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["title", "body"]
    fields = ["title", "body", "is_active"]
