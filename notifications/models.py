"""Status notifications (SPEC §6): incidents and maintenance, their dated updates, who was told, the cases that
report an incident, and the contacts' secret calendar feeds.

Writes go through ``notifications.services``; reads through ``notifications.selectors`` (scoped to the viewer).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from contacts.models import District

# The title's full-text configuration: the known-issues search (selectors.known_issues) and the expression index
# it uses must say the same.
SEARCH_CONFIG = "english"


class Notification(models.Model):
    class Kind(models.TextChoices):
        INCIDENT = "incident", "Incident"
        MAINTENANCE = "maintenance", "Maintenance"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    is_global = models.BooleanField(
        "all districts",
        default=True,
        help_text="Shown to every district and to visitors who are not logged in.",
    )
    districts = models.ManyToManyField(
        District,
        blank=True,
        related_name="status_notifications",
        help_text="When not for all districts: the districts it concerns (only their contacts see it).",
    )
    starts_at = models.DateTimeField("starts", null=True, blank=True)
    ends_at = models.DateTimeField("ends", null=True, blank=True)
    opened_at = models.DateTimeField("posted", default=timezone.now)
    updated_at = models.DateTimeField("last updated", default=timezone.now)
    closed_at = models.DateTimeField("closed", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # Goes up with every update: the iCalendar SEQUENCE, so a calendar replaces its copy of the event.
    revision = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [
            # The banner on every page and the Open tab: the few open notifications.
            models.Index(
                fields=["kind", "-opened_at"], condition=Q(closed_at__isnull=True), name="notif_open_idx"
            ),
            # The Closed tab: most recently closed first.
            models.Index(
                fields=["-closed_at"], condition=Q(closed_at__isnull=False), name="notif_closed_idx"
            ),
            # Known issues while typing: the titles' full text.
            GinIndex(SearchVector("title", config=SEARCH_CONFIG), name="notif_title_search"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="notif_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(kind="maintenance") | Q(starts_at__isnull=False, ends_at__isnull=False),
                name="notif_maintenance_has_window",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["incident", "maintenance"]), name="notif_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_incident(self) -> bool:
        return self.kind == self.Kind.INCIDENT


class NotificationUpdate(models.Model):
    """One dated entry of a notification's history; the first says what happened, the last of a closed one says
    it is resolved. Also the notification's audit trail: ``changes`` keeps what an update changed."""

    class Kind(models.TextChoices):
        POSTED = "posted", "Posted"
        UPDATE = "update", "Update"
        RESOLVED = "resolved", "Resolved"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    emailed = models.BooleanField(
        default=False, help_text="Whether this update was e-mailed to the districts."
    )
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["notification", "-created_at"], name="notif_update_history_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.notification}"


class NotificationRecipient(models.Model):
    """A person who was e-mailed about a notification: the resolved update goes to each of them."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    first_told_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notification", "user"], name="notif_recipient_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} told of {self.notification}"


class IncidentReport(models.Model):
    """A case its contact linked to an open incident ("same symptoms", SPEC §2): a case reports at most one."""

    notification = models.ForeignKey(Notification, on_delete=models.PROTECT, related_name="reports")
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="incident_report")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["notification", "district"], name="notif_report_idx")]

    def __str__(self) -> str:
        return f"Case {self.case_id} reports {self.notification}"


class CalendarFeed(models.Model):
    """A contact's secret address of the maintenance calendar (their districts' and global maintenance)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"
