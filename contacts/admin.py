"""Advisors' admin for people and districts: districts with their contacts, and staffing flags (SPEC §1)."""

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import Model, Prefetch, QuerySet
from django.forms.models import BaseInlineFormSet, BaseModelFormSet, InlineForeignKeyField
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

from contacts.models import District, DistrictQuerySet, Membership, Role, User
from contacts.services import (
    account_set_active,
    accounts_deactivate_inactive,
    membership_add,
    membership_change_role,
    membership_rule_errors,
    membership_set_active,
)
from contacts.staffing import staffing_advice


class ServiceErrorsAsMessages(admin.ModelAdmin):
    """The admin's forms check the services' rules first, so a refusal is normally shown next to its field.
    A service can still refuse at save time (a colleague changed the same district a moment earlier): the
    whole save is rolled back and the page is shown again with the service's message, never a server error."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            self.message_user(request, "Nothing was saved. " + " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class MembershipForm(forms.ModelForm):
    """A membership as the admin edits it. The person and the district of a stored membership are fixed (to
    move someone, switch the membership off and add another); the rules are the service's, asked before the
    save so the message appears next to the field with the typed values kept."""

    class Meta:
        model = Membership
        fields = ["user", "district", "role", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            for name in ("user", "district"):
                field = self.fields.get(name)
                if field is not None and not isinstance(field, InlineForeignKeyField):
                    field.disabled = True
                    # Shown, with its "view" link, but nothing to add or change in its place.
                    field.widget.can_add_related = field.widget.can_change_related = False

    def validate_constraints(self) -> None:
        membership = self.instance
        if membership.user_id is None or membership.district_id is None or not membership.role:
            return  # a field is missing: its own error says so; a new district's rows are checked together
        errors = membership_rule_errors(
            user=membership.user,
            district=membership.district,
            role=membership.role,
            is_active=membership.is_active,
            membership_pk=membership.pk,
        )
        for name, message in errors.items():
            field = self.fields.get(name)
            visible = field is not None and not field.widget.is_hidden
            self.add_error(name if visible else None, message)


class MembershipFormSet(BaseInlineFormSet):
    """The rows of one page together: at most one active technical contact per district among them (each row
    was checked against the stored memberships already)."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        technical: set[object] = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data:
                continue
            if data.get("role") == Role.TECHNICAL and data.get("is_active"):
                district = data.get("district")
                key = district.pk or id(district) if district is not None else None
                if key in technical:
                    raise ValidationError(f"{district} can have only one active technical contact.")
                technical.add(key)


def save_membership_form(actor: User, form: forms.ModelForm) -> tuple[Membership, list[str]]:
    """Apply one membership form through the services; the membership and the fields that changed. Switching
    off comes before a role change and switching on after it, so a technical contact's place is freed first."""
    data = form.cleaned_data
    membership = form.instance
    if membership.pk is None or membership._state.adding:
        created = membership_add(
            actor=actor,
            user=data["user"],
            district=data["district"],
            role=data["role"],
            active=data["is_active"],
        )
        return created, []
    changed: list[str] = [name for name in ("role", "is_active") if name in form.changed_data]
    if "is_active" in changed and not data["is_active"]:
        membership = membership_set_active(actor=actor, membership=membership, active=False)
    if "role" in changed:
        membership = membership_change_role(actor=actor, membership=membership, role=data["role"])
    if "is_active" in changed and data["is_active"]:
        membership = membership_set_active(actor=actor, membership=membership, active=True)
    return membership, changed


class MembershipsThroughServices(ServiceErrorsAsMessages):
    """A district or a person with their memberships inline, saved row by row through the services."""

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: BaseModelFormSet, change: bool
    ) -> None:
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        # What the admin's history message reads (``construct_change_message``), as ``formset.save()`` sets it.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.forms:
            if not row.has_changed():
                continue
            adding = row.instance._state.adding
            membership, changed = save_membership_form(request.user, row)  # type: ignore[arg-type]
            if adding:
                formset.new_objects.append(membership)
            elif changed:
                formset.changed_objects.append((membership, changed))


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
    form = MembershipForm
    formset = MembershipFormSet
    extra = 0
    # Switch a membership off instead: the person's history stays.
    can_delete = False
    autocomplete_fields = ["user"]
    fields = ["user", "role", "is_active", "areas_of_responsibility", "created_at"]

    class Media:
        js = ["js/admin-autocomplete-names.js"]

    # Areas are set by applying a Modify Support Contacts case (cases/services/contact_changes.py).
    readonly_fields = ["areas_of_responsibility", "created_at"]
    ordering = ["role", "user__last_name"]

    @admin.display(description="Areas of responsibility")
    def areas_of_responsibility(self, membership: Membership) -> str:
        from cases.casetypes import AREAS  # the list the Modify Support Contacts form offers

        labels = dict(AREAS)
        return ", ".join(labels.get(code, code) for code in membership.areas or []) or "-"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user", "district")


class UserMembershipInline(MembershipInline):
    autocomplete_fields = ["district"]
    fields = ["district", "role", "is_active", "areas_of_responsibility", "created_at"]
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
class DistrictAdmin(MembershipsThroughServices):
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
class MembershipAdmin(ServiceErrorsAsMessages):
    form = MembershipForm
    list_display = ["user", "district", "role", "is_active", "updated_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "district__name"]
    autocomplete_fields = ["user", "district"]
    list_select_related = ["user", "district"]

    class Media:
        js = ["js/admin-autocomplete-names.js"]

    def save_model(self, request: HttpRequest, obj: Membership, form: forms.ModelForm, change: bool) -> None:
        saved, _ = save_membership_form(request.user, form)  # type: ignore[arg-type]
        obj.pk, obj.created_at, obj.updated_at = saved.pk, saved.created_at, saved.updated_at
        obj.role, obj.is_active = saved.role, saved.is_active

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Switch a membership off instead: the person's history stays.
        return False


def _label(code: str) -> str:
    """A role's label for a stored role code; other values as stored."""
    return str(Role(code).label) if code in Role.values else code or "—"


ADMINISTRATORS_ONLY = frozenset({"is_staff", "is_superuser", "groups", "user_permissions"})


class PortalUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "first_name", "last_name"]


class PortalUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class InactivityFilter(admin.SimpleListFilter):
    """The contacts flagged for deactivation by the inactivity job (SPEC §8), for the bulk deactivation."""

    title = "inactivity"
    parameter_name = "inactivity"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("flagged", "Flagged for deactivation")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        if self.value() == "flagged":
            return queryset.filter(is_active=True, inactivity_flagged_at__isnull=False)
        return queryset


@admin.register(User)
class UserAdmin(MembershipsThroughServices, DjangoUserAdmin):
    form = PortalUserChangeForm
    add_form = PortalUserCreationForm
    ordering = ["last_name", "first_name", "email"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "districts",
        "is_staff",
        "is_active",
        "last_login",
        "inactivity",
    ]
    list_filter = [InactivityFilter, "is_staff", "is_active", "is_superuser"]
    search_fields = ["email", "first_name", "last_name"]
    actions = ["deactivate_inactive"]
    readonly_fields = [
        "last_login",
        "last_activity_at",
        "inactive_from",
        "inactivity_flagged_at",
        "date_joined",
        "access_history",
    ]
    inlines = [UserMembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "title", "phone", "last_district"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (
            "Activity",
            {
                "fields": [
                    "last_login",
                    "last_activity_at",
                    "inactive_from",
                    "inactivity_flagged_at",
                    "date_joined",
                    "access_history",
                ]
            },
        ),
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

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Everything the form edits but "active", which only the service changes (it ends the person's access
        # everywhere and records who did it).
        wanted = obj.is_active
        fields = [f.name for f in User._meta.concrete_fields if not f.primary_key and f.name != "is_active"]
        obj.save(update_fields=fields)
        if "is_active" in form.changed_data:
            obj.is_active = account_set_active(actor=request.user, user=obj, active=wanted).is_active  # type: ignore[arg-type]

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

    @admin.display(description="access history")
    def access_history(self, obj: User) -> str:
        """Who changed the person's memberships and account, newest first (``contacts.services``)."""
        events = obj.account_events.select_related("actor", "district").order_by("-created_at", "-pk")
        return (
            format_html_join(
                mark_safe("<br>"),
                "{}: {}{}{} <small>by {}</small>",
                (
                    (
                        localtime(e.created_at).strftime("%Y-%m-%d %H:%M"),
                        e.get_kind_display(),
                        f" in {e.district}" if e.district else "",
                        f" ({_label(e.old)} → {_label(e.new)})" if e.old or e.new else "",
                        e.actor or "the portal",
                    )
                    for e in events
                ),
            )
            or "—"
        )

    @admin.display(description="inactivity", ordering="inactivity_flagged_at")
    def inactivity(self, obj: User) -> str:
        if obj.inactivity_flagged_at is None or not obj.is_active:
            return "—"
        return f"Flagged {localtime(obj.inactivity_flagged_at):%Y-%m-%d}"

    @admin.action(description="Deactivate the selected contacts flagged as inactive")
    def deactivate_inactive(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """Through the service, which checks the advisor role (403 otherwise), re-checks each flag under the
        row's lock, takes the person off every case's notification list and records the event."""
        result = accounts_deactivate_inactive(actor=request.user, users=queryset)  # type: ignore[arg-type]
        if result.kept:
            names = ", ".join(str(user) for user in result.kept)
            self.message_user(
                request,
                f"Kept {len(result.kept)} account(s) not flagged as inactive (or no longer): {names}.",
                messages.WARNING,
            )
        self.message_user(
            request,
            f"{len(result.deactivated)} inactive account(s) deactivated.",
            messages.SUCCESS if result.deactivated else messages.WARNING,
        )

    @admin.display(description="districts")
    def districts(self, obj: User) -> str:
        return format_html_join(
            ", ",
            "{} ({})",
            ((m.district.name, m.get_role_display()) for m in obj.memberships.all() if m.is_active),
        )
