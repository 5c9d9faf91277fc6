"""What the development issue's pages read: its linked cases, and what a release would do to each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone

from cases.models import Case, DevIssue
from cases.services.devissues import fan_out_problem
from contacts.models import User


def linked_cases(viewer: User, issue: DevIssue) -> list[Case]:
    """The cases linked to ``issue`` that ``viewer`` may see, in number order (one query)."""
    return list(
        Case.objects.visible_to(viewer)
        .filter(dev_issue=issue)
        .select_related("district", "release")
        .order_by("number")
    )


@dataclass
class ReleasePreview:
    """What marking ``issue`` fixed in ``release_name`` would do, before it is done."""

    release_name: str
    move: list[Case] = field(default_factory=list)
    already: list[Case] = field(default_factory=list)
    closed: list[Case] = field(default_factory=list)
    refused: list[tuple[Case, str]] = field(default_factory=list)

    @property
    def districts(self) -> int:
        return len({case.district_id for case in self.move})

    @property
    def nothing_open(self) -> bool:
        return not (self.move or self.already or self.refused)


def release_preview(viewer: User, issue: DevIssue, release_name: str) -> ReleasePreview:
    """Every linked case sorted by what the fan-out will do to it, by the rule the fan-out applies."""
    preview = ReleasePreview(release_name=release_name)
    for case in linked_cases(viewer, issue):
        kind, reason = fan_out_problem(case, issue, release_name)
        if kind == "move":
            preview.move.append(case)
        elif kind == "already":
            preview.already.append(case)
        elif kind == "closed":
            preview.closed.append(case)
        else:
            preview.refused.append((case, reason))
    return preview


# How far back the district's page lists the cases fixed in a release.
RECENT_RELEASE_DAYS = 90


def fixed_in_recent_releases(viewer: User, district_id: int, *, today: date | None = None) -> list[Case]:
    """The district's cases whose fix shipped in a release of the last ``RECENT_RELEASE_DAYS`` days, newest
    release first, through the access chokepoint (a contact sees only their own districts')."""
    today = today or timezone.localdate()
    return list(
        Case.objects.visible_to(viewer)
        .filter(
            district_id=district_id,
            release__released_on__gte=today - timedelta(days=RECENT_RELEASE_DAYS),
            dev_issue__isnull=False,
        )
        .select_related("release", "dev_issue")
        .order_by("-release__released_on", "number")
    )
