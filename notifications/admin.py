"""Status notifications in the advisors' workbench: post one (all districts or some), add dated updates that can be
e-mailed to the districts' authorized contacts, and close it with the resolved update (``<id>/close/``). The change
page shows the history and, for an incident, how many districts and cases report it.

Every write goes through ``notifications.services``; the forms ask the same rules first so a refusal shows next
to its field with the typed values kept. A closed notification is read-only; nobody deletes one (its history and
the cases that reported it stay).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from contacts.access import is_advisor
from contacts.models import User
from notifications.models import Notification
from notifications.selectors import incident_reports, updates_of
from notifications.services import notification_close, notification_create, notification_update, window_errors
from portal.forms import add_service_errors

EMAIL_HELP = (
    "E-mail this update to the authorized contacts of the districts it concerns (each once). Everyone e-mailed "
    "about it hears when it is resolved."
)


class NotificationForm(forms.ModelForm):
    body = forms.CharField(
        label="Update",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What districts need to know now: symptoms, workaround, what support is doing, next update.",
    )
    email = forms.BooleanField(label="E-mail the districts", required=False, help_text=EMAIL_HELP)

    class Meta:
        model = Notification
        fields = ["kind", "title", "is_global", "districts", "starts_at", "ends_at"]
        widgets = {"districts": forms.SelectMultiple(attrs={"size": 8})}
        help_texts = {
            "starts_at": "Maintenance: when the window starts (post it about two weeks ahead).",
            "ends_at": "Maintenance: when the window ends.",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = str(data.get("kind") or getattr(self.instance, "kind", ""))
        if "starts_at" not in self.errors and "ends_at" not in self.errors:
            for name, message in window_errors(kind, data.get("starts_at"), data.get("ends_at")).items():
                self.add_error(name, message)
        if "is_global" in data and not data["is_global"] and not data.get("districts"):
            self.add_error("districts", "Choose the districts it concerns, or all districts.")
        return data


class CloseForm(forms.Form):
    body = forms.CharField(
        label="Resolution",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What was fixed and anything districts should do now. Everyone told of it is e-mailed.",
    )
    email = forms.BooleanField(
        label="E-mail every affected district too",
        required=False,
        help_text="Also e-mail the authorized contacts who were not told of it before.",
    )


class OpenFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("open", "Open"), ("closed", "Closed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Notification]) -> QuerySet[Notification]:
        if self.value() == "open":
            return queryset.filter(closed_at__isnull=True)
        if self.value() == "closed":
            return queryset.filter(closed_at__isnull=False)
        return queryset


def _advisor(request: HttpRequest) -> User:
    if not is_advisor(request.user):
        raise PermissionDenied("Only a support advisor can work status notifications.")
    return request.user  # type: ignore[return-value]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    form = NotificationForm
    change_form_template = "admin/notifications/notification/change_form.html"
    list_display = ["title", "kind", "scope", "status", "opened_at", "updated_at", "reported_by"]
    list_filter = [OpenFilter, "kind", "is_global"]
    search_fields = ["title"]
    # A plain, labelled multiple select: the admin's select2 search box carries no label (WCAG 4.1.2).
    date_hierarchy = "opened_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Notification]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                district_count=Count("districts", distinct=True), report_count=Count("reports", distinct=True)
            )
        )

    @admin.display(description="for")
    def scope(self, obj: Notification) -> str:
        if obj.is_global:
            return "All districts"
        count = getattr(obj, "district_count", 0)
        return f"{count} district{'s' if count != 1 else ''}"

    @admin.display(description="status", ordering="closed_at")
    def status(self, obj: Notification) -> str:
        return "Open" if obj.closed_at is None else "Closed"

    @admin.display(description="cases reporting it")
    def reported_by(self, obj: Notification) -> int:
        return getattr(obj, "report_count", 0)

    def get_fields(self, request: HttpRequest, obj: Notification | None = None) -> Any:
        if obj is not None and obj.closed_at is not None:
            return [
                "kind",
                "title",
                "is_global",
                "districts",
                "starts_at",
                "ends_at",
                "opened_at",
                "closed_at",
            ]
        return ["kind", "title", "is_global", "districts", "starts_at", "ends_at", "body", "email"]

    def get_readonly_fields(self, request: HttpRequest, obj: Notification | None = None) -> list[str]:
        return [] if obj is None else ["kind"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_advisor(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        # A closed notification is history: read-only.
        if obj is not None and obj.closed_at is not None:
            return False
        return is_advisor(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None and "body" in form.base_fields:
            form.base_fields["body"].label = "New update"
        return form

    def save_model(self, request: HttpRequest, obj: Notification, form: Any, change: bool) -> None:
        """Through the services (the form asked their rules first)."""
        advisor = _advisor(request)
        data = form.cleaned_data
        if change:
            notification_update(
                actor=advisor,
                notification=obj,
                body=data["body"],
                title=data["title"],
                is_global=data["is_global"],
                districts=data["districts"],
                starts_at=data.get("starts_at"),
                ends_at=data.get("ends_at"),
                email=data["email"],
            )
        else:
            created = notification_create(
                actor=advisor,
                kind=data["kind"],
                title=data["title"],
                body=data["body"],
                is_global=data["is_global"],
                districts=data["districts"],
                starts_at=data.get("starts_at"),
                ends_at=data.get("ends_at"),
                email=data["email"],
            )
            obj.pk = created.pk
            obj._state.adding = False
            obj._state.db = created._state.db

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The services stored the districts."""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        notification = self._notification(object_id)
        extra = dict(extra_context or {})
        extra["history"] = updates_of(notification)
        extra["is_open"] = notification.closed_at is None
        if notification.is_incident:
            extra["reports"] = incident_reports(request.user, notification)
        return super().change_view(request, object_id, form_url, extra)

    def _notification(self, object_id: str) -> Notification:
        try:
            return Notification.objects.get(pk=int(object_id))
        except (Notification.DoesNotExist, ValueError):
            raise Http404("No such notification.") from None

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/close/",
                self.admin_site.admin_view(self.close_view),
                name="notifications_notification_close",
            ),
            *super().get_urls(),
        ]

    def close_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        advisor = _advisor(request)
        notification = self._notification(object_id)
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        change_url = reverse("admin:notifications_notification_change", args=[notification.pk])
        if notification.closed_at is not None:
            messages.info(request, "This notification is already closed.")
            return HttpResponseRedirect(change_url)
        form = CloseForm(request.POST if request.method == "POST" else None)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    notification_close(
                        actor=advisor,
                        notification=notification,
                        body=form.cleaned_data["body"],
                        email=form.cleaned_data["email"],
                    )
                except ValidationError as error:
                    add_service_errors(form, error, {})
                else:
                    messages.success(
                        request,
                        f"“{notification.title}” is closed; everyone told of it was e-mailed the resolution.",
                    )
                    return HttpResponseRedirect(change_url)
            status = 400
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "notification": notification,
            "title": f"Close “{notification.title}”",
            "change_url": change_url,
            "form": form,
        }
        return TemplateResponse(
            request, "admin/notifications/notification/close.html", context, status=status
        )
