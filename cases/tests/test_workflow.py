"""The case workflow (SPEC §3.2), through the services every caller uses (DESIGN §2 rules 2-3).

The expected answer for every (from, to) pair is written below from the SPEC's words, independently of
``cases.workflow.TRANSITIONS``; the tests compare the services against it. A refused change must raise and
leave nothing behind (RELIABILITY §2): status, last-modified, events, posts and queued e-mail unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from cases.models import Case, CaseEvent, Post, Release
from cases.services import case_assign, case_close, case_reopen, case_set_status, post_create
from cases.tests.factories import CaseFactory, DevIssueFactory, put_in_status, submit_case
from cases.workflow import Status, WorkflowError
from contacts.models import Membership
from contacts.tests.factories import AdvisorFactory
from outbox.models import OutboundEmail
from portal.lib import businesstime
from tests.helpers import run_together

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
S = Status
ALL = list(Status)
OPEN = [s for s in Status if s != S.CLOSED]
RESOLUTION = "<p>We re-ran the grade book sync; the totals are right again.</p>"
REOPEN_DETAILS = "<p>The totals are wrong again for Period 3.</p>"
RELEASE_NAME = "2026.11 Release Pack"


# --- the expectation, from SPEC §3.2 ------------------------------------------------------------------------

# "An open case moves between Assigned, Assist Request, Pending Customer Input, Scheduled, Assigned to
# Development, Pending Customer Verification by advisor action."
WORKING = {
    S.ASSIGNED,
    S.ASSIST_REQUEST,
    S.PENDING_CUSTOMER_INPUT,
    S.SCHEDULED,
    S.ASSIGNED_TO_DEVELOPMENT,
    S.PENDING_CUSTOMER_VERIFICATION,
}


def advisor_may(source: Status, target: Status) -> bool:
    """May an advisor (with every requirement at hand) move a case from ``source`` to ``target``?"""
    if source == target:
        return False  # not a change
    if target == S.CLOSED:
        return source != S.CLOSED  # any open case can be closed
    if target == S.REOPENED:
        return source == S.CLOSED  # Closed → Re-Opened, within the window
    if source == S.CLOSED or target == S.NEW:
        return False  # a closed case only re-opens; nothing goes back to New
    if target == S.AVAILABLE_IN_RELEASE:
        return source == S.ASSIGNED_TO_DEVELOPMENT  # the development issue's fix ships (§3.4)
    # target is a working status
    if source in (S.NEW, S.REOPENED):
        return target == S.ASSIGNED  # "New → Assigned", "Re-Opened → Assigned when an advisor picks it up"
    # Between working statuses; Available in Release is an open case too, and the advisor may take it back
    # to work (for example when the release did not fix it for the district).
    return True


def contact_may_close(source: Status) -> bool:
    """ "Authorized contacts may close any open case of their district at any time.\""""
    return source != S.CLOSED


def contact_may_reopen(source: Status) -> bool:
    """ "Closed → Re-Opened by an authorized contact within 60 calendar days of closing.\""""
    return source == S.CLOSED


# --- set-up and observation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    status: str
    updated_at: datetime
    closed_at: datetime | None
    assigned_to_id: int | None
    dev_issue_id: int | None
    release_id: int | None
    first_response_at: datetime | None
    events: int
    posts: int
    outbox: int
    releases: int


def snapshot(case: Case) -> Snapshot:
    row = Case.objects.get(pk=case.pk)
    return Snapshot(
        status=row.status,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
        assigned_to_id=row.assigned_to_id,
        dev_issue_id=row.dev_issue_id,
        release_id=row.release_id,
        first_response_at=row.first_response_at,
        events=CaseEvent.objects.count(),
        posts=Post.objects.count(),
        outbox=OutboundEmail.objects.count(),
        releases=Release.objects.count(),
    )


def status_events(case: Case) -> list[CaseEvent]:
    return list(
        CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.STATUS_CHANGED).order_by("created_at", "pk")
    )


@pytest.fixture
def new_case(personas):
    return submit_case(district=personas.district_a, contact=personas.support)


@pytest.fixture
def case_in(personas, new_case) -> Callable[[Status], Case]:
    """The district A case put into a status an hour ago (closed an hour ago: inside the reopen window),
    with an advisor assigned (also when New, so that New → Assigned has its assignee)."""

    def _case_in(status: Status) -> Case:
        return put_in_status(
            new_case, status, advisor=personas.advisor, at=timezone.now() - timedelta(hours=1)
        )

    return _case_in


def assert_applied(case: Case, before: Snapshot, source: Status, target: Status, actor: Any) -> Case:
    after = Case.objects.get(pk=case.pk)
    assert after.status == target
    assert after.updated_at > before.updated_at
    assert after.status_changed_at == after.updated_at
    assert (after.closed_at is not None) == (target == S.CLOSED)
    last = status_events(case)[-1]
    assert (last.old, last.new, last.actor) == (source, target, actor)
    assert len(status_events(case)) == 1  # the set-up wrote none: exactly this change was recorded
    return after


def advisor_moves(personas, case: Case, target: Status) -> Case:
    """The advisor asks for ``target`` through the service made for it, with every requirement given."""
    if target == S.CLOSED:
        return case_close(actor=personas.advisor, case=case)
    if target == S.REOPENED:
        return case_reopen(actor=personas.advisor, case=case, details=REOPEN_DETAILS)
    return case_set_status(
        actor=personas.advisor,
        case=case,
        status=target,
        resolution=RESOLUTION,
        dev_issue=DevIssueFactory(),
        release_name=RELEASE_NAME,
        scheduled_for=businesstime.nth_business_day_after(timezone.localdate(), 1),
    )


# --- the advisor: every pair ----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ALL, ids=str)
@pytest.mark.parametrize("source", ALL, ids=str)
def test_advisor_status_change_is_applied_or_refused_as_the_workflow_says(personas, case_in, source, target):
    case = case_in(source)
    before = snapshot(case)
    if advisor_may(source, target):
        advisor_moves(personas, case, target)
        assert_applied(case, before, source, target, personas.advisor)
    else:
        with pytest.raises(WorkflowError):
            advisor_moves(personas, case, target)
        assert snapshot(case) == before


def test_the_expectation_covers_every_status():
    # Guard against a status added to the product but not to this file's expectation.
    assert {*WORKING, S.NEW, S.AVAILABLE_IN_RELEASE, S.CLOSED, S.REOPENED} == set(Status)


@pytest.mark.parametrize("source", ALL, ids=str)
def test_nothing_moves_a_case_back_to_new(personas, case_in, source):
    case = case_in(source)
    before = snapshot(case)
    with pytest.raises(WorkflowError):
        case_set_status(actor=personas.advisor, case=case, status=S.NEW)
    assert snapshot(case) == before


def test_set_status_cannot_reopen_around_the_window_and_the_details(personas, new_case):
    case = put_in_status(
        new_case, S.CLOSED, advisor=personas.advisor, at=timezone.now() - timedelta(days=200)
    )
    before = snapshot(case)
    with pytest.raises(WorkflowError):
        case_set_status(actor=personas.advisor, case=case, status=S.REOPENED)
    assert snapshot(case) == before


# --- the district's contacts ------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ALL, ids=str)
def test_support_contact_may_close_any_open_case(personas, case_in, source):
    case = case_in(source)
    before = snapshot(case)
    if contact_may_close(source):
        case_close(actor=personas.support, case=case)
        assert_applied(case, before, source, S.CLOSED, personas.support)
        assert status_events(case)[-1].data == {"by": "contact"}
    else:
        with pytest.raises(WorkflowError, match="already Closed"):
            case_close(actor=personas.support, case=case)
        assert snapshot(case) == before


@pytest.mark.parametrize("source", ALL, ids=str)
def test_support_contact_may_reopen_only_a_closed_case(personas, case_in, source):
    case = case_in(source)
    before = snapshot(case)
    if contact_may_reopen(source):
        case_reopen(actor=personas.support, case=case, details=REOPEN_DETAILS)
        after = assert_applied(case, before, source, S.REOPENED, personas.support)
        post = after.posts.get()
        assert (post.author, post.is_internal) == (personas.support, False)
        assert "wrong again for Period 3" in post.body
        assert status_events(case)[-1].data == {"details_post": post.pk}
    else:
        with pytest.raises(WorkflowError):
            case_reopen(actor=personas.support, case=case, details=REOPEN_DETAILS)
        assert snapshot(case) == before


@pytest.mark.parametrize("persona", ["support", "technical", "implementation"])
def test_every_authorized_role_may_close_and_reopen(personas, case_in, persona):
    user = getattr(personas, persona)
    case = case_in(S.ASSIGNED)
    case_close(actor=user, case=case)
    case_reopen(actor=user, case=case, details=REOPEN_DETAILS)
    assert Case.objects.get(pk=case.pk).status == S.REOPENED


@pytest.mark.parametrize("target", ALL, ids=str)
def test_a_contact_cannot_set_a_status(personas, case_in, target):
    case = case_in(S.ASSIGNED)
    before = snapshot(case)
    with pytest.raises(PermissionDenied):
        case_set_status(actor=personas.support, case=case, status=target, resolution=RESOLUTION)
    assert snapshot(case) == before


@pytest.mark.parametrize("source", [S.PENDING_CUSTOMER_INPUT, S.PENDING_CUSTOMER_VERIFICATION], ids=str)
def test_contact_post_on_a_case_waiting_on_the_district_hands_it_back_to_the_advisor(
    personas, case_in, source
):
    case = case_in(source)
    before = snapshot(case)
    post = post_create(
        author=personas.support, case=case, body="<p>Here is the screenshot you asked for.</p>"
    )
    after = assert_applied(case, before, source, S.ASSIGNED, personas.support)
    assert after.assigned_to == personas.advisor
    assert (post.author, post.is_internal, post.case_id) == (personas.support, False, case.pk)
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert CaseEvent.Kind.POST_ADDED in kinds


@pytest.mark.parametrize(
    "source",
    [s for s in OPEN if s not in (S.PENDING_CUSTOMER_INPUT, S.PENDING_CUSTOMER_VERIFICATION)],
    ids=str,
)
def test_contact_post_on_other_open_statuses_keeps_the_status(personas, case_in, source):
    case = case_in(source)
    before = snapshot(case)
    post_create(author=personas.support, case=case, body="<p>Any news?</p>")
    after = Case.objects.get(pk=case.pk)
    assert after.status == source
    assert after.updated_at > before.updated_at
    assert status_events(case) == []
    assert Post.objects.count() == before.posts + 1


def test_contact_cannot_post_on_a_closed_case(personas, case_in):
    case = case_in(S.CLOSED)
    before = snapshot(case)
    with pytest.raises(WorkflowError, match="Re-open"):
        post_create(author=personas.support, case=case, body="<p>Still broken.</p>")
    assert snapshot(case) == before


def test_advisor_post_on_a_waiting_case_keeps_the_status(personas, case_in):
    case = case_in(S.PENDING_CUSTOMER_INPUT)
    post_create(author=personas.advisor, case=case, body="<p>Reminder: we need the screenshot.</p>")
    assert Case.objects.get(pk=case.pk).status == S.PENDING_CUSTOMER_INPUT
    assert status_events(case) == []


CONTACT_ACTIONS: dict[str, Callable[[Any, Case], Any]] = {
    "close": lambda user, case: case_close(actor=user, case=case),
    "reopen": lambda user, case: case_reopen(actor=user, case=case, details=REOPEN_DETAILS),
    "post": lambda user, case: post_create(author=user, case=case, body="<p>Hello</p>"),
}
STATUS_FOR_ACTION = {"close": S.PENDING_CUSTOMER_INPUT, "reopen": S.CLOSED, "post": S.PENDING_CUSTOMER_INPUT}


@pytest.mark.parametrize("action", sorted(CONTACT_ACTIONS))
@pytest.mark.parametrize("persona", ["read_only", "other_district", "deactivated"])
def test_read_only_outsider_and_deactivated_contacts_cannot_close_reopen_or_post(
    personas, case_in, persona, action
):
    case = case_in(STATUS_FOR_ACTION[action])
    before = snapshot(case)
    with pytest.raises(PermissionDenied):
        CONTACT_ACTIONS[action](getattr(personas, persona), case)
    assert snapshot(case) == before


def test_a_contact_whose_membership_was_turned_off_cannot_close(personas, case_in):
    case = case_in(S.ASSIGNED)
    Membership.objects.filter(user=personas.support).update(is_active=False)
    before = snapshot(case)
    with pytest.raises(PermissionDenied):
        case_close(actor=personas.support, case=case)
    assert snapshot(case) == before


def test_contacts_cannot_write_internal_notes(personas, case_in):
    case = case_in(S.ASSIGNED)
    before = snapshot(case)
    with pytest.raises(PermissionDenied):
        post_create(author=personas.support, case=case, body="<p>psst</p>", internal=True)
    assert snapshot(case) == before


def test_the_portal_itself_may_close_only_from_pending_customer_verification(personas, case_in):
    # The 3x10 auto-close (SPEC §8) acts without a person.
    case = case_in(S.ASSIGNED)
    before = snapshot(case)
    with pytest.raises(WorkflowError):
        case_close(actor=None, case=case)
    assert snapshot(case) == before
    case = put_in_status(case, S.PENDING_CUSTOMER_VERIFICATION, advisor=personas.advisor)
    case_close(actor=None, case=case)
    event = status_events(case)[-1]
    assert (event.old, event.new, event.actor, event.data) == (
        S.PENDING_CUSTOMER_VERIFICATION,
        S.CLOSED,
        None,
        {"by": "system"},
    )


# --- what a transition requires ---------------------------------------------------------------------------


@pytest.mark.parametrize("resolution", ["", "   ", "<p> </p>", "<script>alert(1)</script>"])
def test_pending_customer_verification_requires_a_written_resolution(personas, case_in, resolution):
    case = case_in(S.ASSIGNED)
    before = snapshot(case)
    with pytest.raises(ValidationError, match="resolution"):
        case_set_status(
            actor=personas.advisor, case=case, status=S.PENDING_CUSTOMER_VERIFICATION, resolution=resolution
        )
    assert snapshot(case) == before


WEDNESDAY_10AM = datetime(2026, 4, 15, 10, 0, tzinfo=CHICAGO)


def submitted_on_wednesday(personas) -> Case:
    case = submit_case(district=personas.district_a, contact=personas.support, now=WEDNESDAY_10AM)
    # Medium: one business day (12 business hours) → Thursday 10:00.
    assert case.first_response_due_at == datetime(2026, 4, 16, 10, 0, tzinfo=CHICAGO)
    return put_in_status(case, S.ASSIGNED, advisor=personas.advisor, at=WEDNESDAY_10AM)


@pytest.mark.parametrize(
    ("answered_at", "met"),
    [
        (datetime(2026, 4, 15, 15, 0, tzinfo=CHICAGO), True),
        (datetime(2026, 4, 16, 10, 0, tzinfo=CHICAGO), True),  # exactly at the due time
        (datetime(2026, 4, 16, 10, 1, tzinfo=CHICAGO), False),
    ],
)
def test_the_resolution_is_a_public_post_and_the_first_response(personas, answered_at, met):
    case = submitted_on_wednesday(personas)
    case_set_status(
        actor=personas.advisor,
        case=case,
        status=S.PENDING_CUSTOMER_VERIFICATION,
        resolution=RESOLUTION,
        now=answered_at,
    )
    case = Case.objects.get(pk=case.pk)
    post = case.posts.get()
    assert (post.author, post.is_internal, post.created_at) == (personas.advisor, False, answered_at)
    assert "totals are right again" in post.body
    assert (case.first_response_at, case.first_response_met) == (answered_at, met)
    assert status_events(case)[-1].data == {"resolution_post": post.pk}


def test_the_first_response_is_recorded_once(personas):
    case = submitted_on_wednesday(personas)
    first = datetime(2026, 4, 15, 11, 0, tzinfo=CHICAGO)
    case_set_status(
        actor=personas.advisor,
        case=case,
        status=S.PENDING_CUSTOMER_VERIFICATION,
        resolution=RESOLUTION,
        now=first,
    )
    case_set_status(actor=personas.advisor, case=case, status=S.ASSIGNED, now=first + timedelta(hours=1))
    case_set_status(
        actor=personas.advisor,
        case=case,
        status=S.PENDING_CUSTOMER_VERIFICATION,
        resolution="<p>Second try.</p>",
        now=datetime(2026, 4, 20, 11, 0, tzinfo=CHICAGO),
    )
    case = Case.objects.get(pk=case.pk)
    assert (case.first_response_at, case.first_response_met) == (first, True)
    assert case.posts.count() == 2


def test_an_internal_note_is_not_a_first_response(personas):
    case = submitted_on_wednesday(personas)
    post_create(author=personas.advisor, case=case, body="<p>Looking at the logs.</p>", internal=True)
    assert Case.objects.get(pk=case.pk).first_response_at is None


def test_assigned_to_development_requires_a_development_issue(personas, case_in):
    case = case_in(S.ASSIGNED)
    before = snapshot(case)
    with pytest.raises(ValidationError, match="development issue"):
        case_set_status(actor=personas.advisor, case=case, status=S.ASSIGNED_TO_DEVELOPMENT)
    assert snapshot(case) == before


def test_linking_a_development_issue_is_recorded(personas, case_in):
    case = case_in(S.ASSIGNED)
    issue = DevIssueFactory(number="DEV-48213")
    case_set_status(actor=personas.advisor, case=case, status=S.ASSIGNED_TO_DEVELOPMENT, dev_issue=issue)
    case = Case.objects.get(pk=case.pk)
    assert case.dev_issue == issue
    linked = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.DEV_ISSUE_LINKED)
    assert (linked.new, linked.actor) == (str(issue.pk), personas.advisor)


def test_a_case_already_linked_to_a_development_issue_needs_no_new_one(personas, case_in):
    case = case_in(S.AVAILABLE_IN_RELEASE)
    issue = case.dev_issue
    case_set_status(actor=personas.advisor, case=case, status=S.ASSIGNED_TO_DEVELOPMENT)
    assert Case.objects.get(pk=case.pk).dev_issue == issue
    assert not CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.DEV_ISSUE_LINKED).exists()


@pytest.mark.parametrize("release_name", ["", "   "])
def test_available_in_release_requires_a_release_name(personas, case_in, release_name):
    case = case_in(S.ASSIGNED_TO_DEVELOPMENT)
    before = snapshot(case)
    with pytest.raises(ValidationError, match="release"):
        case_set_status(
            actor=personas.advisor, case=case, status=S.AVAILABLE_IN_RELEASE, release_name=release_name
        )
    assert snapshot(case) == before


def test_available_in_release_records_the_release_and_reuses_a_known_one(personas, case_in):
    known = Release.objects.create(name=RELEASE_NAME)
    case = case_in(S.ASSIGNED_TO_DEVELOPMENT)
    case_set_status(
        actor=personas.advisor, case=case, status=S.AVAILABLE_IN_RELEASE, release_name=f"  {RELEASE_NAME} "
    )
    assert Case.objects.get(pk=case.pk).release == known
    assert Release.objects.count() == 1
    assert status_events(case)[-1].data == {"release": known.pk}


def test_new_to_assigned_needs_an_assignee(personas, new_case):
    before = snapshot(new_case)
    with pytest.raises(WorkflowError, match="Assign"):
        case_set_status(actor=personas.advisor, case=new_case, status=S.ASSIGNED)
    assert snapshot(new_case) == before


@pytest.mark.parametrize("details", ["", "  ", "<p></p>", "<img src=x onerror=alert(1)>"])
def test_reopening_requires_the_additional_details(personas, case_in, details):
    case = case_in(S.CLOSED)
    before = snapshot(case)
    with pytest.raises(ValidationError) as refused:
        case_reopen(actor=personas.support, case=case, details=details)
    assert "details" in refused.value.message_dict
    assert snapshot(case) == before


# --- the 60-day reopen window (SPEC §3.2, docs/business-time.md §8) ---------------------------------------

REOPEN_WINDOWS = [
    # closed at                                     last moment the case may be re-opened
    pytest.param(
        datetime(2026, 4, 15, 10, 0, tzinfo=CHICAGO),
        datetime(2026, 6, 14, 10, 0, tzinfo=CHICAGO),
        id="summer",
    ),
    pytest.param(
        datetime(2026, 1, 14, 10, 0, tzinfo=CHICAGO),
        datetime(2026, 3, 15, 10, 0, tzinfo=CHICAGO),  # CDT now: 59 days 23 hours later
        id="across-spring-forward",
    ),
    pytest.param(
        datetime(2026, 10, 15, 10, 0, tzinfo=CHICAGO),
        datetime(2026, 12, 14, 10, 0, tzinfo=CHICAGO),  # CST now: 60 days 1 hour later
        id="across-fall-back",
    ),
]


@pytest.mark.parametrize(("closed_at", "deadline"), REOPEN_WINDOWS)
def test_a_case_can_be_reopened_until_the_same_chicago_time_60_days_later(
    personas, new_case, closed_at, deadline
):
    case = put_in_status(new_case, S.CLOSED, advisor=personas.advisor, at=closed_at)
    with time_machine.travel(deadline, tick=False):
        case_reopen(actor=personas.support, case=case, details=REOPEN_DETAILS)
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.closed_at, case.updated_at) == (S.REOPENED, None, deadline)


@pytest.mark.parametrize(("closed_at", "deadline"), REOPEN_WINDOWS)
def test_a_minute_after_the_window_reopening_is_refused_with_a_pointer_to_a_new_case(
    personas, new_case, closed_at, deadline
):
    case = put_in_status(new_case, S.CLOSED, advisor=personas.advisor, at=closed_at)
    before = snapshot(case)
    for actor in (personas.support, personas.advisor):
        with (
            time_machine.travel(deadline + timedelta(minutes=1), tick=False),
            pytest.raises(WorkflowError) as refused,
        ):
            case_reopen(actor=actor, case=case, details=REOPEN_DETAILS)
        assert f"#{case.number}" in str(refused.value)
        assert "new case" in str(refused.value)
    assert snapshot(case) == before


def test_the_window_counts_wall_clock_days_not_24_hour_periods(personas, new_case):
    closed_at = datetime(2026, 1, 14, 10, 0, tzinfo=CHICAGO)
    case = put_in_status(new_case, S.CLOSED, advisor=personas.advisor, at=closed_at)
    # 60 times 24 hours after closing is 11:00 CDT on 15 March: an hour past the deadline.
    sixty_times_24_hours_later = closed_at.astimezone(UTC) + timedelta(days=60)
    assert sixty_times_24_hours_later.astimezone(CHICAGO).hour == 11
    with time_machine.travel(sixty_times_24_hours_later, tick=False), pytest.raises(WorkflowError):
        case_reopen(actor=personas.support, case=case, details=REOPEN_DETAILS)


# --- assigning ----------------------------------------------------------------------------------------------


def test_assigning_a_new_case_makes_it_assigned(personas, new_case):
    case_assign(actor=personas.advisor, case=new_case, assignee=personas.advisor)
    case = Case.objects.get(pk=new_case.pk)
    assert (case.status, case.assigned_to) == (S.ASSIGNED, personas.advisor)
    owner = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.ASSIGNED)
    assert (owner.old, owner.new, owner.actor) == ("", str(personas.advisor.pk), personas.advisor)
    [status] = status_events(case)
    assert (status.old, status.new, status.actor) == (S.NEW, S.ASSIGNED, personas.advisor)


def test_assigning_a_reopened_case_makes_it_assigned(personas, case_in):
    case = case_in(S.REOPENED)
    colleague = AdvisorFactory()
    case_assign(actor=personas.advisor, case=case, assignee=colleague)
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.assigned_to) == (S.ASSIGNED, colleague)
    assert [(e.old, e.new) for e in status_events(case)] == [(S.REOPENED, S.ASSIGNED)]


@pytest.mark.parametrize("source", [s for s in OPEN if s not in (S.NEW, S.REOPENED)], ids=str)
def test_reassigning_an_open_case_changes_the_owner_not_the_status(personas, case_in, source):
    case = case_in(source)
    before = snapshot(case)
    colleague = AdvisorFactory(first_name="Robin", last_name="Ng")
    case_assign(actor=personas.advisor, case=case, assignee=colleague)
    after = Case.objects.get(pk=case.pk)
    assert (after.status, after.assigned_to) == (source, colleague)
    assert after.updated_at > before.updated_at
    owner = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.ASSIGNED)
    assert (owner.old, owner.new, owner.actor) == (
        str(personas.advisor.pk),
        str(colleague.pk),
        personas.advisor,
    )
    assert status_events(case) == []


@pytest.mark.parametrize("assignee", ["support", "read_only", "deactivated_advisor"])
def test_cases_are_assigned_only_to_active_advisors(personas, new_case, assignee):
    user = (
        AdvisorFactory(is_active=False) if assignee == "deactivated_advisor" else getattr(personas, assignee)
    )
    before = snapshot(new_case)
    with pytest.raises(ValidationError) as refused:
        case_assign(actor=personas.advisor, case=new_case, assignee=user)
    assert "assigned_to" in refused.value.message_dict
    assert snapshot(new_case) == before


def test_a_contact_cannot_assign(personas, new_case):
    before = snapshot(new_case)
    with pytest.raises(PermissionDenied):
        case_assign(actor=personas.support, case=new_case, assignee=personas.advisor)
    assert snapshot(new_case) == before


def test_a_closed_case_cannot_be_assigned(personas, case_in):
    case = case_in(S.CLOSED)
    before = snapshot(case)
    with pytest.raises(WorkflowError, match="closed"):
        case_assign(actor=personas.advisor, case=case, assignee=AdvisorFactory())
    assert snapshot(case) == before


# --- two transitions at the same moment -----------------------------------------------------------------------


@pytest.fixture
def bare_case(personas):
    """A case without outbox rows: these tests commit, and committed outbox rows would be sent to the broker."""
    case = CaseFactory(district=personas.district_a, contact=personas.support)
    return put_in_status(case, S.ASSIGNED, advisor=personas.advisor, at=timezone.now() - timedelta(hours=1))


def outcome_kinds(results: list[tuple[str, Any]]) -> list[str]:
    return sorted(kind if kind == "ok" else type(value).__name__ for kind, value in results)


@pytest.mark.django_db(transaction=True)
def test_two_advisors_setting_the_same_status_at_once_apply_it_once(personas, bare_case):
    colleague = AdvisorFactory()
    results = run_together(
        lambda: case_set_status(actor=personas.advisor, case=bare_case, status=S.PENDING_CUSTOMER_INPUT),
        lambda: case_set_status(actor=colleague, case=bare_case, status=S.PENDING_CUSTOMER_INPUT),
    )
    assert outcome_kinds(results) == ["WorkflowError", "ok"]
    assert [(e.old, e.new) for e in status_events(bare_case)] == [(S.ASSIGNED, S.PENDING_CUSTOMER_INPUT)]


@pytest.mark.django_db(transaction=True)
def test_two_contacts_closing_at_once_close_it_once(personas, bare_case):
    results = run_together(
        lambda: case_close(actor=personas.support, case=bare_case),
        lambda: case_close(actor=personas.technical, case=bare_case),
    )
    assert outcome_kinds(results) == ["WorkflowError", "ok"]
    [event] = status_events(bare_case)
    assert (event.old, event.new) == (S.ASSIGNED, S.CLOSED)
    assert Case.objects.get(pk=bare_case.pk).closed_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_contacts_reopening_at_once_reopen_it_once_with_one_post(personas, bare_case):
    case = put_in_status(bare_case, S.CLOSED, advisor=personas.advisor)
    results = run_together(
        lambda: case_reopen(actor=personas.support, case=case, details=REOPEN_DETAILS),
        lambda: case_reopen(actor=personas.implementation, case=case, details=REOPEN_DETAILS),
    )
    assert outcome_kinds(results) == ["WorkflowError", "ok"]
    assert [(e.old, e.new) for e in status_events(case)] == [(S.CLOSED, S.REOPENED)]
    assert Post.objects.filter(case=case).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_contact_closing_while_an_advisor_asks_for_input_never_loses_the_close(personas, bare_case):
    # Either order is legal: close first (the advisor's change is then refused) or the advisor first (the
    # contact may close a case pending their input). The case ends Closed and the events form one chain.
    results = run_together(
        lambda: case_close(actor=personas.support, case=bare_case),
        lambda: case_set_status(actor=personas.advisor, case=bare_case, status=S.PENDING_CUSTOMER_INPUT),
    )
    close_result, advisor_result = results
    assert close_result[0] == "ok"
    case = Case.objects.get(pk=bare_case.pk)
    assert case.status == S.CLOSED
    chain = [(e.old, e.new) for e in status_events(case)]
    if advisor_result[0] == "ok":
        assert chain == [(S.ASSIGNED, S.PENDING_CUSTOMER_INPUT), (S.PENDING_CUSTOMER_INPUT, S.CLOSED)]
    else:
        assert isinstance(advisor_result[1], WorkflowError)
        assert chain == [(S.ASSIGNED, S.CLOSED)]


@pytest.mark.django_db(transaction=True)
def test_two_advisors_taking_a_new_case_at_once_move_it_to_assigned_once(personas):
    case = CaseFactory(district=personas.district_a, contact=personas.support)
    colleague = AdvisorFactory()
    results = run_together(
        lambda: case_assign(actor=personas.advisor, case=case, assignee=personas.advisor),
        lambda: case_assign(actor=colleague, case=case, assignee=colleague),
    )
    assert all(kind in ("ok", "error") for kind, _ in results)
    assert [(e.old, e.new) for e in status_events(case)] == [(S.NEW, S.ASSIGNED)]
    assert Case.objects.get(pk=case.pk).assigned_to in (personas.advisor, colleague)


@pytest.mark.django_db(transaction=True)
def test_the_advisor_who_loses_the_race_for_a_new_case_is_told(personas):
    case = CaseFactory(district=personas.district_a, contact=personas.support)
    colleague = AdvisorFactory()
    results = run_together(
        lambda: case_assign(actor=personas.advisor, case=case, assignee=personas.advisor, take=True),
        lambda: case_assign(actor=colleague, case=case, assignee=colleague, take=True),
    )
    assert outcome_kinds(results) == ["WorkflowError", "ok"]
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ASSIGNED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_changing_two_cases_of_one_district_at_once_neither_waits_for_the_other(personas, bare_case):
    """A case write locks its own row and nothing the district's other cases share: while one advisor's change
    to a case is still uncommitted, a colleague's change to another case of the same district goes through at
    once (it may not wait even a fifth of a second for a lock)."""
    other = CaseFactory(district=personas.district_a, contact=personas.support)
    other = put_in_status(other, S.ASSIGNED, advisor=personas.advisor, at=timezone.now() - timedelta(hours=1))
    colleague = AdvisorFactory()
    held, release = threading.Event(), threading.Event()

    def hold_a_change_open() -> None:
        with transaction.atomic():
            case_set_status(actor=personas.advisor, case=bare_case, status=S.PENDING_CUSTOMER_INPUT)
            held.set()
            release.wait(timeout=10)

    def change_the_other_case() -> None:
        assert held.wait(timeout=10)
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '200ms'")
                case_set_status(actor=colleague, case=other, status=S.ASSIST_REQUEST)
        finally:
            release.set()

    first, second = run_together(hold_a_change_open, change_the_other_case)
    assert second == ("ok", None)
    assert first == ("ok", None)
    assert Case.objects.get(pk=other.pk).status == S.ASSIST_REQUEST
    assert Case.objects.get(pk=bare_case.pk).status == S.PENDING_CUSTOMER_INPUT
