"""Development issues and releases (SPEC §3.4): linking cases to an issue, and the release fan-out.

Linking (``case_link_dev_issue``, ``dev_issue_link_cases``) moves an open case to Assigned to Development
through the workflow table, with a public note the district reads and one e-mail to the case's recipients.

Marking an issue fixed in a release (``dev_issue_release``) moves every linked case waiting on Development to
Available in Release. It spans many districts, so it never holds more than one case's lock at a time: each
case is locked, checked, moved, noted and e-mailed in a transaction of its own, in the order of the cases'
primary keys (two fan-outs of one issue meet in the same order and never deadlock). A case that cannot move
is reported and skipped; the others still move. Running it again does nothing twice: a case already Available
in this release is reported as already done, and gets no second note or e-mail.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape

from cases.models import OPEN_CASE, Case, CaseEvent, DevIssue, Release
from cases.services.common import lock_case, modified, record_event, require_advisor, resolve_now
from cases.services.notify import notify_change
from cases.services.posts import public_post, record_first_response
from cases.services.workflow import move_case
from cases.workflow import Actor, Status, WorkflowError, transition_for
from contacts.models import User

# How many case numbers one "add cases" box takes: a hand-typed list, checked and linked in one transaction.
LINK_BATCH_MAX = 100


def _link_note(issue: DevIssue) -> str:
    return (
        f"<p>We have confirmed this as a product defect and passed it to our Development team as issue "
        f"{escape(issue.number)}: {escape(issue.title)}. We will update this case when the fix is available "
        f"in a release.</p>"
    )


def _release_note(issue: DevIssue, release: Release) -> str:
    return (
        f"<p>The fix for development issue {escape(issue.number)} ({escape(issue.title)}) is available in "
        f"{escape(release.name)}. Once your site has this release, please check that the problem is resolved "
        f"and let us know, or close the case.</p>"
    )


def link_problem(case: Case, issue: DevIssue) -> str | None:
    """Why ``case`` cannot be linked to ``issue`` (``None``: it can, or it already is). Checked on the locked
    case, so what it says is what the write would meet."""
    if issue.fixed_in_id is not None:
        return (
            f"{issue.number} is already fixed in {issue.fixed_in}; set case #{case.number} to Available in "
            f"Release instead."
        )
    if case.status == Status.CLOSED:
        return f"Case #{case.number} is closed; re-open it before linking it to a development issue."
    if case.dev_issue_id == issue.pk:
        return None
    if case.status == Status.ASSIGNED_TO_DEVELOPMENT:
        return None  # moves to another issue without changing status
    try:
        transition_for(case.status, Status.ASSIGNED_TO_DEVELOPMENT, Actor.ADVISOR)
    except WorkflowError:
        return (
            f"Case #{case.number} is {Status(case.status).label}: take it or assign it to an advisor before "
            f"linking it to a development issue."
        )
    if case.assigned_to_id is None:
        return f"Case #{case.number} has no advisor: assign it before linking it to a development issue."
    return None


def _link_locked(case: Case, issue: DevIssue, actor: User, now: datetime) -> bool:
    """Link a locked case that ``link_problem`` accepted. False: it was already linked (nothing written)."""
    if case.dev_issue_id == issue.pk:
        return False
    post = public_post(case, actor, _link_note(issue), now)
    record_first_response(case, now)
    if case.status == Status.ASSIGNED_TO_DEVELOPMENT:
        # Already waiting on Development, for another issue: the link changes, the status does not.
        previous = case.dev_issue_id
        case.dev_issue = issue
        case.save(update_fields=["dev_issue", *modified(case, now)])
        record_event(case, CaseEvent.Kind.DEV_ISSUE_LINKED, actor, now, old=previous, new=issue.pk)
        notify_change(case, actor, post=post)
        return True
    # move_case records the link event and the status change; one e-mail tells both with the note.
    event, _ = move_case(case, actor, Status.ASSIGNED_TO_DEVELOPMENT, now, dev_issue=issue)
    notify_change(case, actor, event=event, post=post)
    return True


@transaction.atomic
def case_link_dev_issue(*, actor: User, case: Case, issue: DevIssue, now: datetime | None = None) -> bool:
    """An advisor links an open case to a development issue: the case moves to Assigned to Development with a
    public note, and its recipients get one e-mail. Returns False when the case was already linked to this
    issue (nothing written). A closed case, a New or Re-Opened one (nobody works it yet) or an issue already
    fixed in a release is refused (``WorkflowError``) and nothing is written."""
    require_advisor(actor)
    case = lock_case(case)
    issue = DevIssue.objects.select_related("fixed_in").get(pk=issue.pk)
    now = resolve_now(now)  # after the lock: the order of events is the order of the locks
    problem = link_problem(case, issue)
    if problem:
        raise WorkflowError(problem)
    return _link_locked(case, issue, actor, now)


@dataclass
class LinkResult:
    linked: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)


def parse_case_numbers(text: str) -> list[int]:
    """Case numbers typed as a list ("1042, 1043 #1050"), in the order typed, each once. Anything that is
    not a number is refused with the words that were not understood."""
    words = text.replace(",", " ").replace(";", " ").split()
    numbers: list[int] = []
    wrong: list[str] = []
    for word in words:
        digits = word.lstrip("#")
        if digits.isdigit() and len(digits) <= 18:
            if int(digits) not in numbers:
                numbers.append(int(digits))
        else:
            wrong.append(word)
    if wrong:
        raise ValidationError({"numbers": f"These are not case numbers: {', '.join(wrong[:10])}."})
    if not numbers:
        raise ValidationError({"numbers": "Type the numbers of the cases to link, for example 1042, 1043."})
    if len(numbers) > LINK_BATCH_MAX:
        raise ValidationError({"numbers": f"Link at most {LINK_BATCH_MAX} cases at a time."})
    return numbers


@transaction.atomic
def dev_issue_link_cases(
    *, actor: User, issue: DevIssue, numbers: Iterable[int], now: datetime | None = None
) -> LinkResult:
    """Link several cases, by number, to ``issue`` from the issue's page: all of them or none. The cases are
    locked in the order of their primary keys; if any number is unknown (or another's district's the advisor
    may not see), any case is closed or cannot be linked, everything is refused with every reason at once
    (``ValidationError`` on ``numbers``) and nothing is written. Cases already linked are left as they are."""
    require_advisor(actor)
    numbers = list(dict.fromkeys(numbers))
    issue = DevIssue.objects.select_for_update(of=("self",)).select_related("fixed_in").get(pk=issue.pk)
    cases = list(
        Case.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .filter(number__in=numbers)
        .order_by("pk")
    )
    now = resolve_now(now)
    found = {case.number for case in cases}
    problems = [f"No case #{number} exists." for number in numbers if number not in found]
    problems += [problem for case in cases if (problem := link_problem(case, issue))]
    if problems:
        raise ValidationError({"numbers": problems})
    result = LinkResult()
    for case in cases:
        (result.linked if _link_locked(case, issue, actor, now) else result.already).append(case.number)
    return result


# --- the release fan-out ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FannedCase:
    number: int
    district: str
    reason: str = ""


@dataclass
class FanOutReport:
    """What the fan-out did, case by case."""

    release: Release
    moved: list[FannedCase] = field(default_factory=list)
    already: list[FannedCase] = field(default_factory=list)
    closed: list[FannedCase] = field(default_factory=list)
    refused: list[FannedCase] = field(default_factory=list)

    @property
    def districts_moved(self) -> int:
        return len({case.district for case in self.moved})


def release_name_clean(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"release_name": "Name the release the fix is in, e.g. 2026.11 Release Pack."})
    if len(name) > Release._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValidationError({"release_name": "Name the release in at most 100 characters."})
    return name


def fan_out_problem(case: Case, issue: DevIssue, release_name: str) -> tuple[str, str]:
    """How the fan-out will treat a linked case: ("move" | "already" | "closed" | "refused", reason)."""
    if case.dev_issue_id != issue.pk:
        return "refused", f"no longer linked to {issue.number}"
    if case.status == Status.CLOSED:
        return "closed", "closed: stays closed"
    if case.status == Status.AVAILABLE_IN_RELEASE:
        if case.release is not None and case.release.name == release_name:
            return "already", f"already Available in {release_name}"
        return "refused", f"already Available in {case.release or 'another release'}"
    try:
        transition_for(case.status, Status.AVAILABLE_IN_RELEASE, Actor.ADVISOR)
    except WorkflowError:
        return "refused", f"{Status(case.status).label}, not waiting on Development"
    return "move", ""


def open_linked_cases_exist(issue: DevIssue) -> bool:
    return Case.objects.filter(OPEN_CASE, dev_issue=issue).exists()


def dev_issue_release(
    *, actor: User, issue: DevIssue, release_name: str, now: datetime | None = None
) -> FanOutReport:
    """Mark ``issue`` fixed in the release ``release_name`` and move every linked case waiting on Development
    to Available in Release, each with a public note and one e-mail to its recipients.

    Not atomic as a whole, on purpose: the issue is marked first (its own transaction), then each case commits
    on its own, so a refused case cannot block the others and no contact's page waits for more than one case.
    Safe to run again with the same release: cases already moved are reported as already done. Refused
    (``ValidationError``, nothing written) when no open case is linked, or the issue is already fixed in
    another release."""
    require_advisor(actor)
    release_name = release_name_clean(release_name)
    with transaction.atomic():
        issue = DevIssue.objects.select_for_update(of=("self",)).select_related("fixed_in").get(pk=issue.pk)
        if issue.fixed_in is not None and issue.fixed_in.name != release_name:
            raise ValidationError(
                {"release_name": f"{issue.number} is already marked fixed in {issue.fixed_in.name}."}
            )
        if not open_linked_cases_exist(issue):
            raise ValidationError(
                {"release_name": f"No open case is linked to {issue.number}: there is nothing to move."}
            )
        today = timezone.localdate(resolve_now(now))
        release, _ = Release.objects.get_or_create(name=release_name, defaults={"released_on": today})
        if release.released_on is None:
            release.released_on = today
            release.save(update_fields=["released_on"])
        if issue.fixed_in_id != release.pk:
            issue.fixed_in = release
            issue.save(update_fields=["fixed_in"])
    report = FanOutReport(release=release)
    # The ids first, then one case at a time: no lock is held while the list is read.
    ids = list(Case.objects.filter(dev_issue=issue).order_by("pk").values_list("pk", flat=True))
    for pk in ids:
        try:
            with transaction.atomic():
                outcome = _release_one(pk, issue, release, actor, now)
        except (WorkflowError, ValidationError) as error:
            case = Case.objects.select_related("district").get(pk=pk)
            message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            outcome = ("refused", FannedCase(case.number, case.district.name, message))
        getattr(report, outcome[0]).append(outcome[1])
    return report


def _release_one(
    pk: int, issue: DevIssue, release: Release, actor: User, now: datetime | None
) -> tuple[str, FannedCase]:
    case = lock_case(Case(pk=pk))
    when = resolve_now(now)  # after the lock: the order of events is the order of the locks
    district = case.district.name
    kind, reason = fan_out_problem(case, issue, release.name)
    if kind != "move":
        return ("already" if kind == "already" else kind), FannedCase(case.number, district, reason)
    event, _ = move_case(case, actor, Status.AVAILABLE_IN_RELEASE, when, release_name=release.name)
    post = public_post(case, actor, _release_note(issue, release), when)
    record_first_response(case, when)
    notify_change(case, actor, event=event, post=post)
    return "moved", FannedCase(case.number, district)
