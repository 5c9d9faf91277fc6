"""The case list (SPEC §4): filters, free-text search, sorting, paging, CSV export, and the contact autocomplete
of the Contact filter.

The query string is the whole state, so every view of the list can be bookmarked and shared. Links and the
filter form work as plain HTML; with JavaScript, htmx fetches the same URL and swaps only the list region
(``cases/list.html#results``), pushing the URL so the back button restores the previous state. The view hands
the template the canonical state as a ``QueryDict``; every link of the list is that state with a few parameters
changed (``{% querystring %}``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format, number_format
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from cases.filters import ALL_DISTRICTS, DEFAULT_SUBJECT_OPERATOR, CaseFilter, QuickView, SubjectOperator
from cases.selectors import listing
from contacts.access import is_advisor, request_memberships, visible_districts
from contacts.districts import current_district

# The query-string parameters of the list, in the order its URLs spell them.
PARAMETERS = (
    "q",
    "view",
    "number",
    "subject",
    "subject_op",
    "status",
    "priority",
    "module",
    "case_type",
    "contact",
    "modified_from",
    "modified_to",
    "account",
    "sort",
    "per_page",
    "page",
)
# The filters that live in the "Filters" panel (counted in its summary, shown as removable chips).
PANEL_FILTERS = ("number", "subject", "status", "priority", "module", "case_type", "contact", "modified_from", "modified_to", "account")  # fmt: skip


@dataclass(frozen=True)
class Scope:
    """Which districts the list may show and which one it shows by default."""

    accounts: list[tuple[int, str, str]]  # (id, slug, name) the viewer may pick
    default_account: str  # "all" or a slug
    offer_account: bool  # several districts to choose from


def _scope(request: HttpRequest) -> Scope:
    if is_advisor(request.user):
        accounts = list(visible_districts(request.user).order_by("name").values_list("pk", "slug", "name"))
        return Scope(accounts, ALL_DISTRICTS, True)
    memberships = request_memberships(request)
    accounts = [(m.district_id, m.district.slug, m.district.name) for m in memberships]
    current = current_district(request)
    default = current.slug if current is not None and len(accounts) > 1 else ALL_DISTRICTS
    return Scope(accounts, default, len(accounts) > 1)


def _filterset(request: HttpRequest, scope: Scope) -> CaseFilter:
    data = request.GET.copy()
    if not data.get("account"):
        data["account"] = scope.default_account
    if not data.get("subject_op"):
        data["subject_op"] = DEFAULT_SUBJECT_OPERATOR
    # A contact's own districts go into the query as numbers (the chokepoint still applies); see visible_cases.
    district_ids = None if is_advisor(request.user) else [pk for pk, _slug, _name in scope.accounts]
    cases = listing.visible_cases(request.user, district_ids=district_ids)
    return CaseFilter(
        data, queryset=cases, request=request, accounts=scope.accounts, offer_account=scope.offer_account
    )


def _state(filterset: CaseFilter, scope: Scope, page: int) -> QueryDict:
    """The canonical query string of a valid filter form: only what differs from the defaults."""
    data = filterset.form.cleaned_data
    state = QueryDict(mutable=True)
    for name in PARAMETERS:
        value = data.get(name)
        if name == "account":
            # Spelled out whenever the viewer has several districts, so a bookmark does not depend on the
            # district they happen to work in when they open it.
            if scope.offer_account and not (
                value == ALL_DISTRICTS and scope.default_account == ALL_DISTRICTS
            ):
                state[name] = value
        elif name == "subject_op":
            if data.get("subject") and value != DEFAULT_SUBJECT_OPERATOR:
                state[name] = value
        elif name == "per_page":
            if value != listing.DEFAULT_PAGE_SIZE:
                state[name] = str(value)
        elif name == "page":
            if page > 1:
                state[name] = str(page)
        elif isinstance(value, list):
            if value:
                state.setlist(name, [str(v) for v in value])
        elif hasattr(value, "isoformat"):
            state[name] = value.isoformat()
        elif value is not None and str(value).strip():
            state[name] = str(value).strip()
    return state


def _raw_state(request: HttpRequest) -> QueryDict:
    """What was asked for, for the links of a page whose filters could not be applied."""
    state = QueryDict(mutable=True)
    for name in PARAMETERS:
        values = [v for v in request.GET.getlist(name) if v]
        if values and name != "page":
            state.setlist(name, values)
    return state


@dataclass(frozen=True)
class Link:
    """A link of the list: the current state with ``params`` changed (None removes a parameter)."""

    label: str
    params: dict[str, Any] = field(default_factory=dict)
    current: bool = False
    key: str = ""  # for the element's id


def _chips(filterset: CaseFilter, scope: Scope) -> list[Link]:
    """One removable description per active filter of the panel (and the search)."""
    data = filterset.form.cleaned_data
    fields = filterset.form.fields
    chips: list[Link] = []

    def chip(label: str, *names: str, **replace: Any) -> None:
        chips.append(Link(label, {**dict.fromkeys(names), "page": None, **replace}, key=names[0]))

    if data.get("q"):
        chip(f"Search: {data['q'].strip()}", "q")
    if data.get("number") is not None:
        chip(f"Case Number: {data['number']}", "number")
    if data.get("subject"):
        chip(
            f"Subject {SubjectOperator(data['subject_op']).label.lower()}: {data['subject'].strip()}",
            "subject",
            "subject_op",
        )
    for name in ("status", "priority"):
        if data.get(name):
            labels = {str(value): label for value, label in fields[name].choices}
            chip(f"{fields[name].label}: {', '.join(str(labels[str(v)]) for v in data[name])}", name)
    if data.get("module"):
        chip(f"Module: {filterset.modules[data['module']]}", "module")
    if data.get("case_type"):
        chip(f"Case Type: {listing.TYPE_LABELS[data['case_type']]}", "case_type")
    if data.get("contact"):
        chip(f"Contact: {data['contact'].strip()}", "contact")
    start, end = data.get("modified_from"), data.get("modified_to")
    if start and end:
        chip(f"Last modified {_day(start)} to {_day(end)}", "modified_from", "modified_to")
    elif start:
        chip(f"Last modified on or after {_day(start)}", "modified_from")
    elif end:
        chip(f"Last modified on or before {_day(end)}", "modified_to")
    account = data.get("account")
    if scope.offer_account and account and account != ALL_DISTRICTS:
        name = next(n for _pk, slug, n in scope.accounts if slug == account)
        chip(f"Account: {name}", "account", account=ALL_DISTRICTS)
    return chips


def _day(value: Any) -> str:
    return date_format(value, "M j, Y")


def _scope_label(filterset: CaseFilter | None, scope: Scope, request: HttpRequest) -> str:
    account = filterset.form.cleaned_data.get("account") if filterset and filterset.is_valid() else None
    if account and account != ALL_DISTRICTS:
        return next(f"Cases of {n}" for _pk, slug, n in scope.accounts if slug == account)
    if is_advisor(request.user):
        return "Cases of every district"
    if len(scope.accounts) == 1:
        return f"Cases of {scope.accounts[0][2]}"
    if scope.accounts:
        return f"Cases of all your districts ({len(scope.accounts)})"
    return "Cases"


def _count_text(count: int, *, more: bool = False) -> str:
    """How many cases: "1 case", "25 cases"; "500+ cases" when more match than were counted."""
    plural = "" if count == 1 and not more else "s"
    return f"{number_format(count, force_grouping=True)}{'+' if more else ''} case{plural}"


def _list_context(request: HttpRequest, scope: Scope, filterset: CaseFilter) -> dict[str, Any]:
    list_url = reverse("cases:list")
    context: dict[str, Any] = {
        "submit_url": reverse("cases:choose-type"),
        "filter": filterset,
        "form": filterset.form,
        "list_url": list_url,
        "scope": scope,
        "scope_label": _scope_label(filterset, scope, request),
        "offer_account": scope.offer_account,
        "columns": listing.COLUMNS,
    }
    if not filterset.is_valid():
        raw = _raw_state(request)
        context.update(
            valid=False,
            state=raw,
            quick_views=_quick_views(request.GET.get("view", "")),
            hidden_state=_hidden_state(raw),
            filters_open=any(name in filterset.form.errors for name in PANEL_FILTERS),
            announcement="The list could not be filtered: correct the fields marked in the filters.",
        )
        return context

    data = filterset.form.cleaned_data
    search_text = (data.get("q") or "").strip()
    sort = listing.Sort.parse(data.get("sort"), searching=bool(search_text))
    cases = filterset.qs
    every_district = is_advisor(request.user) and filterset.account_id() is None
    if search_text and sort.by_relevance and every_district:
        # An advisor's search across every district ranks the most recent matches (docs/decisions.md).
        page = listing.ranked_recent_page(
            cases,
            filterset.unsearched(),
            search_text,
            request.GET.get("page"),
            data["per_page"],
            modified=filterset.modified,
        )
    else:
        page = listing.page_of(
            cases,
            listing.ordered(cases, sort, search_text, modified=filterset.modified),
            request.GET.get("page"),
            data["per_page"],
            searching=bool(search_text),
            merge=_merge_by_district(filterset, scope, sort),
            modified=filterset.modified,
        )
    state = _state(filterset, scope, page.number)
    chips = _chips(filterset, scope)
    active_panel = sum(1 for name in PANEL_FILTERS if _is_active(name, data, scope))
    headers = [
        {
            "key": column.key,
            "label": column.label,
            "sort": sort.value_after_click(column),
            "aria_sort": sort.aria_sort(column),
        }
        for column in listing.COLUMNS
    ]
    pages = [
        Link(str(n), {"page": n if n > 1 else None}, n == page.number) if isinstance(n, int) else None
        for n in page.elided_page_range()
    ]
    page_sizes = [
        Link(
            str(n),
            {"per_page": n if n != listing.DEFAULT_PAGE_SIZE else None, "page": None},
            n == page.per_page,
        )
        for n in listing.PAGE_SIZES
    ]
    shown = f"{page.start_index} to {page.end_index}" if page.count else "0"
    announcement = (
        f"{_count_text(page.count, more=page.more)} found. Showing {shown}, sorted by {sort.describe()}."
        if page.count
        else "No cases match. Change or clear the filters."
    )
    context.update(
        valid=True,
        state=state,
        page=page,
        rows=_rows(page.rows, advisor=is_advisor(request.user)),
        showing=f"{page.start_index}\u2013{page.end_index}",
        sort=sort,
        search_text=search_text,
        count_text=_count_text(page.count, more=page.more),
        recent_matches=number_format(page.count, force_grouping=True),
        headers=headers,
        pages=pages,
        page_sizes=page_sizes,
        previous_page=page.number - 1 if page.number > 2 else None,
        export_url=reverse("cases:export"),
        quick_views=_quick_views(data.get("view") or ""),
        chips=chips,
        filtered=bool(chips) or bool(data.get("view")),
        active_panel=str(active_panel) if active_panel else "",
        filters_open=active_panel > 0,
        hidden_state=_hidden_state(state),
        announcement=announcement,
        canonical_url=f"{list_url}?{state.urlencode()}" if state else list_url,
    )
    return context


def _hidden_state(state: QueryDict) -> list[tuple[str, str]]:
    """The list's controls outside the filter form, carried along when the form is submitted."""
    return [(name, value) for name in ("view", "sort", "per_page") for value in state.getlist(name)]


def _merge_by_district(
    filterset: CaseFilter, scope: Scope, sort: listing.Sort
) -> listing.MergeByDistrict | None:
    """How to read the page of a list over several districts in last-modified order, district by district."""
    if sort.column is None or sort.column.key != "modified" or filterset.account_id() is not None:
        return None
    ids = [pk for pk, _slug, _name in scope.accounts]
    if not 1 < len(ids) <= listing.MAX_MERGED_DISTRICTS:
        return None
    return listing.MergeByDistrict(ids, sort.descending, filterset.modified)


@dataclass(frozen=True, slots=True)
class Row:
    """A row of the table: the case's columns, its link and its Contact column."""

    case: listing.ListRow
    url: str
    contact: str


def _rows(rows: list[listing.ListRow], *, advisor: bool) -> list[Row]:
    url = listing.case_url_builder()
    return [
        Row(
            row,
            url(row.number),
            listing.contact_label(
                row.contact_first_name,
                row.contact_last_name,
                row.contact_email,
                row.caller_name,
                advisor=advisor,
            ),
        )
        for row in rows
    ]


def _is_active(name: str, data: dict[str, Any], scope: Scope) -> bool:
    value = data.get(name)
    if name == "account":
        return scope.offer_account and bool(value) and value != ALL_DISTRICTS
    return value not in (None, "", [], ())


def _quick_views(current: str) -> list[Link]:
    views = [("", "All cases"), *QuickView.choices]
    return [
        Link(str(label), {"view": value or None, "page": None}, value == current, value or "all")
        for value, label in views
    ]


def _has_empty_parameters(query: QueryDict) -> bool:
    return any(value == "" for key in PARAMETERS for value in query.getlist(key))


@require_GET
@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    partial = bool(request.htmx) and not request.htmx.history_restore_request  # type: ignore[attr-defined]
    filterset = _filterset(request, scope)
    context = _list_context(request, scope, filterset)
    valid = context["valid"]
    if valid and not partial and _has_empty_parameters(request.GET):
        # A plain form submission sends every field, empty or not: answer with the short, shareable address.
        return HttpResponseRedirect(context["canonical_url"])
    return _respond(request, _region(request, context), valid=valid, partial=partial)


@dataclass(frozen=True, slots=True)
class ListRegion:
    """The rendered list region and the few strings the page around it needs."""

    html: str
    canonical_url: str
    announcement: str
    scope_label: str


def _region(request: HttpRequest, context: dict[str, Any]) -> ListRegion:
    """The list region rendered, with what the page around it needs."""
    return ListRegion(
        html=render_to_string("cases/list.html#results", context, request),
        canonical_url=context.get("canonical_url", ""),
        announcement=context["announcement"],
        scope_label=context["scope_label"],
    )


def _respond(request: HttpRequest, region: ListRegion, *, valid: bool, partial: bool = False) -> HttpResponse:
    """The whole page around the list region, or for htmx only the region and its announcement."""
    page_context = {
        "results_html": mark_safe(region.html),  # noqa: S308 - rendered by our own auto-escaping template
        "announcement": region.announcement,
        "scope_label": region.scope_label,
        "submit_url": reverse("cases:choose-type"),
    }
    response = render(
        request,
        "cases/list.html#refresh" if partial else "cases/list.html",
        page_context,
        status=200 if valid else 400,
    )
    if partial and valid:
        push_url(response, region.canonical_url)
    # The same URL answers a full page or the list region: caches (and the back button) must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@login_required
def export_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The current filtered list, every page, as CSV: streamed, same columns, nothing internal."""
    scope = _scope(request)
    filterset = _filterset(request, scope)
    if not filterset.is_valid():
        return _respond(request, _region(request, _list_context(request, scope, filterset)), valid=False)
    data = filterset.form.cleaned_data
    search_text = (data.get("q") or "").strip()
    sort = listing.Sort.parse(data.get("sort"), searching=bool(search_text))
    rows = listing.export_rows(
        listing.ordered(filterset.qs, sort, search_text, modified=filterset.modified),
        advisor=is_advisor(request.user),
        modified=filterset.modified,
    )
    response = StreamingHttpResponse(listing.csv_chunks(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_export_filename(filterset, scope)}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _export_filename(filterset: CaseFilter, scope: Scope) -> str:
    account = filterset.form.cleaned_data.get("account")
    if account and account != ALL_DISTRICTS:
        name = account
    elif len(scope.accounts) == 1 and not scope.offer_account:
        name = scope.accounts[0][1]
    else:
        name = "all-districts"
    return f"cases-{name}-{timezone.localdate():%Y-%m-%d}.csv"


@require_GET
@login_required
def contact_suggestions(request: HttpRequest) -> HttpResponse:
    """``<option>``s for the Contact filter's ``<datalist>``: contacts of the viewer's districts (of the chosen
    account, if it is one of theirs) whose name or e-mail address contains what was typed."""
    scope = _scope(request)
    account = request.GET.get("account", "")
    ids: Sequence[int] | None = None
    chosen = [pk for pk, slug, _name in scope.accounts if slug == account]
    if chosen:
        ids = chosen
    elif not is_advisor(request.user):
        ids = [pk for pk, _slug, _name in scope.accounts]
    contacts = listing.contact_suggestions(request.user, request.GET.get("contact", ""), district_ids=ids)
    response = render(request, "cases/list_contact_options.html", {"contacts": contacts})
    patch_vary_headers(response, ["HX-Request"])
    return response
