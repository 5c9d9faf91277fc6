"""The case list (SPEC §4, issue 6): filters, free-text search, sorting, paging, CSV export, and the contact
autocomplete of the Contact filter.

The query string is the whole state, so every view of the list can be bookmarked and shared. Links and the
filter form work as plain HTML; with JavaScript, htmx fetches the same URL and swaps only the list region
(``cases/list.html#results``), pushing the URL so the back button restores the previous state.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from cases.casetypes import CaseType
from cases.filters import ALL_DISTRICTS, DEFAULT_SUBJECT_OPERATOR, CaseFilter, QuickView, SubjectOperator
from cases.models import Priority
from cases.selectors import listing
from cases.workflow import Status
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

State = list[tuple[str, str]]


def _query(state: State, **changes: Any) -> str:
    """``?…`` for ``state`` with some parameters replaced (a list for several values) or removed (None)."""
    pairs = [(key, value) for key, value in state if key not in changes]
    for key, value in changes.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend((key, str(v)) for v in values)
    pairs.sort(key=lambda pair: PARAMETERS.index(pair[0]))
    return "?" + urlencode(pairs) if pairs else ""


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
    return CaseFilter(data, queryset=cases, request=request, accounts=scope.accounts)


def _state(filterset: CaseFilter, scope: Scope) -> State:
    """The canonical query string of a valid filter form: only what differs from the defaults."""
    data = filterset.form.cleaned_data
    state: State = []
    for name in PARAMETERS:
        value = data.get(name)
        if name == "account":
            # Spelled out whenever the viewer has several districts, so a bookmark does not depend on the
            # district they happen to work in when they open it.
            if scope.offer_account and not (
                value == ALL_DISTRICTS and scope.default_account == ALL_DISTRICTS
            ):
                state.append((name, value))
            continue
        if name == "subject_op":
            if data.get("subject") and value != DEFAULT_SUBJECT_OPERATOR:
                state.append((name, value))
            continue
        if name == "per_page":
            if value != listing.DEFAULT_PAGE_SIZE:
                state.append((name, str(value)))
            continue
        if value in (None, "", [], ()):
            continue
        if isinstance(value, list):
            state.extend((name, str(v)) for v in value)
        elif hasattr(value, "isoformat"):
            state.append((name, value.isoformat()))
        else:
            state.append((name, str(value).strip()))
    return [(key, value) for key, value in state if value != ""]


def _raw_state(request: HttpRequest) -> State:
    """What was asked for, for the links of a page whose filters could not be applied."""
    return [(k, v) for k in PARAMETERS if k != "page" for v in request.GET.getlist(k) if v]


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    current: bool = False
    key: str = ""  # for the element's id


def _chips(filterset: CaseFilter, state: State, scope: Scope) -> list[Link]:
    """One removable description per active filter of the panel (and the search)."""
    data = filterset.form.cleaned_data
    fields = filterset.form.fields
    chips: list[Link] = []

    def chip(label: str, *names: str, **replace: Any) -> None:
        url = reverse("cases:list") + _query(state, **{**dict.fromkeys(names), "page": None, **replace})
        chips.append(Link(label, url, key=names[0]))

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
            chip(f"{fields[name].label}: {', '.join(str(labels[v]) for v in data[name])}", name)
    if data.get("module"):
        chip(f"Module: {filterset.modules[data['module']]}", "module")
    if data.get("case_type"):
        chip(f"Case Type: {listing.TYPE_LABELS[data['case_type']]}", "case_type")
    if data.get("contact"):
        chip(f"Contact: {data['contact'].strip()}", "contact")
    start, end = data.get("modified_from"), data.get("modified_to")
    if start and end:
        chip(f"Last modified {start:%b %-d, %Y} to {end:%b %-d, %Y}", "modified_from", "modified_to")
    elif start:
        chip(f"Last modified on or after {start:%b %-d, %Y}", "modified_from")
    elif end:
        chip(f"Last modified on or before {end:%b %-d, %Y}", "modified_to")
    account = data.get("account")
    if scope.offer_account and account and account != ALL_DISTRICTS:
        name = next(n for _pk, slug, n in scope.accounts if slug == account)
        chip(f"Account: {name}", "account", account=ALL_DISTRICTS)
    return chips


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


def _count_text(count: int) -> str:
    return f"{number_format(count, force_grouping=True)} case{'' if count == 1 else 's'}"


def _list_context(request: HttpRequest, scope: Scope, filterset: CaseFilter) -> dict[str, Any]:
    list_url = reverse("cases:list")
    context: dict[str, Any] = {
        "suggestions_url": reverse("cases:contact-suggestions"),
        "submit_url": reverse("cases:choose-type"),
        "filter": filterset,
        "form": filterset.form,
        "list_url": list_url,
        "scope": scope,
        "scope_label": _scope_label(filterset, scope, request),
        "offer_account": scope.offer_account,
        "columns": listing.COLUMNS,
        **_choice_controls(filterset, scope),
    }
    if not filterset.is_valid():
        raw = _raw_state(request)
        context.update(
            valid=False,
            state=raw,
            quick_views=_quick_views(raw, request.GET.get("view", "")),
            clear_url=list_url,
            hidden_state=[(k, v) for k, v in raw if k in ("view", "sort", "per_page")],
            filters_open=any(name in filterset.form.errors for name in PANEL_FILTERS),
            announcement="The list could not be filtered: correct the fields marked in the filters.",
        )
        return context

    data = filterset.form.cleaned_data
    search_text = (data.get("q") or "").strip()
    sort = listing.Sort.parse(data.get("sort"), searching=bool(search_text))
    cases = filterset.qs
    page = listing.page_of(
        cases,
        listing.ordered(cases, sort, search_text, modified=filterset.modified),
        request.GET.get("page"),
        data["per_page"],
        searching=bool(search_text),
        merge=_merge_by_district(filterset, scope, sort),
        modified=filterset.modified,
    )
    state = _state(filterset, scope)
    if page.number > 1:
        state = [(k, v) for k, v in state if k != "page"] + [("page", str(page.number))]
    else:
        state = [(k, v) for k, v in state if k != "page"]
    chips = _chips(filterset, state, scope)
    active_panel = sum(1 for name in PANEL_FILTERS if _is_active(name, data, scope))
    headers = [
        {
            "key": column.key,
            "label": column.label,
            "url": list_url + _query(state, sort=sort.value_after_click(column), page=None),
            "aria_sort": sort.aria_sort(column),
        }
        for column in listing.COLUMNS
    ]
    pages = [
        Link(str(n), list_url + _query(state, page=n if n > 1 else None), n == page.number) if n else None
        for n in page.page_numbers()
    ]
    page_sizes = [
        Link(
            str(n),
            list_url + _query(state, per_page=n if n != listing.DEFAULT_PAGE_SIZE else None, page=None),
            n == page.per_page,
        )
        for n in listing.PAGE_SIZES
    ]
    export_state = [(k, v) for k, v in state if k not in ("page", "per_page")]
    shown = f"{page.start_index} to {page.end_index}" if page.count else "0"
    announcement = (
        f"{_count_text(page.count)} found. Showing {shown}, sorted by {sort.describe()}."
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
        count_text=_count_text(page.count),
        headers=headers,
        pages=pages,
        page_sizes=page_sizes,
        previous_url=list_url + _query(state, page=page.number - 1 if page.number > 2 else None),
        next_url=list_url + _query(state, page=page.number + 1),
        relevance_url=list_url + _query(state, sort=None, page=None),
        export_url=reverse("cases:export") + _query(export_state),
        quick_views=_quick_views(state, data.get("view") or ""),
        chips=chips,
        filtered=bool(chips) or bool(data.get("view")),
        clear_url=list_url,
        active_panel=str(active_panel) if active_panel else "",
        filters_open=active_panel > 0,
        hidden_state=[(k, v) for k, v in state if k in ("view", "sort", "per_page")],
        announcement=announcement,
        canonical_url=list_url + _query(state),
    )
    return context


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


def _rows(rows: list[listing.ListRow], *, advisor: bool) -> list[dict[str, str]]:
    """Each row as the strings it shows. Rendering a page of 100 rows is the largest part of the list's time
    when every cell goes through a template lookup, a ``get_…_display`` call or the ``date`` filter."""
    url = listing.case_url_builder()
    tz = timezone.get_current_timezone()
    result = []
    for row in rows:
        local = row.updated_at.astimezone(tz)
        result.append(
            {
                "number": str(row.number),
                "url": url(row.number),
                "subject": row.subject,
                "status": row.status,
                "status_label": listing.STATUS_LABELS.get(row.status, row.status),
                "priority": str(row.priority),
                "priority_label": listing.PRIORITY_LABELS.get(row.priority, str(row.priority)),
                "module": row.module or "",
                "type_label": listing.TYPE_LABELS.get(row.case_type, row.case_type),
                "contact": listing.contact_label(
                    row.contact_first_name,
                    row.contact_last_name,
                    row.contact_email,
                    row.caller_name,
                    advisor=advisor,
                ),
                "modified_iso": local.isoformat(),
                "modified_date": f"{local:%b} {local.day}, {local.year}",
                "modified_time": f"{local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}",
                "account": row.district,
            }
        )
    return result


@functools.lru_cache(maxsize=256)
def _checkboxes(name: str, choices: tuple[tuple[Any, Any], ...], chosen: tuple[str, ...]) -> SafeString:
    """Checkboxes in the markup of Django's CheckboxSelectMultiple, built in one pass (the widget renders a
    template per option) and remembered: most requests ask for the same few."""
    picked = set(chosen)
    items = format_html_join(
        "",
        '<div><label for="id_{0}_{1}"><input type="checkbox" name="{0}" value="{2}" id="id_{0}_{1}"{3}> {4}</label></div>',
        (
            (name, index, value, mark_safe(" checked") if str(value) in picked else "", label)
            for index, (value, label) in enumerate(choices)
        ),
    )
    return format_html('<div id="id_{}">{}</div>', name, items)


@functools.lru_cache(maxsize=512)
def _options(choices: tuple[tuple[Any, Any], ...], chosen: str) -> SafeString:
    """``<option>``s of a ``<select>``, the chosen one selected (remembered, like ``_checkboxes``)."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, mark_safe(" selected") if str(value) == chosen else "", label) for value, label in choices),
    )


def _chosen(value: Any) -> str:
    return "" if value is None else str(value)


def _chosen_list(value: Any) -> tuple[str, ...]:
    return tuple(sorted(str(v) for v in value or []))


_STATUS_CHOICES = tuple(Status.choices)
_PRIORITY_CHOICES = tuple((str(value), label) for value, label in Priority.choices)
_SUBJECT_OP_CHOICES = tuple(SubjectOperator.choices)
_CASE_TYPE_CHOICES = (("", "Any case type"), *CaseType.choices)


def _choice_controls(filterset: CaseFilter, scope: Scope) -> dict[str, SafeString]:
    form = filterset.form
    controls = {
        "status_checkboxes": _checkboxes("status", _STATUS_CHOICES, _chosen_list(form["status"].value())),
        "priority_checkboxes": _checkboxes(
            "priority", _PRIORITY_CHOICES, _chosen_list(form["priority"].value())
        ),
        "subject_op_options": _options(_SUBJECT_OP_CHOICES, _chosen(form["subject_op"].value())),
        "module_options": _options(
            (("", "Any module"), *filterset.modules.items()), _chosen(form["module"].value())
        ),
        "case_type_options": _options(_CASE_TYPE_CHOICES, _chosen(form["case_type"].value())),
        "account_options": mark_safe(""),
    }
    if scope.offer_account:
        controls["account_options"] = _options(
            tuple(form.fields["account"].choices), _chosen(form["account"].value())
        )
    return controls


def _is_active(name: str, data: dict[str, Any], scope: Scope) -> bool:
    value = data.get(name)
    if name == "account":
        return scope.offer_account and bool(value) and value != ALL_DISTRICTS
    return value not in (None, "", [], ())


def _quick_views(state: State, current: str) -> list[Link]:
    list_url = reverse("cases:list")
    views = [("", "All cases"), *QuickView.choices]
    return [
        Link(
            str(label),
            list_url + _query(state, view=value or None, page=None),
            value == current,
            value or "all",
        )
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
