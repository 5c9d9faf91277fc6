"""Reading case events: the labels and names of the values they store, rendered when read.

An event stores values (a status code, a user's pk, a team code …; see ``CaseEvent.Kind``), so what a person
reads is always today's: an advisor renamed since shows under their new name, a relabelled status under its
new label. The people and development issues the events name are read in one query each, and only when an
event names one that the caller has not already loaded. ``event_sentence`` tells a labelled event as the sentence
advisors read on the timeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Literal

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format

from cases.casetypes import CaseType, Team
from cases.models import CaseEvent, DevIssue, Disruption, Priority
from cases.workflow import Actor, Status
from contacts.models import Role, User

Kind = CaseEvent.Kind
# The kinds whose old / new values are user pks.
PERSON_KINDS = frozenset(
    {Kind.ASSIGNED, Kind.RECIPIENT_ADDED, Kind.RECIPIENT_REMOVED, Kind.CONTACTS_CHANGED, Kind.CONTACT_CHANGED}
)
STATUS_KINDS = frozenset({Kind.CREATED, Kind.STATUS_CHANGED})
CHOICES: dict[str, type[models.Choices]] = {
    **dict.fromkeys(STATUS_KINDS, Status),
    Kind.ESCALATED: Team,
    Kind.IMPACT_ASSESSED: Disruption,
    Kind.PRIORITY_CHANGED: Priority,
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
        return _choice_label(choices, value)
    if event.kind in PERSON_KINDS:
        person = people.get(int(value)) if value.isdigit() else None
        return person_name(person) if person is not None else "a deleted account"
    if event.kind == Kind.DEV_ISSUE_LINKED:
        issue = issues.get(int(value)) if value.isdigit() else None
        return issue.number if issue is not None else "a deleted development issue"
    if event.kind == Kind.POST_ADDED:
        return f"post {value}"
    if event.kind == Kind.FOLLOWUP_MORE_TIME:
        return date_format(timezone.localtime(datetime.fromisoformat(value)), "D j M")
    return value


def _choice_label(choices: type[models.Choices], value: object) -> str:
    """The label of a stored code or rank (ranks are stored as text in old / new, as numbers in data); an
    unknown value as stored."""
    for choice in choices:
        if str(choice.value) == str(value):
            return str(choice.label)
    return str(value)


# Why a status changed when something else happened (``data["reason"]`` of a status change), told at the end
# of the sentence. A reason not listed here is left out of the sentence (the event still shows the change).
STATUS_REASONS = {"contact_replied": "after the district replied"}


def event_sentence(event: CaseEvent) -> str:
    """The event as one sentence for the timeline: "Avery Morgan changed the status from Assigned to Pending
    Customer Input". Reads only the labels ``label_events`` filled in, the event's data and its actor (load it
    with ``select_related("actor")``): no query. Plain text, escaped by the template that shows it."""
    return f"{_who(event)} {_what(event)}"


def _who(event: CaseEvent) -> str:
    data = _data(event)
    if event.actor is None or data.get("by") == Actor.SYSTEM:
        return "The portal"
    return person_name(event.actor)


def _data(event: CaseEvent) -> dict[str, object]:
    return event.data if isinstance(event.data, dict) else {}


def _what(event: CaseEvent) -> str:
    data = _data(event)
    old, new = event.old_label, event.new_label
    actor = str(event.actor_id) if event.actor_id is not None else None
    match event.kind:
        case Kind.CREATED:
            details = [
                _choice_label(choices, data[key])
                for key, choices in (("type", CaseType), ("priority", Priority))
                if key in data
            ]
            return "submitted the case" + (f" ({', '.join(details)})" if details else "")
        case Kind.STATUS_CHANGED:
            return _status_change(event, data)
        case Kind.ASSIGNED:
            to_self = actor is not None and event.new == actor
            if not event.new:  # no service unassigns a case today; a row that did would read so
                return f"unassigned {old}" if old else "unassigned the case"
            if not event.old:
                return "took the case" if to_self else f"assigned the case to {new}"
            if to_self:
                return f"took the case over from {old}"
            return f"handed the case over from {old} to {new}"
        case Kind.ESCALATED:
            return f"escalated the case from {old} to {new}" if old else f"escalated the case to {new}"
        case Kind.POST_ADDED:
            what = "posted an internal note" if data.get("internal") else "posted a reply"
            names = data.get("attachments")
            files = [str(name) for name in names] if isinstance(names, list) else []
            if files:
                count = "1 file" if len(files) == 1 else f"{len(files)} files"
                what += f" ({count}: {', '.join(files)})"
            return what
        case Kind.RECIPIENT_ADDED:
            if actor is not None and event.new == actor:
                return "started receiving notifications"
            return f"added {new} to the recipients"
        case Kind.RECIPIENT_REMOVED:
            if actor is not None and event.old == actor:
                return "stopped receiving notifications"
            return f"removed {old} from the recipients"
        case Kind.PERMISSION_GRANTED:
            return "granted written permission to work on the district's site"
        case Kind.PERMISSION_WITHDRAWN:
            return "withdrew the written permission to work on the district's site"
        case Kind.DEV_ISSUE_LINKED:
            return f"linked development issue {new}"
        case Kind.IMPACT_ASSESSED:
            if not old:
                return f"assessed the impact: {new}"
            if event.old == event.new:
                return f"revised the impact assessment: still {new}"
            return f"revised the impact from {old} to {new}"
        case Kind.PRIORITY_CHANGED:
            reason = str(data.get("reason") or "").strip()
            return f"changed the priority from {old} to {new}" + (f" (reason: {reason})" if reason else "")
        case Kind.CONTACTS_CHANGED:
            return _contacts_changed(old, new, data)
        case Kind.FOLLOWUP_MORE_TIME:
            return more_time_sentence(old, new, data)
        case Kind.CONTACT_CHANGED:
            caller = str(data.get("caller_name") or "").strip()
            source = f" from {old}" if old else f" from the caller {caller}" if caller else ""
            return f"transferred the case{source} to {new}" if new else "transferred the case"
        case Kind.REOPEN_WINDOW_ENDED:
            return "ended the reopen window: the case can no longer be re-opened"
        case Kind.SLA_WARNED:
            return _sla_warned(event.new, data)
        case Kind.SLA_MISSED:
            clock = " (on-call hour)" if data.get("oncall") else ""
            return f"recorded that the first response missed its target of {_target(event.new)}{clock}"
    return str(event.get_kind_display()).lower() if event.kind in Kind.values else event.kind


def more_time_sentence(old: str, new: str, data: Mapping[str, object]) -> str:
    days = data.get("days")
    return (
        f"asked for more time ({days} business day{'' if days == 1 else 's'}): the follow-ups move later and the "
        f"automatic close from {old} to {new}"
    )


def _target(value: str) -> str:
    """A promised moment an SLA watch event stores (ISO 8601), as the timeline reads it."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return date_format(timezone.localtime(moment), "D j M, g:i A")


def _sla_warned(new: str, data: Mapping[str, object]) -> str:
    to = str(data.get("to") or "")
    who = (
        f"the {_choice_label(Team, to.removeprefix('queue:'))} queue"
        if to.startswith("queue:")
        else "the advisor"
    )
    if data.get("overdue"):
        return f"told {who} that the first response is overdue (target {_target(new)})"
    return f"warned {who} that the first response is due {_target(new)}"


def _contacts_changed(old: str, new: str, data: Mapping[str, object]) -> str:
    role = _choice_label(Role, data["role"]).lower() if data.get("role") else ""
    match data.get("request"):
        case "add":
            made = " (new account)" if data.get("created") else ""
            return f"applied the contact change: added {new}{made} as {role}"
        case "replace":
            made = " (new account)" if data.get("created") else ""
            return f"applied the contact change: replaced {old} with {new}{made} as {role}"
        case "remove":
            return f"applied the contact change: removed {old}"
    return f"applied the contact change: updated {new}'s role or areas of responsibility ({role})"


def _status_change(event: CaseEvent, data: Mapping[str, object]) -> str:
    if event.new == Status.CLOSED:
        what = "closed the case"
    elif event.new == Status.REOPENED:
        what = "re-opened the case"
    else:
        what = f"changed the status from {event.old_label} to {event.new_label}"
        scheduled = data.get("scheduled_for")
        if event.new == Status.SCHEDULED and isinstance(scheduled, str):
            # Written by case_set_status as an ISO date.
            what += f" for {date_format(date.fromisoformat(scheduled), 'l j F Y')}"
    reason = STATUS_REASONS.get(str(data.get("reason", "")))
    return f"{what} {reason}" if reason else what
