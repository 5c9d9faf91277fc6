"""The case status workflow (SPEC §3.1, §3.2) as data, in one place.

Services check every status change against ``TRANSITIONS``; templates read the same table (through
``allowed_targets``) to decide which buttons to show. A change that is not in the table is refused with a
``WorkflowError`` and changes nothing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.db import models


class Status(models.TextChoices):
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    ASSIST_REQUEST = "assist_request", "Assist Request"
    PENDING_CUSTOMER_INPUT = "pending_input", "Pending Customer Input"
    PENDING_CUSTOMER_VERIFICATION = "pending_verification", "Pending Customer Verification"
    SCHEDULED = "scheduled", "Scheduled"
    ASSIGNED_TO_DEVELOPMENT = "assigned_to_development", "Assigned to Development"
    AVAILABLE_IN_RELEASE = "available_in_release", "Available in Release"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Re-Opened"


# What each status means, in the vendor's words (seed 000, "Status"); shown on hover and in the admin.
STATUS_MEANINGS: dict[Status, str] = {
    Status.NEW: "The case has been created but not yet assigned to a support advisor.",
    Status.ASSIGNED: "The case is assigned to a support advisor who is working on it.",
    Status.ASSIST_REQUEST: "The case is waiting on the input of an internal support resource.",
    Status.PENDING_CUSTOMER_INPUT: "Support needs more information from the district to continue.",
    Status.PENDING_CUSTOMER_VERIFICATION: "A resolution was posted and awaits the district's confirmation.",
    Status.SCHEDULED: "The action the request needs is scheduled for a future date, such as a planned training.",
    Status.ASSIGNED_TO_DEVELOPMENT: "The case was escalated to Development to change the product.",
    Status.AVAILABLE_IN_RELEASE: "The fix for this case is available in a release.",
    Status.CLOSED: "The case is resolved and complete.",
    Status.REOPENED: "The district re-opened the closed case; it awaits a support advisor.",
}

OPEN_STATUSES = frozenset(set(Status) - {Status.CLOSED})
# Statuses an advisor moves an open case between (SPEC §3.2 second bullet).
WORKING_STATUSES = frozenset(
    {
        Status.ASSIGNED,
        Status.ASSIST_REQUEST,
        Status.PENDING_CUSTOMER_INPUT,
        Status.SCHEDULED,
        Status.ASSIGNED_TO_DEVELOPMENT,
        Status.PENDING_CUSTOMER_VERIFICATION,
    }
)
# A contact's post on a case in one of these hands the ball back to the advisor (→ Assigned).
WAITING_ON_DISTRICT = frozenset({Status.PENDING_CUSTOMER_INPUT, Status.PENDING_CUSTOMER_VERIFICATION})


class Move(enum.StrEnum):
    """Whose move it is on an open case: who has to act next for it to go forward."""

    SUPPORT = "support"
    DISTRICT = "district"
    DEVELOPMENT = "development"
    SCHEDULED = "scheduled"


# Whose move each open status means. A contact's post always hands the move back to support (it moves a case
# waiting on the district to Assigned); Available in Release waits on the district to take the release.
WHOSE_MOVE: dict[Status, Move] = {
    Status.NEW: Move.SUPPORT,
    Status.ASSIGNED: Move.SUPPORT,
    Status.ASSIST_REQUEST: Move.SUPPORT,
    Status.REOPENED: Move.SUPPORT,
    Status.PENDING_CUSTOMER_INPUT: Move.DISTRICT,
    Status.PENDING_CUSTOMER_VERIFICATION: Move.DISTRICT,
    Status.AVAILABLE_IN_RELEASE: Move.DISTRICT,
    Status.ASSIGNED_TO_DEVELOPMENT: Move.DEVELOPMENT,
    Status.SCHEDULED: Move.SCHEDULED,
}


class Actor(enum.StrEnum):
    """Who asks for a change: an advisor, an authorized district contact, or the portal's own jobs."""

    ADVISOR = "advisor"
    CONTACT = "contact"
    SYSTEM = "system"


class Requirement(enum.StrEnum):
    """What a transition needs besides permission; the service checks each before writing."""

    ASSIGNEE = "an assigned advisor"
    RESOLUTION_POST = "a written resolution (a public post)"
    DEV_ISSUE = "a linked development issue"
    RELEASE = "a release name"
    SCHEDULED_DATE = "the date of the planned action (a business day)"
    REOPEN_DETAILS = "a post with the additional details"
    REOPEN_WINDOW = "the 60-day reopen window"


@dataclass(frozen=True)
class Transition:
    source: Status
    target: Status
    actors: frozenset[Actor]
    requires: frozenset[Requirement] = frozenset()


def _build() -> dict[tuple[Status, Status], Transition]:
    table: dict[tuple[Status, Status], Transition] = {}

    def allow(source: Status, target: Status, *actors: Actor, requires: tuple[Requirement, ...] = ()) -> None:
        table[(source, target)] = Transition(source, target, frozenset(actors), frozenset(requires))

    extra = {
        Status.ASSIGNED: (Requirement.ASSIGNEE,),
        Status.PENDING_CUSTOMER_VERIFICATION: (Requirement.RESOLUTION_POST,),
        Status.ASSIGNED_TO_DEVELOPMENT: (Requirement.DEV_ISSUE,),
        Status.SCHEDULED: (Requirement.SCHEDULED_DATE,),
    }
    # An advisor takes (or is given) a new or re-opened case.
    allow(Status.NEW, Status.ASSIGNED, Actor.ADVISOR, requires=(Requirement.ASSIGNEE,))
    allow(Status.REOPENED, Status.ASSIGNED, Actor.ADVISOR, requires=(Requirement.ASSIGNEE,))
    # An advisor moves an open case between the working statuses.
    for source in WORKING_STATUSES | {Status.AVAILABLE_IN_RELEASE}:
        for target in WORKING_STATUSES - {source}:
            allow(source, target, Actor.ADVISOR, requires=extra.get(target, ()))
    # A contact's post on a case waiting on the district hands it back.
    for source in WAITING_ON_DISTRICT:
        table[(source, Status.ASSIGNED)] = Transition(
            source,
            Status.ASSIGNED,
            frozenset({Actor.ADVISOR, Actor.CONTACT}),
            frozenset(extra[Status.ASSIGNED]),
        )
    # A fix for a development issue ships in a release.
    allow(
        Status.ASSIGNED_TO_DEVELOPMENT,
        Status.AVAILABLE_IN_RELEASE,
        Actor.ADVISOR,
        requires=(Requirement.RELEASE,),
    )
    # Any open case can be closed by the district, by its advisor, or by the 3x10 auto-close (from verification).
    for source in OPEN_STATUSES:
        actors = [Actor.ADVISOR, Actor.CONTACT]
        if source == Status.PENDING_CUSTOMER_VERIFICATION:
            actors.append(Actor.SYSTEM)
        allow(source, Status.CLOSED, *actors)
    # Within 60 days of closing, the district (or an advisor for them) re-opens with the additional details.
    allow(
        Status.CLOSED,
        Status.REOPENED,
        Actor.CONTACT,
        Actor.ADVISOR,
        requires=(Requirement.REOPEN_DETAILS, Requirement.REOPEN_WINDOW),
    )
    return table


TRANSITIONS: dict[tuple[Status, Status], Transition] = _build()


class WorkflowError(Exception):
    """A change the workflow does not allow, or a requirement that is missing. The message is for people."""


def transition_for(source: Status | str, target: Status | str, actor: Actor) -> Transition:
    """The transition from ``source`` to ``target`` if ``actor`` may make it; otherwise a WorkflowError."""
    source, target = Status(source), Status(target)
    if source == target:
        raise WorkflowError(f"The case is already {target.label}.")
    transition = TRANSITIONS.get((source, target))
    if transition is None:
        raise WorkflowError(f"A case cannot move from {source.label} to {target.label}.")
    if actor not in transition.actors:
        who = {Actor.CONTACT: "a district contact", Actor.ADVISOR: "an advisor", Actor.SYSTEM: "the portal"}[
            actor
        ]
        raise WorkflowError(f"Moving a case from {source.label} to {target.label} cannot be done by {who}.")
    return transition


def allowed_targets(source: Status | str, actor: Actor) -> list[Status]:
    """The statuses ``actor`` may move a case in ``source`` to, in the order of ``Status``."""
    source = Status(source)
    return [t for t in Status if (source, t) in TRANSITIONS and actor in TRANSITIONS[(source, t)].actors]
