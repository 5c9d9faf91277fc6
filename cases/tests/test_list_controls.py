"""The case list's controls as Django renders them: the filter fields (shared field template, error and help
ids), the pager's elided page range, the links built from the list's state, and dates through ``|date``.

Time is fixed at Wednesday 15 April 2026, 10:00 in Chicago.
"""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.paginator import Paginator

from cases.selectors import listing
from cases.tests.listing_helpers import (
    CHICAGO,
    LIST,
    case_row,
    create_case,
    create_cases,
    links,
    listed_numbers,
)
from cases.workflow import Status
from contacts.models import Role
from contacts.tests.factories import DistrictFactory, MembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wednesday_morning")]


def tag(html: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    match = re.search(rf'<(?:input|select|fieldset)\b[^>]*\bid="{element_id}"[^>]*>', html)
    assert match, f"no field with id {element_id}"
    return match.group(0)


def error_text(html: str, error_id: str) -> str:
    match = re.search(rf'<div class="field-error" id="{error_id}">(.*?)</div>', html, re.S)
    assert match, f"no error with id {error_id}"
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def assert_marked(page: str, field_id: str, message: str) -> str:
    """The field is marked invalid and tied to its own error, which says ``message``; returns the field's tag."""
    field = tag(page, field_id)
    assert 'aria-invalid="true"' in field
    assert f'aria-describedby="{field_id}_error"' in field
    assert error_text(page, f"{field_id}_error") == message
    return field


# ---------------------------------------------------------------------------------------------------------------
# A refused filter: typed values kept, the field marked and tied to its message


def test_a_reversed_date_range_marks_the_to_field_and_keeps_both_dates(client, personas):
    client.force_login(personas.support)
    response = client.get(LIST + "?modified_from=2026-04-10&modified_to=2026-04-01")
    page = response.text
    assert response.status_code == 400
    to_field = assert_marked(
        page, "id_modified_to", "The end of the Last Modified range is before its start."
    )
    assert 'value="2026-04-01"' in to_field
    # The start is not wrong: it is kept, not marked.
    from_field = tag(page, "id_modified_from")
    assert 'value="2026-04-10"' in from_field
    assert "aria-invalid" not in from_field
    assert "aria-describedby" not in from_field


def test_an_unknown_subject_condition_marks_the_condition_and_keeps_the_text(client, personas):
    client.force_login(personas.support)
    response = client.get(LIST + "?subject=grades&subject_op=sounds_like")
    page = response.text
    assert response.status_code == 400
    assert_marked(page, "id_subject_op", "Choose how to compare the subject.")
    text = tag(page, "id_subject")
    assert 'value="grades"' in text
    assert "aria-invalid" not in text


def test_an_unknown_status_marks_the_status_group(client, personas):
    client.force_login(personas.support)
    response = client.get(LIST + "?status=new&status=lost")
    page = response.text
    assert response.status_code == 400
    assert re.search(
        r'<fieldset aria-describedby="id_status_error">\s*<legend class="field-label">Status</legend>', page
    )
    assert "Select a valid choice. lost is not one of the available choices." in error_text(
        page, "id_status_error"
    )
    # The valid choice stays ticked.
    assert re.search(r'<input type="checkbox" name="status" value="new"[^>]*checked', page)


def test_a_too_long_search_points_to_its_help_and_its_error(client, personas):
    client.force_login(personas.support)
    response = client.get(LIST + "?q=" + "a" * 201)
    page = response.text
    assert response.status_code == 400
    search = tag(page, "id_q")
    assert 'type="search"' in search
    assert 'aria-invalid="true"' in search
    assert 'aria-describedby="id_q_helptext id_q_error"' in search
    assert 'id="id_q_helptext"' in page


def test_fields_without_errors_are_not_marked(client, personas):
    client.force_login(personas.support)
    page = client.get(LIST).text
    assert "aria-invalid" not in page
    assert 'aria-describedby="id_q_helptext"' in tag(page, "id_q")
    assert 'aria-describedby="id_contact_helptext"' in tag(page, "id_contact")


# ---------------------------------------------------------------------------------------------------------------
# Widget attributes that depend on the viewer


def test_the_contact_autocomplete_sends_the_account_only_when_there_is_one_to_choose(client, personas):
    client.force_login(personas.support)
    assert "hx-include" not in tag(client.get(LIST).text, "id_contact")

    other = DistrictFactory(name="Riverbend Schools", slug="riverbend")
    MembershipFactory(user=personas.support, district=other, role=Role.SUPPORT)
    contact = tag(client.get(LIST + "?account=all").text, "id_contact")
    assert 'hx-include="#id_account"' in contact
    assert 'hx-get="/cases/contacts/"' in contact


# ---------------------------------------------------------------------------------------------------------------
# Pages


def test_the_page_range_is_elided_around_a_middle_page():
    page = listing.CaseListPage(rows=[], count=200, number=6, per_page=10)
    assert list(page.elided_page_range()) == [1, Paginator.ELLIPSIS, 4, 5, 6, 7, 8, Paginator.ELLIPSIS, 20]


@pytest.mark.parametrize(
    ("count", "number", "expected"),
    [
        (0, 1, [1]),
        (60, 1, [1, 2, 3, 4, 5, 6]),
        (70, 1, [1, 2, 3, "…", 7]),
        (200, 4, [1, 2, 3, 4, 5, 6, "…", 20]),
        # One hidden page is shown rather than replaced by a gap.
        (200, 5, [1, 2, 3, 4, 5, 6, 7, "…", 20]),
        (200, 6, [1, "…", 4, 5, 6, 7, 8, "…", 20]),
        (200, 20, [1, "…", 18, 19, 20]),
    ],
)
def test_the_page_range_shows_the_ends_and_two_pages_either_side(count, number, expected):
    page = listing.CaseListPage(rows=[], count=count, number=number, per_page=10)
    assert [str(n) if not isinstance(n, int) else n for n in page.elided_page_range()] == expected


def test_the_pager_of_a_middle_page(client, personas):
    create_cases(
        case_row(district=personas.district_a, contact=personas.support, subject=f"Case {i:03d}")
        for i in range(200)
    )
    client.force_login(personas.support)
    page = client.get(LIST + "?per_page=10&page=6").text
    pager = re.search(r'<nav class="pagination" aria-label="Pages">(.*?)</nav>', page, re.S)
    assert pager
    items = [unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in re.findall(r"<li[^>]*>(.*?)</li>", pager.group(1), re.S)]  # fmt: skip
    assert items == ["\u2039 Previous", "1", "…", "4", "5", "6", "7", "8", "…", "20", "Next \u203a"]
    current = re.search(r'<a [^>]*aria-current="page"[^>]*>', pager.group(1))
    assert current
    assert 'aria-label="Page 6"' in current.group(0)
    # Page 1 is the list's own address; the others name their page, and every link keeps the page size.
    first = re.search(r'<a href="([^"]*)"[^>]*aria-label="Page 1"', pager.group(1))
    assert first
    assert unescape(first.group(1)) == LIST + "?per_page=10"
    assert dict(parse_qsl(urlsplit(links(page, "page-previous")).query)) == {"per_page": "10", "page": "5"}
    assert dict(parse_qsl(urlsplit(links(page, "page-next")).query)) == {"per_page": "10", "page": "7"}


def test_previous_from_page_two_is_the_first_page_without_a_page_number(client, personas):
    create_cases(
        case_row(district=personas.district_a, contact=personas.support, subject=f"Case {i:03d}")
        for i in range(30)
    )
    client.force_login(personas.support)
    page = client.get(LIST + "?status=new&page=2").text
    assert links(page, "page-previous") == LIST + "?status=new"


# ---------------------------------------------------------------------------------------------------------------
# Links built from the state


def test_links_change_only_their_own_parameters(client, personas):
    create_case(district=personas.district_a, contact=personas.support, subject="Grades are missing")
    client.force_login(personas.support)
    page = client.get(LIST + "?q=grades&status=new&status=assigned&sort=-subject&per_page=50").text
    state = {
        ("q", "grades"),
        ("status", "new"),
        ("status", "assigned"),
        ("sort", "-subject"),
        ("per_page", "50"),
    }

    def query(element_id: str) -> set[tuple[str, str]]:
        return set(parse_qsl(urlsplit(links(page, element_id)).query))

    assert query("sort-number") == state - {("sort", "-subject")} | {("sort", "-number")}
    assert query("sort-relevance") == state - {("sort", "-subject")}
    assert query("per-page-20") == state - {("per_page", "50")}
    assert query("view-waiting") == state | {("view", "waiting")}
    assert query("remove-filter-status") == state - {("status", "new"), ("status", "assigned")}
    export = re.search(r'<a class="[^"]*export-link" href="([^"]+)"', page)
    assert export
    assert unescape(export.group(1)) == "/cases/export.csv?q=grades&status=new&status=assigned&sort=-subject"


def test_removing_the_account_chip_shows_all_districts(client, personas):
    other = DistrictFactory(name="Riverbend Schools", slug="riverbend")
    MembershipFactory(user=personas.support, district=other, role=Role.SUPPORT)
    client.force_login(personas.support)
    page = client.get(LIST + "?account=riverbend&status=new").text
    assert links(page, "remove-filter-account") == LIST + "?status=new&account=all"


# ---------------------------------------------------------------------------------------------------------------
# Dates


def test_last_modified_is_shown_as_date_and_time_of_chicago(client, personas):
    afternoon = datetime(2026, 4, 5, 15, 4, tzinfo=CHICAGO)
    midnight = datetime(2026, 4, 6, 0, 7, tzinfo=CHICAGO)
    create_case(
        district=personas.district_a, contact=personas.support, updated_at=afternoon, subject="Afternoon"
    )
    create_case(
        district=personas.district_a, contact=personas.support, updated_at=midnight, subject="Midnight"
    )
    client.force_login(personas.support)
    page = client.get(LIST).text
    cells = re.findall(r'<td class="col-modified"[^>]*>(.*?)</td>', page, re.S)
    assert [unescape(re.sub(r"<[^>]+>", " ", cell)).split() for cell in cells] == [
        ["Apr", "6,", "2026", "12:07", "AM"],
        ["Apr", "5,", "2026", "3:04", "PM"],
    ]
    assert '<time datetime="2026-04-05T15:04:00-05:00">' in page


def test_the_date_range_chip_reads_like_the_table(client, personas):
    create_case(district=personas.district_a, contact=personas.support, status=Status.NEW)
    client.force_login(personas.support)
    page = unescape(client.get(LIST + "?modified_from=2026-04-01&modified_to=2026-04-15").text)
    assert "<span>Last modified Apr 1, 2026 to Apr 15, 2026</span>" in page
    page = unescape(client.get(LIST + "?modified_from=2026-03-09").text)
    assert "<span>Last modified on or after Mar 9, 2026</span>" in page
    assert listed_numbers(page)


def test_removing_the_last_filter_pushes_the_lists_own_address(client, personas):
    create_case(district=personas.district_a, contact=personas.support)
    client.force_login(personas.support)
    page = client.get(LIST + "?status=new").text
    response = client.get(links(page, "remove-filter-status"), headers={"HX-Request": "true"})
    assert response["HX-Push-Url"] == LIST
