"""Set-up helpers for the case list tests: case rows in bulk, indexed for search like the services do,
and small readers of the rendered list and CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from cases import search
from cases.casetypes import CASE_TYPES, CaseType
from cases.models import Case, Module, Post, Priority
from cases.workflow import Status
from contacts.models import District, User

# The list tests run at a fixed moment, Wednesday 15 April 2026, 10:00 in Chicago (the ``wednesday_morning``
# fixture of cases/tests/conftest.py).
CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 4, 15, 10, 0, tzinfo=CHICAGO)
LIST = "/cases/"


def case_row(
    *,
    district: District,
    contact: User,
    subject: str = "Where is the attendance report?",
    description: str = "We looked under Reports and could not find it.",
    status: Status = Status.NEW,
    priority: Priority = Priority.MEDIUM,
    case_type: CaseType = CaseType.ASK_QUESTION,
    module: Module | None = None,
    updated_at: datetime | None = None,
    closed_at: datetime | None = None,
    advisor: User | None = None,
    **extra: Any,
) -> Case:
    """An unsaved case row that satisfies the database's constraints (closed_at iff Closed; Critical only for
    outages)."""
    updated_at = updated_at or timezone.now()
    if status == Status.CLOSED and closed_at is None:
        closed_at = updated_at
    if priority == Priority.CRITICAL:
        case_type = CaseType.REPORT_OUTAGE
    return Case(
        district=district,
        contact=contact,
        submitted_by=contact,
        case_type=case_type,
        team=CASE_TYPES[case_type].team,
        priority=priority,
        module=module,
        subject=subject,
        description=description,
        status=status,
        assigned_to=advisor if status != Status.NEW else None,
        created_at=updated_at - timedelta(days=1),
        updated_at=updated_at,
        public_updated_at=extra.pop("public_updated_at", updated_at),
        status_changed_at=updated_at,
        closed_at=closed_at if status == Status.CLOSED else None,
        first_response_due_at=updated_at,
        **extra,
    )


def create_cases(rows: Iterable[Case]) -> list[Case]:
    """Insert the rows in one statement and index them for search exactly as ``case_submit`` does."""
    cases = Case.objects.bulk_create(list(rows))
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(search_vector=search._case_fields_vector())
    # bulk_create does not read back the number the database's sequence filled in.
    numbers = dict(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("pk", "number"))
    for case in cases:
        case.number = numbers[case.pk]
    return cases


def create_case(**kwargs: Any) -> Case:
    return create_cases([case_row(**kwargs)])[0]


def add_post(case: Case, body: str, *, internal: bool = False, author: User | None = None) -> Post:
    """A post written directly (not through the posting service), indexed through the hook the services call."""
    post = Post.objects.create(
        case=case, author=author, body=body, is_internal=internal, created_at=timezone.now()
    )
    search.index_post(post)
    return post


_NUMBER = re.compile(r'<td class="col-number"[^>]*><a href="[^"]*">#(\d+)</a>')


def listed_numbers(html: str) -> list[int]:
    """The case numbers of the list's rows, in the order shown."""
    return [int(n) for n in _NUMBER.findall(html)]


def count_heading(html: str) -> str:
    match = re.search(r'<h2 id="results-heading"[^>]*>(.*?)</h2>', html, re.S)
    assert match, "no result count on the page"
    return re.sub(r"<[^>]+>", "", unescape(match.group(1))).strip()


def read_csv(response: HttpResponse | StreamingHttpResponse) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[union-attr]
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def links(html: str, element_id: str) -> str:
    """The href of the element with this id (a sort header, a page link…)."""
    match = re.search(rf'<a [^>]*href="([^"]*)"[^>]*id="{re.escape(element_id)}"', html) or re.search(
        rf'<a [^>]*id="{re.escape(element_id)}"[^>]*href="([^"]*)"', html
    )
    assert match, f"no link with id {element_id}"
    return unescape(match.group(1))
