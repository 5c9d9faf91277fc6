"""Factories and set-up helpers for case tests.

``submit_case`` creates a case the way the product does (through ``case_submit``: recipients, CREATED event,
outbox rows). ``CaseFactory`` writes a bare row (no recipients, events or e-mail) for tests that only need a
case to exist. ``put_in_status`` moves a case into any status for test set-up only, keeping the database
invariants (``closed_at`` iff Closed) and the workflow's preconditions (an advisor assigned past New).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import factory
from django.utils import timezone

from cases.casetypes import CaseType
from cases.models import Case, Category, DevIssue, Module, Priority, Release
from cases.selectors.reopen import window_end
from cases.services import case_submit
from cases.workflow import Status
from contacts.models import District, User
from contacts.tests.factories import AdvisorFactory, DistrictFactory, UserFactory
from portal.lib import businesstime


class ModuleFactory(factory.django.DjangoModelFactory):
    """Get-or-create by name: the seeded modules disappear after a ``transaction=True`` test flushes the
    tables, so tests create the modules they use."""

    class Meta:
        model = Module
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Module {n:03d}")


class ReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Release

    name = factory.Sequence(lambda n: f"2026.{n} Release Pack")


class DevIssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DevIssue

    number = factory.Sequence(lambda n: f"DEV-{48000 + n}")
    title = factory.Sequence(lambda n: f"Grade book totals wrong after term change ({n})")


class CaseFactory(factory.django.DjangoModelFactory):
    """A bare case row (no recipients, events or outbox rows)."""

    class Meta:
        model = Case

    district = factory.SubFactory(DistrictFactory)
    contact = factory.SubFactory(UserFactory)
    submitted_by = factory.SelfAttribute("contact")
    case_type = CaseType.ASK_QUESTION
    team = "campus_support"
    priority = Priority.MEDIUM
    subject = factory.Sequence(lambda n: f"How do I end date an enrollment? ({n})")
    description = "Step by step, please."
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")
    public_updated_at = factory.SelfAttribute("updated_at")
    status_changed_at = factory.SelfAttribute("created_at")
    first_response_due_at = factory.SelfAttribute("created_at")


class CallerCaseFactory(CaseFactory):
    """A bare emergency case opened by an advisor for an unauthorized caller (SPEC §3.6): no contact, the
    caller's name and phone instead."""

    contact = None
    caller_name = "Pat Lee"
    caller_phone = "555-0142"
    submitted_by = factory.SubFactory(AdvisorFactory)
    category = Category.ADMIN


def submit_case(
    *,
    district: District,
    contact: User,
    submitter: User | None = None,
    case_type: CaseType = CaseType.ASK_QUESTION,
    subject: str = "Where can I find the attendance report?",
    description: str = "We looked under Reports and could not find it.",
    priority: Priority = Priority.MEDIUM,
    module: Module | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Case:
    """A case submitted through the service, exactly as the portal does it."""
    return case_submit(
        submitter=submitter or contact,
        district=district,
        contact=contact,
        case_type=case_type,
        subject=subject,
        description=description,
        priority=priority,
        module=module,
        details=details or {},
        now=now,
    )


def put_in_status(
    case: Case,
    status: Status,
    *,
    advisor: User | None = None,
    at: datetime | None = None,
    dev_issue: DevIssue | None = None,
    release: Release | None = None,
) -> Case:
    """Test set-up only: put ``case`` into ``status`` with a direct update, bypassing the workflow.

    ``closed_at`` (and the reopen window's end) is set exactly when the status is Closed (``case_closed_at_iff_closed``); statuses past New
    get ``advisor`` as the assignee (required), Assigned to Development and Available in Release get a
    development issue, Available in Release a release, Scheduled a date a week of business days ahead. Returns the case re-read from the database.
    """
    at = at or timezone.now()
    status = Status(status)
    if status != Status.NEW and advisor is None:
        raise ValueError(f"A case in {status.label} needs an assigned advisor: pass advisor=.")
    if status in (Status.ASSIGNED_TO_DEVELOPMENT, Status.AVAILABLE_IN_RELEASE) and dev_issue is None:
        dev_issue = DevIssueFactory()
    if status == Status.AVAILABLE_IN_RELEASE and release is None:
        release = ReleaseFactory()
    Case.objects.filter(pk=case.pk).update(
        status=status,
        assigned_to=advisor,
        dev_issue=dev_issue,
        release=release,
        status_changed_at=at,
        updated_at=at,
        public_updated_at=at,
        closed_at=at if status == Status.CLOSED else None,
        reopen_window_ends_at=window_end(at) if status == Status.CLOSED else None,
        scheduled_for=businesstime.nth_business_day_after(timezone.localdate(at), 5)
        if status == Status.SCHEDULED
        else None,
    )
    return Case.objects.get(pk=case.pk)
