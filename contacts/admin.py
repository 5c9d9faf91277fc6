"""Advisors' admin for people and districts: districts with their contacts, and staffing flags (SPEC §1)."""

from typing import Any, cast

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from contacts.models import District, DistrictQuerySet, Membership, User
from contacts.staffing import staffing_advice


class LabelledTabularInline(admin.TabularInline):
    """Django's tabular inline names its columns only in the table head, so screen readers meet unnamed inputs
    (WCAG 4.1.2): each input is given its column's label as its accessible name."""

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            field.widget.attrs.setdefault("aria-label", str(field.label))
        return field


class MembershipInline(LabelledTabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "is_active", "created_at"]
    readonly_fields = ["created_at"]
    ordering = ["role", "user__last_name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user", "district")


class UserMembershipInline(MembershipInline):
    autocomplete_fields = ["district"]
    fields = ["district", "role", "is_active", "created_at"]
    ordering = ["district__name"]


class StaffingFilter(admin.SimpleListFilter):
    title = "staffing"
    parameter_name = "staffing"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("deviates", "Deviates from recommendation"), ("ok", "As recommended")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[District]) -> QuerySet[District]:
        if self.value() == "deviates":
            return queryset.filter(staffing_deviates=True)  # type: ignore[misc]  # annotated by with_staffing
        if self.value() == "ok":
            return queryset.filter(staffing_deviates=False)  # type: ignore[misc]
        return queryset


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "state",
        "contacts",
        "support_contacts",
        "technical_contacts",
        "staffing",
        "is_active",
    ]
    list_filter = [StaffingFilter, "is_active", "state"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    readonly_fields = ["created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[District]:
        active = (
            Membership.objects.filter(is_active=True)
            .select_related("user")
            .order_by("role", "user__last_name")
        )
        return (
            cast(DistrictQuerySet, super().get_queryset(request))
            .with_staffing()
            .prefetch_related(Prefetch("memberships", queryset=active, to_attr="active_memberships"))
        )

    @admin.display(description="contacts")
    def contacts(self, obj: District) -> str:
        memberships = obj.active_memberships  # type: ignore[attr-defined]
        if not memberships:
            return "—"
        return format_html_join(
            mark_safe("<br>"), "{} <small>({})</small>", ((m.user, m.get_role_display()) for m in memberships)
        )

    @admin.display(description="support", ordering="support_count")
    def support_contacts(self, obj: District) -> int:
        return obj.support_count  # type: ignore[attr-defined]

    @admin.display(description="technical", ordering="technical_count")
    def technical_contacts(self, obj: District) -> int:
        return obj.technical_count  # type: ignore[attr-defined]

    @admin.display(description="staffing", ordering="staffing_deviates")
    def staffing(self, obj: District) -> str:
        advice = staffing_advice(obj.support_count, obj.technical_count)  # type: ignore[attr-defined]
        if not advice:
            return "As recommended"
        return "⚠ " + "; ".join(advice)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "district", "role", "is_active", "updated_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "district__name"]
    autocomplete_fields = ["user", "district"]
    list_select_related = ["user", "district"]


ADMINISTRATORS_ONLY = frozenset({"is_staff", "is_superuser", "groups", "user_permissions"})


class PortalUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "first_name", "last_name"]


class PortalUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = PortalUserChangeForm
    add_form = PortalUserCreationForm
    ordering = ["last_name", "first_name", "email"]
    list_display = ["email", "first_name", "last_name", "districts", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "is_superuser"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["last_login", "last_activity_at", "date_joined"]
    inlines = [UserMembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "title", "phone", "last_district"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Activity", {"fields": ["last_login", "last_activity_at", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "first_name", "last_name", "usable_password", "password1", "password2"],
            },
        )
    ]
    raw_id_fields = ["last_district"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("memberships__district")

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or request.user.is_superuser:
            return fieldsets
        # Advisors manage contacts' accounts; staff status, groups and permissions are administrators' alone.
        # A field left out of the form is left out of the save too, whatever the POST holds.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in ADMINISTRATORS_ONLY]})
            for name, options in fieldsets
        ]

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Staff accounts (an advisor's own included) are read-only to advisors: administrators manage them.
        if obj is not None and (obj.is_staff or obj.is_superuser) and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description="districts")
    def districts(self, obj: User) -> str:
        return format_html_join(
            ", ",
            "{} ({})",
            ((m.district.name, m.get_role_display()) for m in obj.memberships.all() if m.is_active),
        )
