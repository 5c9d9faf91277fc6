"""Reads of the case page, scoped to the viewer (DESIGN §2 rule 1).

Everything starts from ``get_case_for_viewer``, the one case getter (``Case.objects.visible_to(viewer)``):
a case of another district is a 404, exactly like a missing number. Internal notes and their attachments are
filtered out here for everyone but advisors, so no template, partial or search result can show one.

The page costs a constant number of queries whatever the number of posts: the case with everything shown in
its panels (one query), the feed (posts with authors, their attachments, events), the attachments
area, the recipients and, for those who may add some, the eligible contacts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    Window,
    prefetch_related_objects,
)
from django.http import Http404
from django.utils import timezone

from cases import followup as followup_rules
from cases.casetypes import CaseTypeSpec
from cases.models import Attachment, Case, CaseEvent, FollowUpSequence, ImpactAssessment, Post, Recipient
from cases.selectors import get_case_for_viewer
from cases.selectors.events import label_events, more_time_sentence, person_ids
from cases.selectors.reopen import reopen_allowed, reopen_deadline
from cases.workflow import STATUS_MEANINGS, Actor, Status, allowed_targets
from contacts.access import ROLE_CAPABILITIES, Capability, Viewer, active_memberships, is_advisor
from contacts.models import Membership, Role, User
from contacts.selectors import authorized_contacts

# The feed shows this many entries, newest first; "Show all" shows the rest (a long thread stays fast).
FEED_PAGE = 30
SEARCH_MAX_WORDS = 8
# The events the feed shows: the submission, status changes, who works on the case, who is told about it,
# priority changes with the advisor's reason, and who the case was transferred to. (Posts are in the feed themselves; the impact assessment, the
# development issue and the written permission have their own panels.)
FEED_EVENTS = [
    CaseEvent.Kind.CREATED,
    CaseEvent.Kind.STATUS_CHANGED,
    CaseEvent.Kind.ASSIGNED,
    CaseEvent.Kind.RECIPIENT_ADDED,
    CaseEvent.Kind.RECIPIENT_REMOVED,
    CaseEvent.Kind.PRIORITY_CHANGED,
    CaseEvent.Kind.CONTACT_CHANGED,
    CaseEvent.Kind.FOLLOWUP_MORE_TIME,
]
SEARCH_MAX_LENGTH = 200


@dataclass
class FeedEntry:
    """One entry of the feed with what the template shows, computed once."""

    kind: Literal["post", "event"]
    at: datetime
    post: Post | None = None
    event: CaseEvent | None = None
    files: list[Attachment] = field(
        default_factory=list
    )  # listed under a post; pasted images are in its text

    @property
    def person(self) -> User | None:
        return self.post.author if self.post is not None else self.event.actor if self.event else None

    @property
    def name(self) -> str:
        person = self.person
        return person.get_full_name() if person is not None else "Support Case Portal"

    @property
    def initials(self) -> str:
        person = self.person
        if person is None:
            return "SC"
        return f"{person.first_name[:1]}{person.last_name[:1]}".upper()

    @property
    def by_support(self) -> bool:
        person = self.person
        return person is None or person.is_staff

    @property
    def status_label(self) -> str:
        return self.event.new_label if self.event else ""

    @property
    def old_status_label(self) -> str:
        return self.event.old_label if self.event else ""

    @property
    def action(self) -> str:
        """What the person did, for the events that name someone (labels rendered when read)."""
        event = self.event
        if event is None:
            return ""
        actor = str(event.actor_id)
        if event.kind == CaseEvent.Kind.ASSIGNED:
            return "took the case" if event.new == actor else f"assigned the case to {event.new_label}"
        if event.kind == CaseEvent.Kind.RECIPIENT_ADDED:
            return (
                "started receiving notifications"
                if event.new == actor
                else f"added {event.new_label} to notifications"
            )
        if event.kind == CaseEvent.Kind.PRIORITY_CHANGED:
            return f"changed the priority from {event.old_label} to {event.new_label}"
        if event.kind == CaseEvent.Kind.CONTACT_CHANGED:
            return f"made {event.new_label} the case's contact"
        if event.kind == CaseEvent.Kind.FOLLOWUP_MORE_TIME:
            return more_time_sentence(event.old_label, event.new_label, event.data)
        if event.kind == CaseEvent.Kind.RECIPIENT_REMOVED:
            return (
                "stopped receiving notifications"
                if event.old == actor
                else f"removed {event.old_label} from notifications"
            )
        return ""


@dataclass
class Feed:
    entries: list[FeedEntry]
    total: int  # entries matching the query (all entries without one)
    query: str
    show_all: bool
    assessed: bool = False  # support recorded an impact assessment (an event says so)

    @property
    def hidden(self) -> int:
        return self.total - len(self.entries)


@dataclass(frozen=True)
class Actions:
    """What the viewer may do, from the role table and the workflow table (the same the services check)."""

    post: bool = False
    internal_notes: bool = False
    close: bool = False
    reopen: bool = False
    reopen_until: datetime | None = None
    follow_up: bool = False  # closed past the reopen window: "Submit a new case referencing #N"
    grant_permission: bool = False
    manage_recipients: bool = False
    manage_own_notifications: bool = False
    read_only: bool = False


@dataclass
class CasePage:
    case: Case
    spec: CaseTypeSpec
    advisor: bool
    actions: Actions
    feed: Feed
    attachments: list[Attachment]
    recipients: list[User]  # the case's notification recipients, the owner first
    addable: list[User] = field(default_factory=list)
    impact: ImpactAssessment | None = None
    follow_ups: list[Case] = field(default_factory=list)
    # The running 3x10 sequence while the case is in Pending Customer Verification.
    followup: FollowUpSequence | None = None

    @property
    def followup_timeline(self) -> str:
        return followup_rules.timeline_text(self.followup) if self.followup is not None else ""

    @property
    def may_ask_more_time(self) -> bool:
        """ "I need more time": a contact who may post, once per sequence (the service's own checks)."""
        followup = self.followup
        return (
            followup is not None and followup.more_time_at is None and self.actions.post and not self.advisor
        )

    @property
    def status_meaning(self) -> str:
        return STATUS_MEANINGS[Status(self.case.status)]

    @property
    def details(self) -> list[tuple[str, str]]:
        return self.spec.display_details(self.case.details)

    @property
    def attachments_size(self) -> int:
        return sum(a.size for a in self.attachments)

    def is_recipient(self, user: Viewer) -> bool:
        return any(person.pk == user.pk for person in self.recipients)


def capabilities(viewer: Viewer, case: Case, memberships: list[Membership] | None) -> frozenset[Capability]:
    """The viewer's capabilities in the case's district, from memberships already loaded for the request."""
    if is_advisor(viewer):
        return frozenset(Capability)
    if memberships is None:
        memberships = list(active_memberships(viewer))
    for membership in memberships:
        if membership.district_id == case.district_id:
            return ROLE_CAPABILITIES[Role(membership.role)]
    return frozenset()


def actions_for(
    viewer: Viewer, case: Case, memberships: list[Membership] | None = None, now: datetime | None = None
) -> Actions:
    """The buttons the viewer sees. Each comes from the same rules the services apply to the POST: the role
    table (``require_capability``), the workflow table (``allowed_targets``) and ``reopen_allowed``."""
    now = now or timezone.now()
    can = capabilities(viewer, case, memberships)
    advisor = is_advisor(viewer)
    actor = Actor.ADVISOR if advisor else Actor.CONTACT
    targets = allowed_targets(case.status, actor)
    may_close_reopen = Capability.CLOSE_REOPEN in can
    in_window = reopen_allowed(case, now)
    closed = case.status == Status.CLOSED
    return Actions(
        post=advisor or (Capability.POST in can and not closed),
        internal_notes=advisor,
        close=may_close_reopen and Status.CLOSED in targets,
        reopen=may_close_reopen and Status.REOPENED in targets and in_window,
        reopen_until=reopen_deadline(case),
        # The new case is of the same type: Server Issue and Server Access need the technical contact's right.
        follow_up=closed
        and not in_window
        and not advisor
        and (Capability.SUBMIT_SERVER if case.type_spec.technical_only else Capability.SUBMIT) in can,
        grant_permission=Capability.GRANT_PERMISSION in can,
        manage_recipients=Capability.MANAGE_RECIPIENTS in can,
        manage_own_notifications=Capability.MANAGE_OWN_NOTIFICATIONS in can,
        read_only=not advisor and Capability.POST not in can,
    )


def _with_panels(case: Case) -> Case:
    """The case with the people and things its panels show, in one or two cheap queries rather than one query
    of a dozen joins: the people it names (contact, submitter, advisor, who granted or withdrew permission)
    in one query; its development issue, release and predecessor only if it has one."""
    people = {
        "contact": case.contact_id,
        "submitted_by": case.submitted_by_id,
        "assigned_to": case.assigned_to_id,
        "written_permission_by": case.written_permission_by_id,
        "written_permission_withdrawn_by": case.written_permission_withdrawn_by_id,
    }
    found = User.objects.in_bulk({pk for pk in people.values() if pk is not None})
    for name, pk in people.items():
        if pk is not None:
            setattr(case, name, found[pk])
    prefetch = [name for name in ("dev_issue", "release", "follows_case") if getattr(case, f"{name}_id")]
    if prefetch:
        prefetch_related_objects([case], *(["dev_issue__fixed_in"] if case.dev_issue_id else []), *prefetch)
    return case


def _posts(case: Case, advisor: bool) -> QuerySet[Post]:
    posts = Post.objects.filter(case=case)
    if not advisor:
        posts = posts.filter(is_internal=False)
    return posts


def _attachments(case: Case, advisor: bool) -> QuerySet[Attachment]:
    attachments = Attachment.objects.filter(case=case)
    if not advisor:
        attachments = attachments.filter(post__is_internal=False)
    return attachments


def search_words(query: str) -> list[str]:
    # PostgreSQL text cannot hold NUL bytes: drop them rather than fail on a crafted query.
    return query.replace("\x00", "")[:SEARCH_MAX_LENGTH].split()[:SEARCH_MAX_WORDS]


class _StripTags(Func):
    """The text of a post's sanitized HTML, for matching words (tags and attribute values left out)."""

    function = "regexp_replace"
    output_field = TextField()

    def __init__(self, expression: F) -> None:
        super().__init__(expression, Value("<[^>]*>"), Value(" "), Value("g"))


def _event_text(entry: FeedEntry) -> str:
    """The words a person reads in an event entry of the feed."""
    event = entry.event
    if event is None:
        return ""
    actor = entry.name if event.actor else "the portal"
    if event.kind == CaseEvent.Kind.CREATED:
        what = "submitted the case"
    elif event.kind == CaseEvent.Kind.STATUS_CHANGED:
        what = f"changed the status from to {entry.old_status_label} {entry.status_label}"
    else:
        what = entry.action
    return f"{actor} {what}".lower()


def feed_events(case: Case, every_event: list[CaseEvent] | None = None) -> list[CaseEvent]:
    """The feed's events (and the impact assessment's, which says whether there is one), newest first; picked
    from ``every_event`` (all of the case's events, newest first, with their actors) when the caller has them."""
    kinds = [*FEED_EVENTS, CaseEvent.Kind.IMPACT_ASSESSED]
    if every_event is not None:
        return [event for event in every_event if event.kind in kinds]
    events = CaseEvent.objects.filter(case=case, kind__in=kinds).select_related("actor")
    return list(events.order_by("-created_at", "-pk"))


def feed_for(
    case: Case,
    viewer: Viewer,
    *,
    query: str = "",
    show_all: bool = False,
    attachments: list[Attachment] | None = None,
    events: list[CaseEvent] | None = None,
    people: list[User] | None = None,
) -> Feed:
    """Public posts (and, for advisors, internal notes) and the events of ``FEED_EVENTS``, newest first. With
    a query, only the entries that contain every word (in the text, the author's name or an attachment's name;
    for an event, the words it shows: statuses, who made it, whom it names). Three or four queries, whatever the number of posts:
    posts, events, a count when the feed is cut, and the posts' files unless ``attachments`` (every
    file of the case the viewer may see, already loaded for the attachments area) is given, and the events
    unless ``events`` (``feed_events``) is; one more for the people the events name (an assignee, a recipient)
    who are not among ``people`` (already loaded)."""
    advisor = is_advisor(viewer)
    words = search_words(query)
    # The total number of matching posts comes with the rows (COUNT(*) OVER ()), before the LIMIT.
    posts = _posts(case, advisor).select_related("author").annotate(matching=Window(Count("pk")))
    if words:
        posts = posts.annotate(text=_StripTags(F("body")))
        for word in words:
            posts = posts.filter(
                Q(text__icontains=word)
                | Q(author__first_name__icontains=word)
                | Q(author__last_name__icontains=word)
                | Exists(Attachment.objects.filter(post=OuterRef("pk"), name__icontains=word))
            )
    limit = None if show_all else FEED_PAGE
    post_rows = list(
        posts.order_by("-created_at", "-pk")[:limit] if limit else posts.order_by("-created_at", "-pk")
    )
    if attachments is None:
        attachments = list(
            _attachments(case, advisor).filter(post__in=post_rows).order_by("created_at", "pk")
        )
    files: dict[int, list[Attachment]] = {}
    for attachment in sorted(attachments, key=lambda a: (a.created_at, a.pk)):
        if not attachment.inline:
            files.setdefault(attachment.post_id, []).append(attachment)
    # Events are few (tens); they are matched in Python against the words a person sees.
    event_rows = feed_events(case) if events is None else events
    assessed = any(e.kind == CaseEvent.Kind.IMPACT_ASSESSED for e in event_rows)
    event_rows = label_events(
        [e for e in event_rows if e.kind != CaseEvent.Kind.IMPACT_ASSESSED],
        {person.pk: person for person in people or []},
    )
    event_entries = [FeedEntry("event", e.created_at, event=e) for e in event_rows]
    if words:
        lowered = [w.lower() for w in words]
        event_entries = [e for e in event_entries if all(w in _event_text(e) for w in lowered)]
    post_total = post_rows[0].matching if post_rows else 0
    entries = [
        FeedEntry("post", p.created_at, post=p, files=files.get(p.pk, [])) for p in post_rows
    ] + event_entries
    # Newest first; at the same moment the status change goes above the post that caused it.
    entries.sort(key=lambda entry: (entry.at, entry.kind == "event"), reverse=True)
    total = post_total + len(event_entries)
    if limit is not None:
        entries = entries[:limit]
    return Feed(entries=entries, total=total, query=" ".join(words), show_all=show_all, assessed=assessed)


def case_page(
    viewer: Viewer,
    number: int,
    *,
    query: str = "",
    show_all: bool = False,
    memberships: list[Membership] | None = None,
    now: datetime | None = None,
    case: Case | None = None,
    every_event: list[CaseEvent] | None = None,
    offer_contacts: bool = True,
) -> CasePage:
    """Everything the case page shows, for this viewer. 404 when the case is not theirs to see. ``case`` is the
    case when the caller has just read it through ``Case.objects.visible_to(viewer)``, ``every_event`` all of
    its events (``feed_events``); ``offer_contacts=False`` leaves out the contacts who could be added as
    recipients, for a page that does not offer them."""
    case = _with_panels(case if case is not None else get_case_for_viewer(viewer, number))
    advisor = is_advisor(viewer)
    actions = actions_for(viewer, case, memberships, now)
    attachments = list(
        _attachments(case, advisor).select_related("uploaded_by").order_by("-created_at", "-pk")
    )
    events = feed_events(case, every_event)
    recipients, addable, named = _people(
        case, manage=actions.manage_recipients and offer_contacts, named=person_ids(events)
    )
    feed = feed_for(
        case, viewer, query=query, show_all=show_all, attachments=attachments, events=events, people=named
    )
    impact = ImpactAssessment.objects.filter(case=case).first() if feed.assessed else None
    follow_ups: list[Case] = []
    if case.status == Status.CLOSED:
        follow_ups = list(case.follow_ups.order_by("created_at").only("number", "subject", "status"))
    followup = None
    if case.status == Status.PENDING_CUSTOMER_VERIFICATION:
        followup = (
            FollowUpSequence.objects.filter(case=case, ended_at__isnull=True)
            .select_related("more_time_by")
            .first()
        )
    return CasePage(
        followup=followup,
        case=case,
        spec=case.type_spec,
        advisor=advisor,
        actions=actions,
        feed=feed,
        attachments=attachments,
        recipients=recipients,
        addable=addable,
        impact=impact,
        follow_ups=follow_ups,
    )


def _people(
    case: Case, *, manage: bool, named: set[int] | frozenset[int] = frozenset()
) -> tuple[list[User], list[User], list[User]]:
    """The case's notification recipients (the owner first); for those who manage them, the contacts they
    may add (the district's authorized contacts not on the list yet);
    and the people with pks in ``named`` (those the feed's events name). Two queries: the recipients with the
    named people, and the eligible contacts."""
    subscribed = Recipient.objects.filter(case=case, user=OuterRef("pk"))
    rows = User.objects.filter(Q(Exists(subscribed)) | Q(pk__in=named)).annotate(recipient=Exists(subscribed))
    people: list[User] = []
    ids: set[int] = set()
    for person in rows:
        people.append(person)
        if person.recipient:
            ids.add(person.pk)
    addable: list[User] = []
    if manage:
        addable = [person for person in authorized_contacts(case.district) if person.pk not in ids]
    recipients = sorted(
        (person for person in people if person.pk in ids),
        key=lambda p: (p.pk != case.contact_id, p.last_name.lower(), p.first_name.lower(), p.pk),
    )
    return recipients, addable, people


def attachment_for_viewer(viewer: Viewer, key: str) -> Attachment:
    """The attachment if the viewer may see its case (and, for an internal note's file, is an advisor);
    otherwise 404, exactly as for a key that does not exist."""
    attachments = Attachment.objects.filter(case__in=Case.objects.visible_to(viewer).values("pk"))
    if not is_advisor(viewer):
        attachments = attachments.filter(post__is_internal=False)
    try:
        return attachments.get(key=key)
    except (Attachment.DoesNotExist, ValueError):
        raise Http404("No such file.") from None
