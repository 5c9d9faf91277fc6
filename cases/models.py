"""Cases and everything recorded about them (SPEC §2, §3)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Func, Q, Value
from django.utils import timezone
from django.utils.formats import date_format

from cases.attachments import private_storage, random_storage_name
from cases.casetypes import CaseType, Team
from cases.workflow import WAITING_ON_DISTRICT, Status
from contacts.models import District, User
from portal.lib import businesstime
from portal.lib.businesstime_explain import explain_business_due, explain_oncall_due
from portal.validators import single_line


class Priority(models.IntegerChoices):
    """Stored as a rank so that sorting by priority sorts by urgency (SPEC §2, seed 002 "Priority")."""

    CRITICAL = 1, "Critical"
    HIGH = 2, "High"
    MEDIUM = 3, "Medium"
    LOW = 4, "Low"

    @property
    def business(self) -> businesstime.Priority:
        return businesstime.Priority(self.label)


PRIORITY_HELP: dict[Priority, str] = {
    Priority.CRITICAL: "Campus software is not operational. Limited to outage cases.",
    Priority.HIGH: "You cannot perform a time-sensitive task.",
    Priority.MEDIUM: "Usable, but functionality is affected.",
    Priority.LOW: "Questions, services and training requests.",
}


class Category(models.TextChoices):
    """The screen a case was submitted from, set by the server (SPEC §2)."""

    PORTAL = "portal", "Support Portal: Submit a Case"
    PORTAL_FOLLOW_UP = "portal_follow_up", "Support Portal: New case referencing a closed case"
    # On behalf of an authorized contact, or for an unauthorized caller (the case then names the caller).
    ADMIN = "admin", "Advisor workbench"


class ModuleQuerySet(models.QuerySet["Module"]):
    def active(self) -> ModuleQuerySet:
        return self.filter(is_active=True)


class Module(models.Model):
    """A product area, from an admin-maintained list shown alphabetically with "Not Applicable" last."""

    NOT_APPLICABLE = "Not Applicable"

    name = models.CharField(max_length=100, unique=True, validators=[single_line])
    is_active = models.BooleanField(
        default=True, help_text="Inactive modules are no longer offered on forms."
    )
    sort_last = models.BooleanField(default=False, editable=False)

    objects = ModuleQuerySet.as_manager()

    class Meta:
        ordering = ["sort_last", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.sort_last = self.name == self.NOT_APPLICABLE
        super().save(*args, **kwargs)


class Release(models.Model):
    """A product release that ships fixes for development issues (SPEC §3.4)."""

    name = models.CharField(
        max_length=100, unique=True, validators=[single_line], help_text="For example 2026.11 Release Pack."
    )
    released_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-released_on", "name"]

    def __str__(self) -> str:
        return self.name


class DevIssue(models.Model):
    """A product defect tracked by Development; many cases of many districts may link to it (SPEC §3.4)."""

    number = models.CharField(
        max_length=40, unique=True, help_text="Development's issue number, e.g. DEV-48213."
    )
    title = models.CharField(max_length=200, validators=[single_line])
    # The product area the defect is in: the same list as a case's module.
    product_area = models.ForeignKey(
        Module, null=True, blank=True, on_delete=models.PROTECT, related_name="dev_issues"
    )
    fixed_in = models.ForeignKey(
        Release, null=True, blank=True, on_delete=models.PROTECT, related_name="fixes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "development issue"

    def __str__(self) -> str:
        return f"{self.number}: {self.title}"


class NextCaseNumber(Func):
    """``nextval('cases_case_number_seq')``: case numbers come from a sequence and are never reused."""

    function = "nextval"
    output_field = models.BigIntegerField()

    def __init__(self) -> None:
        super().__init__(Value("cases_case_number_seq"))


def advisor_choices() -> Q:
    """Who a case can be assigned to: the people who hold the advisor role."""
    return Q(pk__in=User.objects.advisors().values("pk"))


def caller_label(name: str, *, advisor: bool) -> str:
    """Who phoned in a case without a contact: "Caller: Pat Lee" for advisors, who must transfer it to an
    authorized contact; "Phoned in by Pat Lee" for the district's contacts, who see who asked for help without
    an advisors' label. The caller's phone number is shown to advisors only."""
    return f"Caller: {name}" if advisor else f"Phoned in by {name}"


# Open cases: the condition of the partial indexes of the advisors' queues below, written the same way in every
# query so that PostgreSQL matches it to them. "Not closed" rather than the list of the nine other statuses: it
# proves a one-clause condition per index instead of nine, which made planning the queue counts cost more than
# running them.
OPEN_CASE = ~Q(status=Status.CLOSED)

# Which due time the first response is promised by: a Critical case with an on-call due time within the on-call
# hour (clock time), every other case by its business-hours due time. ``Case.first_response()`` reads it from the
# row; the queues sort and filter by it in SQL (``first_response_due_sql``); a test holds the two together.
ONCALL_PROMISE = Q(priority=Priority.CRITICAL, oncall_due_at__isnull=False)


def first_response_due_sql() -> models.Case:
    """The due time of the first response (``ONCALL_PROMISE``) as an SQL expression."""
    return models.Case(
        models.When(ONCALL_PROMISE, then=F("oncall_due_at")), default=F("first_response_due_at")
    )


class CaseQuerySet(models.QuerySet["Case"]):
    def visible_to(self, user: User | Any) -> CaseQuerySet:
        """The cases of the districts the person may see (``District.objects.visible_to``, DESIGN §2 rule 1)."""
        if getattr(user, "is_advisor", False):
            return self.all()
        return self.filter(district__in=District.objects.visible_to(user))


class Case(models.Model):
    number = models.BigIntegerField(unique=True, db_default=NextCaseNumber(), editable=False)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="cases")
    contact = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_as_contact",
        help_text="The authorized contact the case belongs to; always a notification recipient. Empty for an "
        "emergency case opened for an unauthorized caller until it is transferred to a contact (SPEC §3.6).",
    )
    # Who phoned in an emergency case opened without an authorized contact (SPEC §3.6). Kept after the case is
    # transferred to a contact. The database default lets rows written by raw SQL (the benchmark) leave them out.
    caller_name = models.CharField(
        max_length=200, blank=True, default="", db_default="", validators=[single_line]
    )
    caller_phone = models.CharField(
        max_length=40, blank=True, default="", db_default="", validators=[single_line]
    )
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="cases_submitted")
    case_type = models.CharField(max_length=32, choices=CaseType.choices)
    category = models.CharField(max_length=32, choices=Category.choices, default=Category.PORTAL)
    team = models.CharField(max_length=32, choices=Team.choices, help_text="Routed from the case type.")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    module = models.ForeignKey(Module, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    subject = models.CharField(max_length=255, validators=[single_line])
    description = models.TextField()
    details = models.JSONField(
        default=dict, blank=True, help_text="The fields specific to the case type (cases/casetypes.py)."
    )
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.NEW)
    assigned_to = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_assigned",
        limit_choices_to=advisor_choices,
    )
    dev_issue = models.ForeignKey(
        DevIssue, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    release = models.ForeignKey(
        Release, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    follows_case = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        help_text="The closed case this one continues (submitted after its reopen window).",
    )
    scheduled_for = models.DateField(
        null=True,
        blank=True,
        help_text="While the case is Scheduled: the business day of the planned action (SPEC §3.1).",
    )
    awaiting_support_since = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When a contact posted with no public advisor post since: the case needs a reply. Cleared by "
        "an advisor's public post.",
    )
    written_permission_at = models.DateTimeField(null=True, blank=True)
    written_permission_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Set when an authorized contact withdraws the permission (SPEC §3.6); cleared when it is granted again.
    written_permission_withdrawn_at = models.DateTimeField(null=True, blank=True)
    written_permission_withdrawn_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    first_response_due_at = models.DateTimeField(help_text="SLA first-response target in business hours.")
    oncall_due_at = models.DateTimeField(null=True, blank=True, help_text="Critical only: one clock hour.")
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_met = models.BooleanField(null=True, blank=True)
    # Business time (CALENDAR.md) from submission to the moment it measures, in whole seconds, stored when that
    # moment happens: reports take medians and percentiles in SQL, which cannot count business hours. Clock
    # durations need no column: they are differences of stored moments (first_response_at - created_at).
    first_response_business_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="Business time from submission to the first response.",
    )
    # SLA watch (cases/slawatch.py): the warning before the first-response target, the miss, and how late the
    # answer came. ``sla_watch_at`` is the next moment the watch has something to do (the warning, then the
    # target), empty once there is nothing left to watch; the job reads due cases from its index.
    sla_warn_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When support is warned of the coming target."
    )
    sla_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_missed_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="The target the first response missed: the case was unanswered at this moment.",
    )
    sla_watch_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_response_late_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="How late the first response was, stored when it came: business seconds, clock seconds for "
        "the on-call hour; 0 when on time.",
    )
    resolution_business_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="Business time from submission to the last close; cleared while the case is re-opened.",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(help_text="Last modified: any change or post, internal notes included.")
    public_updated_at = models.DateTimeField(
        "last modified (district)",
        help_text="Last modified as the district sees it: every change but an internal note. The contacts' list "
        "shows, sorts and filters by it.",
    )
    status_changed_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # The reopen-window job's due moment only: while the case is closed, the end of its 60-day reopen window
    # (``cases.selectors.reopen.reopen_deadline``), until the job records that the window ended. Whether a case
    # may be re-opened is computed from ``closed_at`` on every request, never read from here.
    reopen_window_ends_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="While closed: when the reopen window ends, until the job has recorded it.",
    )
    search_vector = SearchVectorField(
        null=True, editable=False, help_text="Subject, description and public posts; see cases/search.py."
    )
    client_token = models.UUIDField(
        null=True,
        blank=True,
        editable=False,
        help_text="The token of the submission form the case was sent from: one case per form load.",
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        indexes = [
            # The contacts' case list (SPEC §4): newest last-modified (as the district sees it) first, per district;
            # the page of case numbers in its default order, ties broken by number, read from the index alone
            # (cases/selectors/listing.py page_of; bench/explain/list_*.txt).
            models.Index(
                fields=["district", "-public_updated_at", "-number"], name="case_district_public_updated"
            ),
            models.Index(
                fields=["district", "status", "-public_updated_at"], name="case_district_status_public"
            ),
            # Advisors' list of every district and the admin's default order: every change.
            models.Index(fields=["-updated_at", "-number"], name="case_updated"),
            # Advisors' queues (open cases by status / assignee).
            models.Index(fields=["status", "assigned_to"], name="case_status_assignee"),
            # The advisors' "Needs reply" queue: open cases a contact is waiting on, oldest wait first.
            models.Index(
                fields=["awaiting_support_since", "number"],
                name="case_needs_reply",
                condition=OPEN_CASE & Q(awaiting_support_since__isnull=False),
            ),
            # The advisors' queues (cases/selectors/queues.py): each queue's first page, and its capped count, read
            # in order from its own partial index over the open cases (bench/explain/queue_*.txt).
            models.Index(
                fields=["assigned_to", "-updated_at", "-number"], condition=OPEN_CASE, name="case_open_mine"
            ),
            models.Index(
                fields=["team", "-updated_at", "-number"], condition=OPEN_CASE, name="case_open_team"
            ),
            models.Index(
                fields=["priority", "created_at", "number"],
                condition=Q(status__in=[Status.NEW, Status.REOPENED]),
                name="case_unassigned",
            ),
            models.Index(
                fields=["status_changed_at", "number"],
                condition=Q(status__in=sorted(WAITING_ON_DISTRICT)),
                name="case_waiting_on_district",
            ),
            models.Index(
                fields=["created_at", "number"],
                condition=OPEN_CASE & Q(priority=Priority.CRITICAL),
                name="case_open_critical",
            ),
            # With the columns the due queue's filter reads, so that its count reads the index alone.
            models.Index(
                first_response_due_sql(),
                F("number"),
                include=["priority", "oncall_due_at", "first_response_due_at"],
                condition=OPEN_CASE & Q(first_response_at__isnull=True),
                name="case_first_response_due",
            ),
            # The advisors' reports (cases/selectors/reports.py): a period of cases by the moment they were opened
            # or closed, with every column the reports group and count by, read from the index alone rather than
            # from the wide case rows.
            models.Index(
                fields=["created_at"],
                include=[
                    "id",
                    "team",
                    "case_type",
                    "priority",
                    "assigned_to",
                    "first_response_met",
                    "first_response_business_seconds",
                ],
                name="case_report_opened",
            ),
            models.Index(
                fields=["closed_at"],
                include=["id", "team", "case_type", "priority", "assigned_to", "resolution_business_seconds"],
                condition=Q(closed_at__isnull=False),
                name="case_report_closed",
            ),
            # Free-text search of the case list (cases/search.py).
            GinIndex(fields=["search_vector"], name="case_search"),
            # The reopen-window job (cases/jobs.py): closed cases whose window's end is not recorded yet.
            models.Index(
                fields=["reopen_window_ends_at"],
                condition=Q(reopen_window_ends_at__isnull=False),
                name="case_reopen_window_due",
            ),
            # SLA watch: open cases not yet answered, by due time.
            models.Index(
                fields=["first_response_due_at"],
                name="case_sla_unanswered",
                condition=Q(first_response_at__isnull=True),
            ),
            # The SLA watch job: open cases with something to watch, by the moment it is due. A closed case
            # leaves the index and comes back as it was if it is re-opened.
            models.Index(
                fields=["sla_watch_at", "id"],
                name="case_sla_watch",
                condition=OPEN_CASE & Q(sla_watch_at__isnull=False),
            ),
        ]
        constraints = [
            # The submission form: a second click, or Back and Submit again, stores one case (case_submit).
            models.UniqueConstraint(fields=["client_token"], name="case_client_token_once"),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False)
                | (~Q(status="closed") & Q(closed_at__isnull=True)),
                name="case_closed_at_iff_closed",
            ),
            # Only a closed case has a reopen window to watch.
            models.CheckConstraint(
                condition=Q(reopen_window_ends_at__isnull=True) | Q(status="closed"),
                name="case_reopen_window_only_when_closed",
            ),
            models.CheckConstraint(
                condition=Q(priority=Priority.CRITICAL, case_type="report_outage")
                | ~Q(priority=Priority.CRITICAL),
                name="case_critical_only_for_outages",
            ),
            # An emergency case opened for an unauthorized caller (SPEC §3.6) names who phoned instead of a
            # contact; every other case has a contact.
            models.CheckConstraint(
                condition=Q(contact__isnull=False) | Q(caller_name__regex=r"\S", caller_phone__regex=r"\S"),
                name="case_contact_or_caller",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    def contact_label(self, *, advisor: bool) -> str:
        """Who the case is for, where a page, list, export or e-mail names its contact: the contact's name, or
        for a case phoned in without one (SPEC §3.6) the caller, in the words of the viewer's side."""
        if self.contact is not None:
            return self.contact.get_full_name() or self.contact.email
        return caller_label(self.caller_name, advisor=advisor)

    def first_response_promise(self) -> tuple[datetime, bool]:
        """The due time the first response is promised by (``ONCALL_PROMISE``), and whether it is the on-call
        hour (clock time) rather than the business-hours target."""
        if self.priority == Priority.CRITICAL and self.oncall_due_at is not None:
            return self.oncall_due_at, True
        return self.first_response_due_at, False

    def first_response(self, now: datetime | None = None) -> FirstResponse:
        due, oncall = self.first_response_promise()
        if self.first_response_at is not None:
            # Late against the promise the district was given (the on-call hour for an outage); the lateness is
            # stored when the answer came (``first_response_late_seconds``), older answers have none stored.
            late = self.first_response_at > due
            late_by = (
                timedelta(seconds=self.first_response_late_seconds)
                if late and self.first_response_late_seconds is not None
                else None
            )
            return FirstResponse("late" if late else "met", self.first_response_at, oncall, late_by, due)
        if self.status == Status.CLOSED:
            return FirstResponse("none", None)
        overdue = due <= (now or timezone.now())
        return FirstResponse("overdue" if overdue else "due", due, oncall, None, due)

    @property
    def first_response_explained(self) -> str:
        """How the promised due time was computed, in words: "4 business hours: 2 h on Wednesday 25 November
        and 2 h on Monday 30 November; Thanksgiving Day, Day after Thanksgiving and the weekend skipped." """
        due, oncall = self.first_response_promise()
        if oncall:
            return explain_oncall_due(due - businesstime.ONCALL_TARGET)
        target = businesstime.SLA_TARGETS[Priority(self.priority).business]
        explained = explain_business_due(self.created_at, target)
        if explained.due != due:  # a target stored by an older rule: say only what it is
            return f"Due {date_format(timezone.localtime(due), 'l j F, g:i A')}; support hours count."
        return explained.text

    @property
    def first_response_now(self) -> FirstResponse:
        """``first_response()`` at this moment, for templates."""
        return self.first_response()

    @property
    def type_spec(self) -> Any:
        from cases.casetypes import CASE_TYPES

        return CASE_TYPES[CaseType(self.case_type)]


@dataclass(frozen=True)
class FirstResponse:
    """What the district is promised about support's first response, as every page and e-mail shows it.

    A Critical case (an outage) is worked around the clock: its promise is the on-call team's one clock hour
    (``oncall_due_at``), not the business-hours target that may fall on the next Monday. A promise not kept
    and not yet answered is overdue since its due time, never "due" in the past.
    """

    state: Literal["met", "late", "due", "overdue", "none"]
    at: datetime | None  # answered at, due at, or overdue since
    oncall: bool = False
    late_by: timedelta | None = None  # answered late: by how much (business time; clock time on call)
    due: datetime | None = None  # the promised moment

    @property
    def late_words(self) -> str:
        """ "40 min", "2 h 05 min", "less than a minute": how late a late answer was (``late_by``)."""
        if self.late_by is None:
            return ""
        minutes = self.late_by // timedelta(minutes=1)
        if not minutes:
            return "less than a minute"
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest:02d} min" if hours else f"{rest} min"

    @property
    def long(self) -> str:
        """``Saturday 5 December 2026, 3:02 AM CST`` in the portal's time zone, for sentences and e-mails."""
        return date_format(timezone.localtime(self.at), "l j F Y, g:i A T") if self.at else ""

    @property
    def terms(self) -> str:
        """Which clock the promise counts in."""
        if self.oncall:
            return "within one hour, around the clock: outages go to the on-call team"
        return "support hours count: Monday\u2013Friday, 6 a.m.\u20136 p.m. Central"

    @property
    def sentence(self) -> str:
        """For the confirmation page and e-mail, right after the case is submitted."""
        if self.state == "overdue":
            return f"Overdue since {self.long} ({self.terms})"
        return f"by {self.long} ({self.terms})"


class CaseEvent(models.Model):
    """One change of a case: the timeline, the audit trail and the input of business-time reports.

    ``old`` and ``new`` hold values, never display text: a status code, a user's pk, a team code, a disruption
    code, a development issue's pk, a post's pk (see ``Kind``). Labels and names are rendered when the event is
    read (``cases.selectors.events``), so a renamed person or a relabelled status shows as it is today."""

    class Kind(models.TextChoices):
        # old / new: "" / status code "new"; data: type (case type code), priority (rank).
        CREATED = "case.created", "Case submitted"
        # old / new: status codes; data: by (actor kind), release (pk), resolution_post, details_post, reason.
        STATUS_CHANGED = "case.status_changed", "Status changed"
        # old / new: the previous and new assignee's user pk ("" for nobody).
        ASSIGNED = "case.assigned", "Advisor assigned"
        # old / new: team codes; data: note_post (pk).
        ESCALATED = "case.escalated", "Escalated"
        # new: the post's pk; data: internal, attachments (file names).
        POST_ADDED = "post.added", "Post added"
        # new (added) / old (removed): the recipient's user pk.
        RECIPIENT_ADDED = "recipient.added", "Recipient added"
        RECIPIENT_REMOVED = "recipient.removed", "Recipient removed"
        PERMISSION_GRANTED = "permission.granted", "Written permission granted"
        PERMISSION_WITHDRAWN = "permission.withdrawn", "Written permission withdrawn"
        # new: the development issue's pk.
        DEV_ISSUE_LINKED = "dev_issue.linked", "Development issue linked"
        # old / new: disruption codes ("" before the first assessment).
        IMPACT_ASSESSED = "impact.assessed", "Impact assessed"
        # old / new: priority ranks (``Priority``); data: reason (the advisor's words).
        PRIORITY_CHANGED = "case.priority_changed", "Priority changed"
        # A Modify Support Contacts case carried out. old: the user pk of the contact removed or replaced (""
        # when none); new: the user pk of the contact added or changed; data: request (add / modify / replace
        # / remove), role (code), areas (codes), created (a new account was made).
        CONTACTS_CHANGED = "contacts.changed", "Contact change applied"
        # old / new: the previous and new contact's user pk ("" for none: a case phoned in by a caller).
        CONTACT_CHANGED = "case.contact_changed", "Transferred to a contact"
        # The 60-day reopen window of a close ended (the reopen-window job). new: the close moment (ISO, UTC);
        # data: deadline (ISO). Once per close: the reports and the survey job read it.
        REOPEN_WINDOW_ENDED = "case.reopen_window_ended", "Reopen window ended"
        # A contact asked for more time before the 3x10 automatic close. old / new: the automatic close moment
        # before and after (ISO 8601); data: days (business days), sequence (its number).
        FOLLOWUP_MORE_TIME = "followup.more_time", "More time asked for"
        # The SLA watch (cases/slawatch.py), no actor. new: the promised due moment (ISO 8601), once per case and
        # promise (a unique constraint); data: to (the advisor's pk, or "queue:<team>"), oncall (clock time).
        SLA_WARNED = "sla.warned", "Support warned of the first-response target"
        # new: the promised due moment the case was still unanswered at; data: oncall.
        SLA_MISSED = "sla.missed", "First-response target missed"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=64, choices=Kind.choices)
    old = models.CharField(max_length=255, blank=True, help_text="A value (code or id), never display text.")
    new = models.CharField(max_length=255, blank=True, help_text="A value (code or id), never display text.")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    # What a person reads for old and new, today: filled in by ``cases.selectors.events.label_events``.
    old_label = ""
    new_label = ""

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["case", "created_at"], name="caseevent_case_time"),
            # The inactivity rule (SPEC §8): a person's latest case activity.
            models.Index(fields=["actor", "created_at"], name="caseevent_actor_time"),
            # The reports' "resolved without escalation": whether a case was ever escalated, one probe per case.
            models.Index(fields=["case"], condition=Q(kind="case.escalated"), name="caseevent_escalated"),
        ]
        constraints = [
            # The reopen-window job records the end of each close's window once, whatever runs at once.
            models.UniqueConstraint(
                fields=["case", "new"],
                condition=Q(kind="case.reopen_window_ended"),
                name="caseevent_reopen_window_ended_once",
            ),
            # The SLA watch warns and records a miss once per case and promised due moment, however many runs.
            models.UniqueConstraint(
                fields=["case", "kind", "new"],
                condition=Q(kind__in=["sla.warned", "sla.missed"]),
                name="caseevent_sla_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.case.number}"


class Post(models.Model):
    """A written message on a case: public (district and support) or an advisor-only internal note."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="posts")
    body = models.TextField(help_text="Sanitized HTML.")
    is_internal = models.BooleanField(default=False, help_text="Internal notes are never shown to contacts.")
    created_at = models.DateTimeField()
    client_token = models.UUIDField(
        null=True,
        blank=True,
        editable=False,
        help_text="The token of the form the post was sent from: a double-submitted form is stored once.",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["case", "-created_at"], name="post_case_time")]
        constraints = [
            # The case page's post form: two clicks on Share store one post (cases/services/posts.py post_create).
            models.UniqueConstraint(fields=["client_token"], name="post_client_token_once"),
        ]

    def __str__(self) -> str:
        return f"Post on #{self.case.number} by {self.author or 'Support'}"


class Recipient(models.Model):
    """A person who gets an e-mail about every public change of the case (SPEC §5)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="case_subscriptions")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="recipient_once_per_case")]

    def __str__(self) -> str:
        return f"{self.user} on #{self.case.number}"


# ---------------------------------------------------------------------------------------------------------------
# The case page: attachments and the impact assessment.


class Attachment(models.Model):
    """A file attached to a post (SPEC §4). Stored outside any public URL under a random name, and downloaded
    only through the authorized view at ``/attachments/<key>/<name>`` (``cases.views.detail.download``).
    An attachment of an internal note is as internal as the note."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="Used in its URL.")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=255, help_text="The file name as uploaded, cleaned.")
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    content_type = models.CharField(max_length=100, help_text="Chosen by the server from the checked type.")
    file = models.FileField(storage=private_storage, upload_to=random_storage_name, max_length=200)
    inline = models.BooleanField(default=False, help_text="Pasted into the post's text as an image.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The case page's attachments area: every file of one case, newest first.
            models.Index(fields=["case", "-created_at"], name="attachment_case_time"),
            # The orphaned-files sweep (cases/orphaned_files.py): whether a row names a stored file.
            models.Index(fields=["file"], name="attachment_file"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        from django.urls import reverse

        return reverse("attachment", kwargs={"key": self.key, "name": self.name})

    @property
    def type_label(self) -> str:
        """PDF, PNG, DOCX …: the checked extension, for the file's icon."""
        stem, dot, ext = self.name.rpartition(".")
        return ext.upper()[:4] if dot and stem else "FILE"


class Disruption(models.TextChoices):
    MINIMAL = "minimal", "Minimal: work goes on as usual"
    MODERATE = "moderate", "Moderate: work is slowed down"
    SEVERE = "severe", "Severe: work has stopped"


class ImpactAssessment(models.Model):
    """Support's impact assessment of a case (SPEC §3.5, seed 000 "Case Review & Troubleshooting")."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="impact")
    disruption = models.CharField("level of disruption", max_length=16, choices=Disruption.choices)
    cannot_perform_daily_functions = models.BooleanField("unable to perform daily functions", default=False)
    workaround_exists = models.BooleanField("a viable workaround exists", default=False)
    multiple_districts = models.BooleanField("multiple districts affected", default=False)
    multiple_users = models.BooleanField("multiple users affected", default=False)
    assessed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Impact of #{self.case.number}: {self.get_disruption_display()}"


class SavedReply(models.Model):
    """A text advisors keep for what they write often, inserted into the work page's composer and edited there
    before it is sent."""

    title = models.CharField(max_length=100, unique=True, validators=[single_line])
    body = models.TextField(help_text="Plain text. Leave a blank line between paragraphs.")
    is_active = models.BooleanField(
        default=True, help_text="Only active replies are offered in the composer."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "saved replies"

    def __str__(self) -> str:
        return self.title


class FollowUpSequence(models.Model):
    """One stay of a case in Pending Customer Verification and its 3x10 schedule (SPEC §8, CALENDAR.md §6).

    Started when the case enters the status, with the moments ``portal.lib.businesstime.followup_schedule``
    computes stored here: three follow-ups and the automatic close. ``next_step`` and ``next_due_at`` say what
    the job does next and when (indexed: the job reads only due rows). It ends when the case leaves the status
    (a contact's reply, an advisor's change, a close); entering the status again starts a new sequence with the
    next ``number``. A contact may ask once per sequence for more time, which moves the remaining moments.
    """

    # The step numbers: the follow-ups are 1, 2 and 3; the automatic close is the last step.
    CLOSE_STEP = 4

    class End(models.TextChoices):
        REPLIED = "replied", "The district replied"
        STATUS_CHANGED = "status_changed", "Support changed the status"
        CLOSED = "closed", "Closed by a person"
        AUTO_CLOSED = "auto_closed", "Closed automatically"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followup_sequences")
    number = models.PositiveIntegerField(help_text="1 for the case's first stay in the status, then 2, 3…")
    entered_at = models.DateTimeField()
    followup_1_at = models.DateTimeField()
    followup_2_at = models.DateTimeField()
    followup_3_at = models.DateTimeField()
    close_at = models.DateTimeField(help_text="The automatic close, unless the district replies first.")
    next_step = models.PositiveSmallIntegerField(null=True, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True)
    more_time_at = models.DateTimeField(null=True, blank=True)
    more_time_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    more_time_days = models.PositiveSmallIntegerField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=End.choices, blank=True)

    class Meta:
        indexes = [
            # The 3x10 job (cases/jobs.py): running sequences by the moment of their next step.
            models.Index(fields=["next_due_at"], condition=Q(next_due_at__isnull=False), name="followup_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="followup_sequence_number_once"),
            models.UniqueConstraint(
                fields=["case"], condition=Q(ended_at__isnull=True), name="followup_one_running_per_case"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(next_due_at__isnull=True),
                name="followup_ended_has_nothing_due",
            ),
        ]

    def __str__(self) -> str:
        return f"3x10 follow-up {self.number} of #{self.case.number}"

    def moment(self, step: int) -> datetime:
        """When ``step`` is due: a follow-up (1-3) or the automatic close."""
        if step == self.CLOSE_STEP:
            return self.close_at
        moment: datetime = getattr(self, f"followup_{step}_at")
        return moment

    @property
    def followups(self) -> list[datetime]:
        return [self.followup_1_at, self.followup_2_at, self.followup_3_at]

    @property
    def running(self) -> bool:
        return self.ended_at is None

    @property
    def schedule(self) -> list[tuple[str, datetime, bool]]:
        """Each step as (what, when, taken), for the advisors' work page."""
        upcoming = self.next_step or self.CLOSE_STEP + 1
        steps = [(f"Follow-up {n}", at, n < upcoming) for n, at in enumerate(self.followups, start=1)]
        return [*steps, ("Automatic close", self.close_at, upcoming > self.CLOSE_STEP)]


class FollowUpStep(models.Model):
    """A step of a 3x10 sequence that was taken: a follow-up posted and e-mailed, or the automatic close. The
    unique constraint makes each step happen once, whatever runs the job (two workers, two beats, a rerun).
    ``skipped``: the step was overdue when a later one was already due (the job was not running); it was
    recorded, not sent (docs/operations.md, "3x10 follow-up")."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    sequence = models.ForeignKey(FollowUpSequence, on_delete=models.CASCADE, related_name="steps")
    step = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField()
    done_at = models.DateTimeField()
    skipped = models.BooleanField(default=False)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "sequence", "step"], name="followup_step_once"),
        ]

    def __str__(self) -> str:
        return f"Step {self.step} of {self.sequence}"
