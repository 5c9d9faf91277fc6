"""People and districts: the login account, the customer district, and the membership that gives a person a
role in a district (SPEC §1, §10)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import AnonymousUser, Permission, PermissionsMixin
from django.db import models
from django.db.models import Count, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.functional import cached_property

from portal.lib.businesstime import inactivity_flag_at
from portal.validators import single_line


class Role(models.TextChoices):
    """A contact's role in one district (SPEC §1)."""

    SUPPORT = "support", "Support contact"
    TECHNICAL = "technical", "Technical contact"
    IMPLEMENTATION = "implementation", "Implementation contact"
    READ_ONLY = "read_only", "Read-only contact"

    @classmethod
    def authorized(cls) -> frozenset[Role]:
        """The roles the vendor calls "Authorized Contacts": everyone but read-only."""
        return frozenset({cls.SUPPORT, cls.TECHNICAL, cls.IMPLEMENTATION})


# Recommended staffing per district (SPEC §1); the admin flags districts that deviate.
RECOMMENDED_SUPPORT_CONTACTS = 2
RECOMMENDED_TECHNICAL_CONTACTS = 1


# The advisor role (contacts/roles.py): an active staff account holding this permission, or a superuser.
ADVISOR_PERMISSION = ("contacts", "work_cases")


class UserQuerySet(models.QuerySet["User"]):
    def advisors(self) -> UserQuerySet:
        """The people who hold the advisor role: active staff accounts with the advisor permission, directly or
        through a group, and active staff superusers. The definition of "advisor" (``User.is_advisor`` asks the
        same of one person); a staff account without the permission is not an advisor."""
        app_label, codename = ADVISOR_PERMISSION
        role = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        direct = User.user_permissions.through.objects.filter(permission__in=role).values("user_id")
        grouped = User.groups.through.objects.filter(group__permissions__in=role).values("user_id")
        return self.filter(is_active=True, is_staff=True).filter(
            Q(is_superuser=True) | Q(pk__in=direct) | Q(pk__in=grouped)
        )


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def advisors(self) -> UserQuerySet:
        return self.get_queryset().advisors()

    def get_by_natural_key(self, username: str | None) -> User:
        # Addresses are stored lower-cased; match what a person types regardless of case.
        return self.get(email=(username or "").strip().lower())

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=email.strip().lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an email address: a district contact, or (``is_staff``) an advisor."""

    email = models.EmailField(
        "email address",
        max_length=254,
        unique=True,
        error_messages={"unique": "Another account already uses this email address."},
    )
    first_name = models.CharField(max_length=150, validators=[single_line])
    last_name = models.CharField(max_length=150, validators=[single_line])
    title = models.CharField(
        max_length=150,
        blank=True,
        validators=[single_line],
        help_text="Job title, e.g. District SIS Coordinator.",
    )
    phone = models.CharField("primary phone", max_length=40, blank=True, validators=[single_line])
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="Deactivated accounts cannot log in and receive no e-mail.",
    )
    is_staff = models.BooleanField(
        "staff",
        default=False,
        help_text=(
            "Support employees who may log in to the workbench. Only members of the Advisors group (or "
            "administrators) see and work district cases."
        ),
    )
    date_joined = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Last time the person used the portal (SPEC §8 inactivity).",
    )
    # The inactivity rule (SPEC §8): the moment the person becomes inactive if they do nothing more, 180 days
    # after their latest login or activity (``contacts.services.account_record_activity`` moves it on). The
    # inactivity job reads it through its partial index; it never decides alone (the job re-checks).
    inactive_from = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the person becomes inactive if they do nothing: 180 days after their last activity.",
    )
    inactivity_flagged_at = models.DateTimeField(
        "flagged as inactive",
        null=True,
        blank=True,
        editable=False,
        help_text="When the person was flagged for deactivation and told; cleared when they use the portal.",
    )
    last_district = models.ForeignKey(
        "District",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The district the contact last worked in: the default on forms.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        ordering = ["last_name", "first_name", "email"]
        permissions = [("work_cases", "Work every district's cases as an advisor")]
        indexes = [
            # The inactivity job (contacts/jobs.py): active contacts not yet flagged, by the moment they become
            # inactive; a run reads only those whose moment has come.
            models.Index(
                fields=["inactive_from"],
                condition=Q(is_active=True, is_staff=False, inactivity_flagged_at__isnull=True),
                name="user_inactivity_due",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Stored lower-cased so the unique index also rejects the same address typed in another case.
        self.email = self.email.strip().lower()
        if self._state.adding and self.inactive_from is None:
            self.inactive_from = inactivity_flag_at(self.latest_activity())
        super().save(*args, **kwargs)

    def latest_activity(self) -> datetime:
        """The latest of joining, the last login and the last use of the portal, as stored on the account."""
        return max(moment for moment in (self.date_joined, self.last_login, self.last_activity_at) if moment)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @cached_property
    def is_advisor(self) -> bool:
        """Whether the person holds the advisor role: the rule of ``User.objects.advisors()`` (a test holds the
        two together), asked of this person's own and group permissions: a simpler query than asking the list.
        Read once per object, so once per request for the logged-in person; contacts cost no query."""
        if not (self.is_active and self.is_staff):
            return False
        if self.is_superuser:
            return True
        app_label, codename = ADVISOR_PERMISSION
        role = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        return role.filter(Q(user=self) | Q(group__user=self)).exists()


def current_membership(prefix: str = "") -> Q:
    """A membership that makes someone a contact of the district today: switched on, of an active account.
    A switched-off membership or a deactivated account gives no access, so it counts for nothing."""
    return Q(**{f"{prefix}is_active": True, f"{prefix}user__is_active": True})


class DistrictQuerySet(models.QuerySet["District"]):
    def visible_to(self, user: User | AnonymousUser) -> DistrictQuerySet:
        """The districts a person may see: every district for an advisor, otherwise the districts where the
        person has an active membership. Nothing for anyone else."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_advisor:
            return self.all()
        return self.filter(memberships__user=user, memberships__is_active=True)

    def with_staffing(self) -> DistrictQuerySet:
        """Annotate active support and technical contact counts, and whether staffing deviates from the
        recommendation (two support contacts, one technical contact). One query, counted in SQL."""
        active = current_membership("memberships__")
        return self.annotate(
            support_count=Count("memberships", filter=active & Q(memberships__role=Role.SUPPORT)),
            technical_count=Count("memberships", filter=active & Q(memberships__role=Role.TECHNICAL)),
        ).annotate(
            staffing_deviates=ExpressionWrapper(
                ~Q(support_count=RECOMMENDED_SUPPORT_CONTACTS)
                | ~Q(technical_count=RECOMMENDED_TECHNICAL_CONTACTS),
                output_field=models.BooleanField(),
            )
        )


class District(models.Model):
    """A customer organisation (the vendor's "account")."""

    name = models.CharField(max_length=200, unique=True, validators=[single_line])
    slug = models.SlugField(max_length=80, unique=True, help_text="Used in the district's web addresses.")
    state = models.CharField(max_length=2, blank=True, help_text="Two-letter US state code.")
    is_active = models.BooleanField(default=True, help_text="Inactive districts cannot submit new cases.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DistrictQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's role in one district. A contact may belong to several districts, once each."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(
        "active", default=True, help_text="Turning a membership off removes the person's access at once."
    )
    # The areas of the product the person is the district's contact for (codes of ``cases.casetypes.AREAS``),
    # as a Modify Support Contacts case asks for them; informational, they grant no access.
    areas = models.JSONField(
        "areas of responsibility",
        default=list,
        blank=True,
        help_text="The areas of the product the person is the district's contact for.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["district__name", "role", "user__last_name"]
        constraints = [
            # One role per person and district; a second membership would make the role ambiguous.
            models.UniqueConstraint(
                fields=["user", "district"],
                name="membership_one_per_user_and_district",
                violation_error_message="This person already has a membership in this district.",
            ),
            # SPEC §1: at most one active Technical contact per district.
            models.UniqueConstraint(
                fields=["district"],
                condition=Q(role="technical", is_active=True),
                name="membership_one_active_technical_per_district",
                violation_error_message="This district already has an active technical contact.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}, {self.district}"

    @property
    def is_authorized(self) -> bool:
        return self.role in Role.authorized()


class AccountEvent(models.Model):
    """One change of a person's access: a membership added, its role changed or switched off or on, an account
    deactivated or reactivated (``contacts/services.py``). The audit trail of who gave whom access to what."""

    class Kind(models.TextChoices):
        MEMBERSHIP_ADDED = "membership.added", "Membership added"
        MEMBERSHIP_ROLE_CHANGED = "membership.role_changed", "Role changed"
        MEMBERSHIP_DEACTIVATED = "membership.deactivated", "Membership switched off"
        MEMBERSHIP_REACTIVATED = "membership.reactivated", "Membership switched on"
        MEMBERSHIP_AREAS_CHANGED = "membership.areas_changed", "Areas of responsibility changed"
        ACCOUNT_CREATED = "account.created", "Account created"
        ACCOUNT_DEACTIVATED = "account.deactivated", "Account deactivated"
        ACCOUNT_REACTIVATED = "account.reactivated", "Account reactivated"
        # new: the moment the person became inactive (ISO, UTC): one flag per stretch of inactivity.
        INACTIVITY_FLAGGED = "account.inactivity_flagged", "Flagged as inactive"
        # data: flagged_at. Recorded when a flagged person uses the portal again.
        INACTIVITY_CLEARED = "account.inactivity_cleared", "Inactivity flag cleared"

    # None for the portal's own jobs (the inactivity job to come).
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="account_events")
    district = models.ForeignKey(District, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Codes and ids (a role's code, never its label), so the record reads the same after a label changes.
    old = models.CharField(max_length=64, blank=True)
    new = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # A person's history, newest last (the user admin's history).
            models.Index(fields=["user", "created_at"], name="accountevent_user_time"),
            # What a person did, by time: the inactivity rule counts an advisor's or contact's own actions.
            models.Index(fields=["actor", "created_at"], name="accountevent_actor_time"),
        ]
        constraints = [
            # The inactivity job flags a person once per stretch of inactivity, whatever runs at once.
            models.UniqueConstraint(
                fields=["user", "new"],
                condition=Q(kind="account.inactivity_flagged"),
                name="accountevent_inactivity_flag_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.user}"
