"""Reads behind the case list, its export and its contact autocomplete (SPEC §4).

Everything starts from ``Case.objects.visible_to(viewer)`` (DESIGN §2 rule 1); the filters of
``cases.filters`` only ever narrow that queryset. Sorting, paging and the CSV rows live here so the page and
the export agree on what "the current list" is.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.paginator import Paginator
from django.db import connection, models
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    OrderBy,
    Q,
    QuerySet,
    Window,
)
from django.db.models.expressions import Value
from django.db.models.functions import Concat, Lower
from django.urls import reverse
from django.utils import timezone

from cases import search
from cases.casetypes import CaseType
from cases.models import Case, CaseQuerySet, Priority, caller_label
from cases.workflow import OPEN_STATUSES, WAITING_ON_DISTRICT, Status
from contacts.access import Viewer, is_advisor, visible_districts
from contacts.models import User

PAGE_SIZES = (10, 20, 50, 100)
DEFAULT_PAGE_SIZE = 20
CONTACT_SUGGESTIONS = 10
# The highest page number read as asked (a page past the end shows the last page): a crafted page number must not
# become an OFFSET beyond what PostgreSQL takes (bigint), which would be a database error.
MAX_PAGE = 100_000
EXPORT_CHUNK = 2000


# ---------------------------------------------------------------------------------------------------------------
# Scope

# Last Modified as stored for advisors: every change, internal notes included (``Case.updated_at``). Contacts see
# ``Case.public_updated_at`` instead, which internal notes never move (``modified_field``).
ALL_CHANGES = "updated_at"


def modified_field(viewer: Viewer) -> str:
    """The Last Modified the viewer's list shows, sorts and filters by: every change for an advisor, the changes
    the district can see for a contact (an internal note must not re-date or reorder a contact's list)."""
    return ALL_CHANGES if is_advisor(viewer) else "public_updated_at"


def visible_cases(viewer: Viewer, *, district_ids: Collection[int] | None = None) -> CaseQuerySet:
    """The cases the list may show: the viewer's (through the chokepoint), narrowed to ``district_ids`` when
    given.

    The list passes the districts it shows (the viewer's own, already loaded for the page) even when that
    changes nothing: with the district numbers in the query, PostgreSQL plans for the size of those districts
    and reads the first page straight from the (district, last modified) index instead of sorting every case of
    the district (bench/explain/).
    """
    cases = Case.objects.visible_to(viewer)
    if district_ids is None:
        return cases
    ids = sorted(set(district_ids))
    if not ids:
        return cases.none()
    return cases.filter(district_id=ids[0]) if len(ids) == 1 else cases.filter(district_id__in=ids)


# ---------------------------------------------------------------------------------------------------------------
# Quick views and filters that need more than a lookup


def open_cases(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.filter(status__in=OPEN_STATUSES)


def waiting_on_district(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Pending Customer Input or Pending Customer Verification: the ball is with the district."""
    return cases.filter(status__in=WAITING_ON_DISTRICT)


def with_contact(cases: QuerySet[Case], text: str) -> QuerySet[Case]:
    """Cases whose contact is ``text``: a whole e-mail address matches exactly (what the autocomplete fills
    in); anything else matches part of the name or address, case-insensitively."""
    text = " ".join(text.split())
    if not text:
        return cases
    if _is_email(text):
        return cases.filter(contact__email__iexact=text)
    return cases.alias(
        contact_full_name=Concat("contact__first_name", Value(" "), "contact__last_name")
    ).filter(
        Q(contact_full_name__icontains=text)
        | Q(contact__email__icontains=text)
        # A case phoned in without a contact shows its caller in the Contact column.
        | Q(contact__isnull=True, caller_name__icontains=text)
    )


def _is_email(text: str) -> bool:
    local, at, domain = text.partition("@")
    return bool(at and local and "." in domain and " " not in text)


def modified_between(
    cases: QuerySet[Case], start: Any = None, end: Any = None, *, modified: str = ALL_CHANGES
) -> QuerySet[Case]:
    """Last modified (``modified``: see ``modified_field``) on or after the start date and on or before the end
    date (Chicago calendar days)."""
    if start is not None:
        cases = cases.filter(**{f"{modified}__gte": _start_of_day(start)})
    if end is not None:
        cases = cases.filter(**{f"{modified}__lt": _start_of_day(end + timedelta(days=1))})
    return cases


def _start_of_day(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


# ---------------------------------------------------------------------------------------------------------------
# Sorting


@dataclass(frozen=True)
class SortColumn:
    """A column of the list: its URL key, its header, what it orders by, the first direction a click on its
    header picks (the second click reverses it), and how each direction reads ("newest first")."""

    key: str
    label: str
    fields: tuple[Any, ...]
    first_descending: bool = False
    words: tuple[str, str] = ("A to Z", "Z to A")  # ascending, descending
    inverted: bool = False  # stored in the opposite order of what "ascending" means to a person
    nullable: bool = False  # empty values go last both ways

    def order_by(self, descending: bool, *, modified: str = ALL_CHANGES) -> list[OrderBy]:
        stored_descending = descending != self.inverted
        result = []
        for field in self.fields:
            if field == ALL_CHANGES:
                field = modified  # the viewer's Last Modified
            expression = F(field) if isinstance(field, str) else field
            # NULLS LAST only where there can be NULLs: on a NOT NULL column it would stop PostgreSQL from
            # reading the order straight from an index (it does not know the column has no NULLs).
            nulls = {"nulls_last": True} if self.nullable else {}
            result.append(expression.desc(**nulls) if stored_descending else expression.asc(**nulls))
        return result


# In the order of the table's columns (SPEC §4). Status and case type are stored as codes whose order is the
# order of their labels. Priority is stored as a rank (1 Critical … 4 Low): "descending" priority, the first
# click, puts the most urgent first.
COLUMNS: tuple[SortColumn, ...] = (
    SortColumn("number", "Case Number", ("number",), first_descending=True, words=("lowest first", "highest first")),
    SortColumn("subject", "Subject", (Lower("subject"),)),
    SortColumn("status", "Status", ("status",)),
    SortColumn(
        "priority", "Priority", ("priority",), first_descending=True, words=("least urgent first", "most urgent first"),
        inverted=True,
    ),
    SortColumn("module", "Module", (Lower("module__name"),), nullable=True),
    SortColumn("type", "Case Type", ("case_type",)),
    SortColumn("contact", "Contact", (Lower("contact__last_name"), Lower("contact__first_name")), words=("by last name, A to Z", "by last name, Z to A"), nullable=True),
    SortColumn("modified", "Last Modified", (ALL_CHANGES,), first_descending=True, words=("oldest first", "newest first")),
    SortColumn("account", "Account", (Lower("district__name"),)),
)  # fmt: skip
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}
DEFAULT_SORT = "-modified"
# Every value the ``sort`` parameter may take; anything else is refused by the filter form.
SORT_CHOICES = [(f"{prefix}{c.key}", f"{c.label} ({word})") for c in COLUMNS for prefix, word in (("", "ascending"), ("-", "descending"))]  # fmt: skip


@dataclass(frozen=True)
class Sort:
    """The effective order of the list: a column and a direction, or relevance (a search, no column chosen)."""

    column: SortColumn | None
    descending: bool

    @classmethod
    def parse(cls, value: str | None, *, searching: bool) -> Sort:
        if not value:
            if searching:
                return cls(None, True)
            value = DEFAULT_SORT
        descending = value.startswith("-")
        column = COLUMNS_BY_KEY[value.removeprefix("-")]
        return cls(column, descending)

    @property
    def by_relevance(self) -> bool:
        return self.column is None

    def value_after_click(self, column: SortColumn) -> str:
        """The ``sort`` value a click on ``column``'s header asks for."""
        descending = not self.descending if self.column == column else column.first_descending
        return f"{'-' if descending else ''}{column.key}"

    def aria_sort(self, column: SortColumn) -> str | None:
        if self.column != column:
            return None
        return "descending" if self.descending else "ascending"

    def describe(self) -> str:
        if self.column is None:
            return "best match"
        return f"{self.column.label.lower()}, {self.column.words[1] if self.descending else self.column.words[0]}"


def ordered(
    cases: QuerySet[Case], sort: Sort, search_text: str | None, *, modified: str = ALL_CHANGES
) -> QuerySet[Case]:
    """Order the list: by the chosen column (ties: newest last-modified, then highest number), or by search
    relevance when searching without a chosen column. ``modified``: the viewer's Last Modified."""
    if sort.column is None:
        if not search_text:
            raise ValueError("Ordering by relevance needs a search.")
        return cases.annotate(rank=search.rank(search_text)).order_by(
            F("rank").desc(), F(modified).desc(), F("number").desc()
        )
    order = sort.column.order_by(sort.descending, modified=modified)
    if sort.column.key != "number":
        if sort.column.key != "modified":
            order.append(F(modified).desc())
        order.append(F("number").desc())
    return cases.order_by(*order)


# ---------------------------------------------------------------------------------------------------------------
# Paging


@dataclass(frozen=True)
class CaseListPage:
    """One page of the case list: its rows, how many cases match and where the page sits among the pages."""

    rows: list[ListRow]
    count: int
    number: int
    per_page: int
    # More cases match than ``count``: only the most recent matches were ranked (``ranked_recent_page``).
    more: bool = False

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.per_page))

    @property
    def start_index(self) -> int:
        return 0 if not self.count else (self.number - 1) * self.per_page + 1

    @property
    def end_index(self) -> int:
        return min(self.count, self.number * self.per_page)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    def elided_page_range(self) -> Iterator[int | str]:
        """The page numbers to offer: the first, the last and two either side of the current one;
        ``Paginator.ELLIPSIS`` marks a gap. The page was read without a Django ``Page``, so a paginator over
        the count alone gives the range."""
        return Paginator(range(self.count), self.per_page).get_elided_page_range(
            self.number, on_each_side=2, on_ends=1
        )


@dataclass(frozen=True, slots=True)
class ListRow:
    """One row of the list: only what the table shows (no description, details or search vector)."""

    number: int
    subject: str
    status: str
    priority: int
    case_type: str
    updated_at: datetime
    district: str
    contact_first_name: str | None  # None: phoned in without a contact (caller_name)
    contact_last_name: str | None
    contact_email: str | None
    module: str | None
    caller_name: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def priority_label(self) -> str:
        return PRIORITY_LABELS.get(self.priority, str(self.priority))

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.case_type, self.case_type)


LIST_COLUMNS = (
    "number",
    "subject",
    "status",
    "priority",
    "case_type",
    "updated_at",
    "district__name",
    "contact__first_name",
    "contact__last_name",
    "contact__email",
    "module__name",
    "caller_name",
)


def contact_label(
    first_name: str | None, last_name: str | None, email: str | None, caller_name: str, *, advisor: bool
) -> str:
    """The Contact column of the list and the export: the contact's name, or their address if they have none;
    for a case phoned in without a contact, its caller (``Case.contact_label``)."""
    if email is None:
        return caller_label(caller_name, advisor=advisor)
    return f"{first_name} {last_name}".strip() or email


def list_rows(cases: QuerySet[Case], *, modified: str = ALL_CHANGES) -> list[ListRow]:
    """The table's columns of ``cases``, with the district, contact and module in the same query (no N+1);
    ``updated_at`` of each row is the viewer's Last Modified (``modified``)."""
    columns = [modified if column == ALL_CHANGES else column for column in LIST_COLUMNS]
    return [ListRow(*values) for values in cases.values_list(*columns)]


def page_of(
    cases: QuerySet[Case],
    ordered_cases: QuerySet[Case],
    page: Any,
    per_page: int,
    *,
    searching: bool = False,
    merge: MergeByDistrict | None = None,
    modified: str = ALL_CHANGES,
) -> CaseListPage:
    """One page of ``ordered_cases`` and the number of ``cases`` (the same rows, unordered, counted in SQL).

    A page number that is not a number means the first page; past the end means the last page.

    The page is read in two steps: the case numbers of the page, in order (a narrow query that PostgreSQL
    answers from the (district, last modified, number) index without touching the other tables), then those
    cases with their district, contact and module. In one query PostgreSQL joins the contact and module of
    every matching case before it sorts and cuts the page.

    When searching, the count comes with the page (``COUNT(*) OVER ()``): matching a search is the expensive
    part, and a separate count would match every case of the district a second time.

    ``merge``: the districts of a list in last-modified order (not a search), when there are several.
    PostgreSQL would read every case of those districts and sort them all for one page; instead each district's
    first rows are read from its (district, last modified, number) index and the few of them merged
    (``_merged_numbers``).
    """
    number = _page_number(page)
    if searching:
        count, numbers = _numbers_with_count(ordered_cases, number, per_page)
        if count is None:  # past the end: count, then read the last page
            count = cases.order_by().count()
            number = max(1, math.ceil(count / per_page))
            numbers = _numbers(ordered_cases, number, per_page) if count else []
    else:
        count = cases.order_by().count()
        number = min(number, max(1, math.ceil(count / per_page)))
        if not count:
            numbers = []
        elif merge is not None and len(merge.district_ids) > 1 and number * per_page <= MAX_MERGED_DEPTH:
            numbers = _merged_numbers(ordered_cases, merge, number, per_page)
        else:
            numbers = _numbers(ordered_cases, number, per_page)
    rows = _rows_in_order(cases, numbers, modified)
    return CaseListPage(rows=rows, count=count, number=number, per_page=per_page)


# An advisor's search across every district ranks the most recently modified matches only, this many.
RANKED_RECENT_MATCHES = 200
# How many of the newest cases the first read of those matches looks through (``_newest_matches``).
RECENT_WINDOW = 2000


def ranked_recent_page(
    cases: QuerySet[Case],
    unsearched: QuerySet[Case],
    text: str,
    page: Any,
    per_page: int,
    *,
    modified: str = ALL_CHANGES,
) -> CaseListPage:
    """One page of the best matches of ``text`` among the ``RANKED_RECENT_MATCHES`` most recently modified of
    ``cases`` (the list filtered by that search; ``unsearched``: the same list without the search; last modified
    is ``modified``), best first (ties as ``ordered``); the case whose number was searched is always among them.
    The count is exact up to that many; past it the page says there are more and pages through those only.

    Words common to a quarter of all cases match tens of thousands of them, and ranking every match
    (``page_of``) reads and scores each one: only the newest matches are read and scored here.
    """
    number = _page_number(page)
    candidates = _newest_matches(cases, unsearched, text, modified)
    more = len(candidates) > RANKED_RECENT_MATCHES
    del candidates[RANKED_RECENT_MATCHES:]
    searched = search.case_number(text)
    if searched is not None and all(n != searched for n, _modified, _rank in candidates):
        candidates += _ranked(cases.filter(number=searched), text, modified)
    # Best rank, then newest last modified, then highest number (``ordered``).
    candidates.sort(key=lambda row: (row[2], row[1], row[0]), reverse=True)
    count = len(candidates)
    number = min(number, max(1, math.ceil(count / per_page)))
    numbers = [n for n, _modified, _rank in candidates[(number - 1) * per_page : number * per_page]]
    return CaseListPage(
        rows=_rows_in_order(cases, numbers, modified),
        count=count,
        number=number,
        per_page=per_page,
        more=more,
    )


def _newest_matches(
    cases: QuerySet[Case], unsearched: QuerySet[Case], text: str, modified: str
) -> list[tuple[int, datetime, float]]:
    """(number, last modified, rank) of the ``RANKED_RECENT_MATCHES`` + 1 most recently modified matches.

    First the ``RECENT_WINDOW`` newest cases are read from the last-modified index, newest first, each checked
    against the search, until enough match: common words are found among the first few thousand cases. As a
    plain query PostgreSQL picks its plan from its estimate of the number of matches, which for several words
    that often go together (a subject typed whole) is ten times too low: it then reads every match through the
    search index (tens of thousands of rows) to sort them by date. Reading a fixed window first does not depend
    on that estimate. Rarer words, not matched often enough there, are read through the search index.
    """
    limit = RANKED_RECENT_MATCHES + 1
    matched = search.match(text)
    window = (
        # Newest first, straight from the last-modified index (ties among the candidates are ordered below).
        unsearched.order_by(F(modified).desc())
        .annotate(
            hit=ExpressionWrapper(matched, output_field=BooleanField()),
            rank=models.Case(models.When(matched, then=search.rank(text)), output_field=FloatField()),
        )
        .values_list("number", modified, "rank", "hit")[:RECENT_WINDOW]
    )
    sql, params = window.query.sql_with_params()
    with connection.cursor() as cursor:
        # The window as a subquery: its LIMIT keeps PostgreSQL from reading the matches any other way, and the
        # outer LIMIT stops the reading as soon as enough matched.
        cursor.execute(f"SELECT * FROM ({sql}) AS newest WHERE newest.hit LIMIT %s", (*params, limit))  # noqa: S608
        rows = [(n, updated, rank) for n, updated, rank, _hit in cursor.fetchall()]
    if len(rows) < limit:
        newest = cases.order_by(F(modified).desc(), F("number").desc()).values_list("number", flat=True)
        # Scored apart: a plan that reads every match would otherwise score every match.
        rows = _ranked(cases.filter(number__in=list(newest[:limit])), text, modified)
    return rows


def _ranked(cases: QuerySet[Case], text: str, modified: str) -> list[tuple[int, datetime, float]]:
    """(number, last modified, rank) of ``cases``."""
    return list(cases.annotate(rank=search.rank(text)).values_list("number", modified, "rank"))


def _page_number(page: Any) -> int:
    """The page asked for: not a number means the first page; a crafted huge one is capped (``MAX_PAGE``)."""
    try:
        return min(max(int(page), 1), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def _rows_in_order(cases: QuerySet[Case], numbers: list[int], modified: str) -> list[ListRow]:
    """The rows of the cases numbered ``numbers``, in that order (the page's second step, ``page_of``)."""
    if not numbers:
        return []
    found = {row.number: row for row in list_rows(cases.filter(number__in=numbers), modified=modified)}
    return [found[n] for n in numbers if n in found]


def _numbers(ordered_cases: QuerySet[Case], page: int, per_page: int) -> list[int]:
    offset = (page - 1) * per_page
    return list(ordered_cases.values_list("number", flat=True)[offset : offset + per_page])


@dataclass(frozen=True)
class MergeByDistrict:
    """A list in last-modified order over several districts (see ``page_of``)."""

    district_ids: Sequence[int]
    descending: bool  # newest first (the default order)
    modified: str = ALL_CHANGES  # the viewer's Last Modified


# More districts than this (an advisor's) read one sorted scan instead: the merge would have hundreds of parts.
MAX_MERGED_DISTRICTS = 20
# Deeper than this (page times page size) each district would hand over more rows than one sorted read costs.
MAX_MERGED_DEPTH = 2000


def _merged_numbers(
    ordered_cases: QuerySet[Case], merge: MergeByDistrict, page: int, per_page: int
) -> list[int]:
    """The page's case numbers of a list ordered by last modified, one district at a time: each district's
    first ``page * per_page`` rows in the list's order (straight from its index), merged in one UNION ALL and
    cut to the page. The same numbers as ``_numbers``, whatever the filters (they apply inside each part)."""
    end = page * per_page
    parts = [
        ordered_cases.filter(district_id=district).values_list("number", merge.modified)[:end]
        for district in sorted(set(merge.district_ids))
    ]
    # The list's order by last modified either way, ties to the highest number (``ordered``).
    order = (f"-{merge.modified}" if merge.descending else merge.modified, "-number")
    merged = parts[0].union(*parts[1:], all=True).order_by(*order)
    return [number for number, _updated in merged[end - per_page : end]]


def _numbers_with_count(
    ordered_cases: QuerySet[Case], page: int, per_page: int
) -> tuple[int | None, list[int]]:
    offset = (page - 1) * per_page
    rows = list(
        ordered_cases.annotate(total=Window(Count("pk"))).values_list("number", "total")[
            offset : offset + per_page
        ]
    )
    if not rows:
        return (0, []) if page == 1 else (None, [])
    return rows[0][1], [n for n, _total in rows]


# ---------------------------------------------------------------------------------------------------------------
# Links


_NUMBER_MARKER = "9081726354"


def case_url_builder() -> Callable[[int], str]:
    """A function from case number to the case page's URL, resolved once for a whole page of rows."""
    head, _marker, tail = reverse("cases:detail", args=[_NUMBER_MARKER]).rpartition(_NUMBER_MARKER)
    return lambda number: f"{head}{number}{tail}"


# ---------------------------------------------------------------------------------------------------------------
# Export


EXPORT_HEADER = [column.label for column in COLUMNS]
# The labels the list and its export show for stored codes.
STATUS_LABELS = dict(Status.choices)
PRIORITY_LABELS = dict(Priority.choices)
TYPE_LABELS = dict(CaseType.choices)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """The cell as text a spreadsheet will not evaluate: a leading formula character gets a quote before it."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def export_rows(
    ordered_cases: QuerySet[Case], *, advisor: bool, modified: str = ALL_CHANGES
) -> Iterator[list[str]]:
    """The rows of the CSV export, the same columns as the list, read in chunks with a server-side cursor so
    memory stays flat however many cases match. Only the listed columns are read: nothing internal (Last
    Modified is the viewer's, ``modified``)."""
    rows = ordered_cases.values_list(
        "number",
        "subject",
        "status",
        "priority",
        "module__name",
        "case_type",
        "contact__first_name",
        "contact__last_name",
        "contact__email",
        "caller_name",
        modified,
        "district__name",
    )
    tz = timezone.get_current_timezone()
    for (
        number,
        subject,
        status,
        priority,
        module,
        case_type,
        first,
        last,
        email,
        caller_name,
        updated,
        district,
    ) in rows.iterator(chunk_size=EXPORT_CHUNK):
        yield [
            str(number),
            spreadsheet_safe(subject),
            STATUS_LABELS.get(status, status),
            PRIORITY_LABELS.get(priority, str(priority)),
            spreadsheet_safe(module or ""),
            TYPE_LABELS.get(case_type, case_type),
            spreadsheet_safe(contact_label(first, last, email, caller_name, advisor=advisor)),
            updated.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            spreadsheet_safe(district),
        ]


class _Echo:
    """A file-like object whose ``write`` returns what it was given, for ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterable[list[str]], *, lines_per_chunk: int = 500) -> Iterator[str]:
    """CSV text in chunks of a few hundred lines (a UTF-8 byte-order mark first, so spreadsheet programs read
    names with accents correctly)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(EXPORT_HEADER)
    buffer: list[str] = []
    for row in rows:
        buffer.append(writer.writerow(row))
        if len(buffer) >= lines_per_chunk:
            yield "".join(buffer)
            buffer = []
    if buffer:
        yield "".join(buffer)


# ---------------------------------------------------------------------------------------------------------------
# Contact autocomplete


def contact_suggestions(
    viewer: Viewer, text: str, *, district_ids: Iterable[int] | None = None, limit: int = CONTACT_SUGGESTIONS
) -> list[User]:
    """Contacts of the viewer's districts (or of ``district_ids`` among them) whose name or e-mail address
    contains ``text``: the autocomplete of the Contact filter. Never anyone from another district."""
    text = " ".join(text.replace("\x00", "").split())  # PostgreSQL text cannot hold NUL bytes
    if len(text) < 2:
        return []
    districts = visible_districts(viewer)
    if district_ids is not None:
        districts = districts.filter(pk__in=list(district_ids))
    return list(
        User.objects.filter(
            memberships__district__in=districts.values("pk"),
            memberships__is_active=True,
        )
        .alias(full_name=Concat("first_name", Value(" "), "last_name"))
        .filter(Q(full_name__icontains=text) | Q(email__icontains=text))
        .distinct()
        .order_by("last_name", "first_name", "email")
        .only("first_name", "last_name", "email")[:limit]
    )
