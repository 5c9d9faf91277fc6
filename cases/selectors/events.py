"""Reading case events: the labels and names of the values they store, rendered when read.

An event stores values (a status code, a user's pk, a team code …; see ``CaseEvent.Kind``), so what a person
reads is always today's: an advisor renamed since shows under their new name, a relabelled status under its
new label. The people and development issues the events name are read in one query each, and only when an
event names one that the caller has not already loaded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from django.db import models

from cases.casetypes import Team
from cases.models import CaseEvent, DevIssue, Disruption, Priority
from cases.workflow import Status
from contacts.models import User

Kind = CaseEvent.Kind
# The kinds whose old / new values are user pks.
PERSON_KINDS = frozenset({Kind.ASSIGNED, Kind.RECIPIENT_ADDED, Kind.RECIPIENT_REMOVED})
STATUS_KINDS = frozenset({Kind.CREATED, Kind.STATUS_CHANGED})
CHOICES: dict[str, type[models.TextChoices]] = {
    **dict.fromkeys(STATUS_KINDS, Status),
    Kind.ESCALATED: Team,
    Kind.IMPACT_ASSESSED: Disruption,
}


def person_name(person: User) -> str:
    return person.get_full_name() or person.email


def _ids(events: Sequence[CaseEvent], kinds: frozenset[str] | set[str]) -> set[int]:
    return {int(value) for e in events if e.kind in kinds for value in (e.old, e.new) if value.isdigit()}


def person_ids(events: Sequence[CaseEvent]) -> set[int]:
    """The pks of the people the events name (assignees, recipients)."""
    return _ids(events, PERSON_KINDS)


def label_events(events: Sequence[CaseEvent], people: Mapping[int, User] | None = None) -> list[CaseEvent]:
    """Fill in each event's ``old_label`` and ``new_label``. ``people``: users the caller already loaded
    (the case's assignee, its recipients); the others the events name are read in one query. Returns the
    events, for chaining."""
    known = dict(people or {})
    missing = person_ids(events) - set(known)
    if missing:
        known.update(User.objects.in_bulk(missing))
    issue_ids = _ids(events, {Kind.DEV_ISSUE_LINKED})
    issues = DevIssue.objects.in_bulk(issue_ids) if issue_ids else {}
    for event in events:
        event.old_label = _label(event, "old", known, issues)
        event.new_label = _label(event, "new", known, issues)
    return list(events)


def _label(
    event: CaseEvent, side: Literal["old", "new"], people: Mapping[int, User], issues: Mapping[int, DevIssue]
) -> str:
    value: str = getattr(event, side)
    if not value:
        # An old row whose display text matched nobody keeps that text in data (migration event_values_data).
        return str(event.data.get(f"{side}_text", "")) if isinstance(event.data, dict) else ""
    choices = CHOICES.get(event.kind)
    if choices is not None:
        return str(choices(value).label) if value in choices.values else value
    if event.kind in PERSON_KINDS:
        person = people.get(int(value)) if value.isdigit() else None
        return person_name(person) if person is not None else "a deleted account"
    if event.kind == Kind.DEV_ISSUE_LINKED:
        issue = issues.get(int(value)) if value.isdigit() else None
        return issue.number if issue is not None else "a deleted development issue"
    if event.kind == Kind.PRIORITY_CHANGED:
        return str(Priority(int(value)).label) if value.isdigit() and int(value) in Priority.values else value
    if event.kind == Kind.POST_ADDED:
        return f"post {value}"
    return value
