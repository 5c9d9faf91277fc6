"""The district case list (SPEC §4): access, every filter and operator, quick views, sorting both ways
on every column, page sizes, the URL round trip, htmx partials and query budgets.

Time is fixed at Wednesday 15 April 2026, 10:00 in Chicago. Cases are inserted in bulk (``listing_helpers``):
the list only reads them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse

from cases.casetypes import CaseType
from cases.models import Case, Module, Priority
from cases.selectors import get_case_for_viewer, listing
from cases.tests.listing_helpers import (
    LIST,
    NOW,
    case_row,
    count_heading,
    create_case,
    create_cases,
    links,
    listed_numbers,
)
from cases.workflow import Status
from contacts.models import Role, User
from contacts.tests.factories import DistrictFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wednesday_morning")]


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


@pytest.fixture
def modules(db) -> dict[str, Module]:
    return {
        name: Module.objects.get_or_create(name=name)[0]
        for name in ("Attendance", "Grade Book", "Scheduling")
    }


@pytest.fixture
def advisor_user(personas) -> User:
    return personas.advisor


def get(client, user: User | None, params: dict | str = "", **headers):
    if user is not None:
        client.force_login(user)
    query = params if isinstance(params, str) else "&".join(f"{k}={v}" for k, v in params.items())
    return client.get(LIST + (f"?{query}" if query else ""), headers=headers)


def numbers_for(client, user: User, params: dict | str = "") -> list[int]:
    response = get(client, user, params)
    assert response.status_code == 200, response.text[:2000]
    return listed_numbers(response.text)


# ---------------------------------------------------------------------------------------------------------------
# The list and who sees what


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_list_shows_the_districts_cases_newest_last_modified_first_with_every_column(
    client, personas, modules
):
    a = personas.district_a
    older = create_case(
        district=a,
        contact=personas.support,
        subject="Older case",
        updated_at=ago(days=3),
        module=modules["Attendance"],
    )
    newer = create_case(
        district=a,
        contact=personas.technical,
        subject="Newer case",
        updated_at=ago(hours=1),
        status=Status.PENDING_CUSTOMER_INPUT,
        advisor=personas.advisor,
        priority=Priority.HIGH,
        case_type=CaseType.APPLICATION_ISSUE,
        module=modules["Grade Book"],
    )
    response = get(client, personas.read_only)
    page = unescape(response.text)
    assert response.status_code == 200
    assert listed_numbers(response.text) == [newer.number, older.number]
    assert count_heading(response.text) == "2 cases"
    headers = re.findall(r'<a class="sort-link"[^>]*>([^<]+)<', response.text)
    assert headers == [
        "Case Number", "Subject", "Status", "Priority", "Module", "Case Type", "Contact", "Last Modified", "Account",
    ]  # fmt: skip
    for text in ["Newer case", "Pending Customer Input", "High", "Grade Book", "Application Issue"]:
        assert text in page
    assert personas.technical.get_full_name() in page
    assert "Apr 15, 2026" in page
    assert "9:00 AM" in page
    assert "Maple Grove Public Schools" in page
    assert f'href="{reverse("cases:detail", args=[newer.number])}">#{newer.number}</a>' in response.text
    assert page.count("<h1") == 1


def test_case_number_links_to_the_case_page(db):
    build = listing.case_url_builder()
    assert [build(n) for n in (1, 100042)] == ["/cases/1/", "/cases/100042/"]


@pytest.mark.parametrize("persona", ["support", "technical", "implementation", "read_only"])
def test_every_contact_of_a_district_sees_all_of_its_cases_and_nothing_else(client, personas, persona):
    mine = create_cases(
        case_row(district=personas.district_a, contact=personas.support, updated_at=ago(hours=i))
        for i in range(3)
    )
    create_case(district=personas.district_b, contact=personas.other_district, subject="Cedar Falls secret")
    response = get(client, getattr(personas, persona))
    assert sorted(listed_numbers(response.text)) == sorted(c.number for c in mine)
    assert "Cedar Falls secret" not in response.text
    assert "Cedar Falls" not in response.text


def test_contact_of_another_district_sees_only_theirs(client, personas):
    create_case(district=personas.district_a, contact=personas.support, subject="Maple Grove only")
    theirs = create_case(district=personas.district_b, contact=personas.other_district)
    response = get(client, personas.other_district)
    assert listed_numbers(response.text) == [theirs.number]
    assert "Maple Grove" not in response.text


def test_advisor_sees_every_district(client, personas):
    a = create_case(district=personas.district_a, contact=personas.support, updated_at=ago(hours=2))
    b = create_case(district=personas.district_b, contact=personas.other_district, updated_at=ago(hours=1))
    assert numbers_for(client, personas.advisor) == [b.number, a.number]


def test_deactivated_account_is_not_let_in(client, personas):
    create_case(district=personas.district_a, contact=personas.support)
    response = get(client, personas.deactivated)
    assert response.status_code == 302


def test_removed_membership_loses_the_list_at_once(client, personas):
    create_case(district=personas.district_a, contact=personas.support, subject="Still ours")
    client.force_login(personas.support)
    assert "Still ours" in client.get(LIST).text
    personas.support.memberships.update(is_active=False)
    response = client.get(LIST)
    assert response.status_code == 200
    assert "Still ours" not in response.text
    assert count_heading(response.text) == "0 cases"


def test_the_list_and_the_per_case_check_agree_for_every_persona(client, personas):
    """DESIGN §2 rule 1: the list queryset and the per-object getter never disagree."""
    cases = [
        create_case(district=personas.district_a, contact=personas.support),
        create_case(district=personas.district_b, contact=personas.other_district),
    ]
    for name, user in personas.all().items():
        listed = set(listing.visible_cases(user).values_list("number", flat=True))
        for case in cases:
            try:
                get_case_for_viewer(user, case.number)
                reachable = True
            except Exception:
                reachable = False
            assert reachable == (case.number in listed), (name, case.number)


def test_every_contact_gets_the_cases_link_in_the_navigation(client, personas):
    for user in [*personas.contacts_of_a().values(), personas.other_district]:
        client.force_login(user)
        page = client.get(reverse("home")).text
        assert f'<a href="{LIST}">Cases</a>' in page
    client.force_login(personas.read_only)
    assert f'<a href="{LIST}" aria-current="page">Cases</a>' in client.get(LIST).text


# ---------------------------------------------------------------------------------------------------------------
# Filters


@pytest.fixture
def named(personas, modules) -> dict[str, Case]:
    """Cases of district A that differ in one field each; one case of district B."""
    a, contact = personas.district_a, personas.support
    common = {"district": a, "contact": contact, "advisor": personas.advisor}
    rows = {
        "grades": case_row(
            **common,
            subject="Teachers unable to post grades",
            module=modules["Grade Book"],
            status=Status.ASSIGNED,
            priority=Priority.HIGH,
            case_type=CaseType.APPLICATION_ISSUE,
            updated_at=ago(days=1),
        ),
        "report": case_row(
            **common,
            subject="Attendance report missing",
            module=modules["Attendance"],
            status=Status.PENDING_CUSTOMER_INPUT,
            priority=Priority.LOW,
            updated_at=ago(days=5),
        ),
        "schedule": case_row(
            district=a,
            contact=personas.technical,
            advisor=personas.advisor,
            subject="Schedule wizard shows GRADES twice",
            module=modules["Scheduling"],
            status=Status.PENDING_CUSTOMER_VERIFICATION,
            priority=Priority.MEDIUM,
            case_type=CaseType.REQUEST_TECHNICAL_SERVICES,
            updated_at=ago(days=20),
        ),
        "closed_recently": case_row(
            **common, subject="Closed last month", status=Status.CLOSED, updated_at=ago(days=30)
        ),
        "closed_long_ago": case_row(
            **common, subject="Closed long ago", status=Status.CLOSED, updated_at=ago(days=61)
        ),
        "outage": case_row(
            **common, subject="Portal down", priority=Priority.CRITICAL, updated_at=ago(hours=2)
        ),
    }
    created = dict(zip(rows, create_cases(rows.values()), strict=True))
    created["other"] = create_case(
        district=personas.district_b,
        contact=personas.other_district,
        subject="Teachers unable to post grades",
    )
    return created


def shown(client, personas, cases: dict[str, Case], params: dict | str) -> set[str]:
    """Which of the named cases the support contact of district A sees with these parameters."""
    numbers = set(numbers_for(client, personas.support, params))
    return {name for name, case in cases.items() if case.number in numbers}


def test_case_number_filter_finds_one_case_with_or_without_hash(client, personas, named):
    number = named["report"].number
    assert shown(client, personas, named, {"number": number}) == {"report"}
    assert shown(client, personas, named, f"number=%23{number}") == {"report"}
    assert shown(client, personas, named, f"number=+{number}+") == {"report"}


def test_another_districts_case_number_returns_nothing(client, personas, named):
    response = get(client, personas.support, {"number": named["other"].number})
    assert response.status_code == 200
    assert listed_numbers(response.text) == []
    assert count_heading(response.text) == "0 cases"
    assert "Cedar Falls" not in response.text


def test_a_case_number_that_is_not_a_number_is_a_clear_400(client, personas, named):
    response = get(client, personas.support, {"number": "abc"})
    assert response.status_code == 400
    assert "Enter a case number, such as 100234." in response.text
    assert 'id="id_number_error"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'value="abc"' in response.text  # what was typed is kept


@pytest.mark.parametrize(
    "digits",
    [
        "\uff11\uff10\uff10\uff10\uff10\uff11",  # full-width
        "\u0661\u0660\u0660\u0660\u0660\u0661",  # Arabic-Indic
        "\u0967\u0966\u0966\u0966\u0966\u0967",  # Devanagari
        "%23\uff11\uff10\uff10\uff10\uff10\uff11",  # "#" written as in a link
    ],
)
def test_a_case_number_in_non_ascii_digits_is_refused_not_read_as_a_number(client, personas, named, digits):
    response = get(client, personas.support, {"number": digits})
    assert response.status_code == 400
    assert "Enter a case number, such as 100234." in response.text
    assert listed_numbers(response.text) == []


@pytest.mark.parametrize(
    ("operator", "text", "expected"),
    [
        ("equals", "attendance REPORT missing", {"report"}),
        ("not_equals", "Attendance report missing", {"grades", "schedule", "closed_recently", "closed_long_ago", "outage"}),
        ("starts", "teachers", {"grades"}),
        ("ends", "TWICE", {"schedule"}),
        ("contains", "grades", {"grades", "schedule"}),
        ("not_contains", "grades", {"report", "closed_recently", "closed_long_ago", "outage"}),
    ],
)  # fmt: skip
def test_subject_operators_are_case_insensitive(client, personas, named, operator, text, expected):
    assert (
        shown(client, personas, named, f"subject={text.replace(' ', '+')}&subject_op={operator}") == expected
    )


def test_subject_without_operator_means_contains(client, personas, named):
    assert shown(client, personas, named, "subject=GRADES") == {"grades", "schedule"}


def test_subject_with_like_wildcards_matches_them_literally(client, personas, named):
    assert shown(client, personas, named, "subject=%25&subject_op=contains") == set()
    assert shown(client, personas, named, "subject=_&subject_op=starts") == set()


def test_unknown_subject_operator_is_a_400(client, personas, named):
    response = get(client, personas.support, "subject=x&subject_op=regex")
    assert response.status_code == 400
    assert "Choose how to compare the subject." in response.text


def test_status_filter_takes_several_statuses(client, personas, named):
    assert shown(client, personas, named, "status=assigned") == {"grades"}
    assert shown(client, personas, named, "status=assigned&status=pending_input") == {"grades", "report"}


def test_priority_filter(client, personas, named):
    assert shown(client, personas, named, {"priority": Priority.CRITICAL.value}) == {"outage"}
    assert shown(client, personas, named, "priority=2&priority=4") == {"grades", "report"}


def test_module_filter(client, personas, named, modules):
    assert shown(client, personas, named, {"module": modules["Scheduling"].pk}) == {"schedule"}


def test_case_type_filter(client, personas, named):
    assert shown(client, personas, named, "case_type=application_issue") == {"grades"}


def test_contact_filter_by_address_or_part_of_a_name(client, personas, named):
    technical = personas.technical
    assert shown(client, personas, named, {"contact": technical.email.upper()}) == {"schedule"}
    assert shown(client, personas, named, {"contact": technical.last_name[1:4].lower()}) >= {"schedule"}
    full = f"{technical.first_name} {technical.last_name}".replace(" ", "+")
    assert shown(client, personas, named, {"contact": full}) == {"schedule"}
    # Another district's contact matches nothing: the list is already scoped to the viewer's cases.
    assert shown(client, personas, named, {"contact": personas.other_district.email}) == set()


def test_last_modified_range_counts_whole_chicago_days(client, personas, named):
    day = (NOW - timedelta(days=5)).date()
    assert shown(client, personas, named, {"modified_from": day, "modified_to": day}) == {"report"}
    assert shown(client, personas, named, {"modified_from": (NOW - timedelta(days=1)).date()}) == {
        "grades",
        "outage",
    }
    assert shown(client, personas, named, {"modified_to": (NOW - timedelta(days=30)).date()}) == {
        "closed_recently",
        "closed_long_ago",
    }


def test_a_reversed_date_range_is_a_400_next_to_the_field(client, personas, named):
    response = get(client, personas.support, "modified_from=2026-04-10&modified_to=2026-04-01")
    assert response.status_code == 400
    assert "The end of the Last Modified range is before its start." in response.text
    assert 'value="2026-04-10"' in response.text


def test_quick_views(client, personas, named):
    assert shown(client, personas, named, "view=open") == {"grades", "report", "schedule", "outage"}
    assert shown(client, personas, named, "view=waiting") == {"report", "schedule"}
    assert shown(client, personas, named, "view=closed") == {"closed_recently"}


def test_closed_in_the_last_60_days_is_exactly_the_reopen_window(client, personas):
    a, contact = personas.district_a, personas.support
    inside, _outside = create_cases(
        [
            case_row(district=a, contact=contact, status=Status.CLOSED, updated_at=NOW - timedelta(days=60)),
            case_row(
                district=a,
                contact=contact,
                status=Status.CLOSED,
                updated_at=NOW - timedelta(days=60, minutes=1),
            ),
        ]
    )
    assert numbers_for(client, contact, "view=closed") == [inside.number]


def test_filters_combine_with_and(client, personas, named, modules):
    params = f"status=assigned&status=pending_input&module={modules['Grade Book'].pk}&subject=grades"
    assert shown(client, personas, named, params) == {"grades"}
    assert shown(client, personas, named, params + "&view=waiting") == set()
    assert shown(client, personas, named, "view=open&priority=4&subject=report") == {"report"}


@pytest.mark.parametrize(
    "query",
    [
        "sort=subject;DROP TABLE cases_case",
        "sort=password",
        "sort=--modified",
        "status=deleted",
        "priority=0",
        "module=999999999",
        "module=abc",
        "case_type=anything",
        "view=everything",
        "modified_from=yesterday",
        "number=99999999999999999999999",
        "account=cedar-falls",
    ],
)
def test_crafted_parameters_get_a_clear_400_never_a_500(client, personas, named, query):
    response = get(client, personas.support, query)
    assert response.status_code == 400
    assert "Please correct the errors marked below." in response.text or "field-error" in response.text
    assert listed_numbers(response.text) == []


@pytest.mark.parametrize("query", ["page=abc", "page=-3", "page=99999", "foo=bar", "q=", "contact=%27%3B--", "per_page=1000", "per_page=-1"])  # fmt: skip
def test_harmless_odd_parameters_are_ignored(client, personas, named, query):
    response = get(client, personas.support, query)
    assert response.status_code in (200, 302)


# ---------------------------------------------------------------------------------------------------------------
# Accounts (contacts of several districts)


@pytest.fixture
def two_districts(personas):
    riverbend = DistrictFactory(name="Riverbend Unified", slug="riverbend")
    MembershipFactory(user=personas.support, district=riverbend, role=Role.READ_ONLY)
    maple = create_case(district=personas.district_a, contact=personas.support, updated_at=ago(hours=2))
    river = create_case(district=riverbend, contact=UserFactory(), updated_at=ago(hours=1))
    create_case(district=personas.district_b, contact=personas.other_district)
    return {"maple": maple, "river": river, "riverbend": riverbend}


def test_contact_of_two_districts_sees_the_current_one_or_all(client, personas, two_districts):
    client.force_login(personas.support)
    # No district chosen yet: all of theirs.
    assert listed_numbers(client.get(LIST).text) == [
        two_districts["river"].number,
        two_districts["maple"].number,
    ]
    client.post(reverse("switch-district"), {"district": "riverbend"})
    page = client.get(LIST).text
    assert listed_numbers(page) == [two_districts["river"].number]
    assert "Cases of Riverbend Unified" in page
    # Every link spells the account out, so a bookmark does not depend on the current district.
    assert "account=riverbend" in links(page, "sort-subject")
    assert listed_numbers(client.get(LIST + "?account=all").text) == [
        two_districts["river"].number,
        two_districts["maple"].number,
    ]
    assert listed_numbers(client.get(LIST + "?account=maple-grove").text) == [two_districts["maple"].number]


def test_account_filter_offers_only_the_viewers_districts(client, personas, two_districts):
    client.force_login(personas.support)
    page = client.get(LIST).text
    select = re.search(r'<select name="account".*?</select>', page, re.S)
    assert select
    assert re.findall(r'<option value="([^"]+)"', select.group(0)) == ["all", "maple-grove", "riverbend"]
    assert client.get(LIST + "?account=cedar-falls").status_code == 400


def test_single_district_contacts_get_no_account_filter(client, personas):
    client.force_login(personas.support)
    assert 'name="account"' not in client.get(LIST).text


# ---------------------------------------------------------------------------------------------------------------
# Sorting


@pytest.fixture
def sortable(personas, modules) -> list[Case]:
    """Cases that differ in every column, so each sort gives a different order."""
    a = personas.district_a
    riverbend = DistrictFactory(name="Riverbend Unified", slug="riverbend")
    MembershipFactory(user=personas.support, district=riverbend, role=Role.SUPPORT)
    people = [
        UserFactory(first_name="Zoe", last_name="Adams"),
        UserFactory(first_name="amy", last_name="baker"),
        UserFactory(first_name="Carl", last_name="Young"),
    ]
    rows = [
        case_row(district=a, contact=people[0], subject="banana", status=Status.SCHEDULED, priority=Priority.LOW,
                 module=modules["Scheduling"], case_type=CaseType.REQUEST_TRAINING, updated_at=ago(days=2),
                 advisor=personas.advisor),
        case_row(district=riverbend, contact=people[1], subject="Apple", status=Status.NEW, priority=Priority.HIGH,
                 module=None, case_type=CaseType.APPLICATION_ISSUE, updated_at=ago(days=1)),
        case_row(district=a, contact=people[2], subject="cherry", status=Status.ASSIGNED, priority=Priority.MEDIUM,
                 module=modules["Attendance"], case_type=CaseType.DATA_RESTORE, updated_at=ago(days=3),
                 advisor=personas.advisor),
        case_row(district=riverbend, contact=people[0], subject="apricot", status=Status.CLOSED,
                 priority=Priority.CRITICAL, module=modules["Grade Book"], updated_at=ago(hours=5),
                 advisor=personas.advisor),
    ]  # fmt: skip
    return create_cases(rows)


def _expected_order(cases: list[Case], key: str, descending: bool) -> list[int]:
    def value(case: Case):
        match key:
            case "number":
                return case.number
            case "subject":
                return case.subject.lower()
            case "status":
                return case.status
            case "priority":
                return -case.priority  # ascending priority: least urgent first
            case "module":
                return case.module.name.lower() if case.module else None
            case "type":
                return case.case_type
            case "contact":
                return (case.contact.last_name.lower(), case.contact.first_name.lower())
            case "modified":
                return case.updated_at
            case "account":
                return case.district.name.lower()
        raise AssertionError(key)

    present = [c for c in cases if value(c) is not None]
    missing = [c for c in cases if value(c) is None]
    # Ties: newest last-modified first, then the highest number.
    present.sort(key=lambda c: (-c.updated_at.timestamp(), -c.number))
    present.sort(key=value, reverse=descending)
    return [c.number for c in present + missing]  # nulls last both ways


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("column", [c.key for c in listing.COLUMNS])
def test_every_column_sorts_both_ways(client, personas, sortable, column, descending):
    sort = f"{'-' if descending else ''}{column}"
    response = get(client, personas.support, f"account=all&sort={sort}")
    assert listed_numbers(response.text) == _expected_order(sortable, column, descending)
    th = re.search(rf'<th scope="col" class="col-{column}"([^>]*)>', response.text)
    assert th
    assert f'aria-sort="{"descending" if descending else "ascending"}"' in th.group(1)


def test_clicking_a_header_sorts_by_it_and_a_second_click_reverses(client, personas, sortable):
    client.force_login(personas.support)
    page = client.get(LIST + "?account=all&status=new&status=closed&status=scheduled&status=assigned").text
    first = links(page, "sort-subject")
    assert dict(parse_qsl(urlsplit(first).query))["sort"] == "subject"
    page = client.get(first).text
    assert 'aria-sort="ascending"' in page
    second = links(page, "sort-subject")
    assert dict(parse_qsl(urlsplit(second).query))["sort"] == "-subject"
    page = client.get(second).text
    assert 'aria-sort="descending"' in page
    # The filters survived both clicks.
    assert parse_qsl(urlsplit(second).query).count(("status", "new")) == 1
    assert len(listed_numbers(page)) == 4


def test_default_order_marks_last_modified_descending_and_its_header_reverses_it(client, personas, sortable):
    page = get(client, personas.support, "account=all").text
    assert re.search(r'class="col-modified" aria-sort="descending"', page)
    assert dict(parse_qsl(urlsplit(links(page, "sort-modified")).query))["sort"] == "modified"
    assert dict(parse_qsl(urlsplit(links(page, "sort-number")).query))["sort"] == "-number"


# ---------------------------------------------------------------------------------------------------------------
# Paging


@pytest.fixture
def many(personas) -> list[Case]:
    """105 cases of district A, one a minute apart: newest first is descending number."""
    rows = [
        case_row(
            district=personas.district_a,
            contact=personas.support,
            subject=f"Case {i:03d}",
            updated_at=ago(minutes=i),
        )
        for i in range(105)
    ]
    return create_cases(rows)


@pytest.mark.parametrize(("per_page", "pages"), [(10, 11), (20, 6), (50, 3), (100, 2)])
def test_page_sizes(client, personas, many, per_page, pages):
    query = "" if per_page == 20 else f"per_page={per_page}"
    page = get(client, personas.support, query).text
    assert len(listed_numbers(page)) == per_page
    assert listed_numbers(page)[0] == many[0].number
    assert count_heading(page) == "105 cases"
    assert f'aria-label="Page {pages}"' in page
    assert f'aria-label="Page {pages + 1}"' not in page
    assert re.search(rf'id="per-page-{per_page}" aria-current="true"', page)
    last = get(client, None, f"{query}&page={pages}").text
    assert len(listed_numbers(last)) == 105 - per_page * (pages - 1)


def test_default_page_size_is_20_and_pages_follow_each_other(client, personas, many):
    client.force_login(personas.support)
    first = client.get(LIST).text
    second = client.get(links(first, "page-next")).text
    assert listed_numbers(first) + listed_numbers(second) == [c.number for c in many[:40]]
    assert "Showing 21\u201340" in second
    assert listed_numbers(client.get(links(second, "page-previous")).text) == listed_numbers(first)


def test_page_past_the_end_shows_the_last_page_and_nonsense_the_first(client, personas, many):
    assert numbers_for(client, personas.support, "page=999") == [c.number for c in many[100:]]
    assert numbers_for(client, personas.support, "page=abc") == [c.number for c in many[:20]]


def test_changing_the_page_size_goes_back_to_the_first_page(client, personas, many):
    page = get(client, personas.support, "page=3").text
    assert dict(parse_qsl(urlsplit(links(page, "per-page-50")).query)) == {"per_page": "50"}


# ---------------------------------------------------------------------------------------------------------------
# State in the URL, htmx


def test_every_link_carries_the_whole_state(client, personas, named, modules):
    query = f"q=grades&status=assigned&status=pending_input&module={modules['Grade Book'].pk}&sort=-priority&per_page=50"
    page = get(client, personas.support, query).text
    expected = set(parse_qsl(query))
    for element in ["sort-subject", "per-page-10", "view-open", "remove-filter-q"]:
        found = set(parse_qsl(urlsplit(links(page, element)).query))
        changed = {
            "sort-subject": "sort",
            "per-page-10": "per_page",
            "view-open": "view",
            "remove-filter-q": "q",
        }[element]
        assert {p for p in expected if p[0] != changed} <= found, element
        assert links(page, element).startswith("/cases/"), element
    # The form shows the state too, so the next filter change keeps it.
    assert 'value="grades"' in page
    assert re.search(r'<input type="hidden" name="sort" value="-priority">', page)
    assert re.search(r'<input type="hidden" name="per_page" value="50">', page)
    assert re.search(r'value="assigned"[^>]*checked', page)


def test_a_plain_form_submission_redirects_to_the_short_address(client, personas, named):
    client.force_login(personas.support)
    response = client.get(
        LIST
        + "?q=&number=&subject=grades&subject_op=contains&contact=&modified_from=&modified_to=&module=&case_type="
    )
    assert response.status_code == 302
    assert response["Location"] == LIST + "?subject=grades"
    assert listed_numbers(client.get(response["Location"]).text) == [
        named["grades"].number,
        named["schedule"].number,
    ]


def test_htmx_request_gets_only_the_list_region_and_pushes_the_canonical_url(client, personas, named):
    response = get(client, personas.support, "subject=grades&q=&page=", HX_Request="true")
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="case-filters"' in response.text
    assert listed_numbers(response.text) == [named["grades"].number, named["schedule"].number]
    assert response["HX-Push-Url"] == LIST + "?subject=grades"
    assert "HX-Request" in response["Vary"]
    assert 'hx-swap-oob="innerHTML:#case-list-status">2 cases found.' in response.text


def test_htmx_history_restore_gets_the_full_page(client, personas, named):
    response = get(
        client, personas.support, "subject=grades", HX_Request="true", HX_History_Restore_Request="true"
    )
    assert "<html" in response.text
    assert "hx-swap-oob" not in response.text
    assert "HX-Request" in get(client, None, "subject=grades")["Vary"]


def test_htmx_request_with_a_bad_filter_gets_the_region_with_the_error(client, personas, named):
    response = get(client, personas.support, "number=abc", HX_Request="true")
    assert response.status_code == 400
    assert "<html" not in response.text
    assert "Enter a case number" in response.text


def test_sortable_headers_and_controls_are_links_that_work_without_javascript(client, personas, many):
    page = get(client, personas.support).text
    for element in ["sort-number", "page-next", "per-page-50", "view-open", "clear-filters"]:
        tag = re.search(rf'<a [^>]*id="{element}"[^>]*>', page)
        assert tag, element
        assert 'href="/cases/' in tag.group(0)
        assert "hx-get=" in tag.group(0)
    form = re.search(r'<form id="case-filters"[^>]*>', page)
    assert form
    assert 'method="get"' in form.group(0)
    assert 'action="/cases/"' in form.group(0)
    assert 'hx-push-url="true"' in page
    assert 'role="status" aria-live="polite"' in page


def test_filters_have_labels(client, personas, named):
    page = get(client, personas.support).text
    for field_id in ["id_q", "id_number", "id_subject_op", "id_subject", "id_contact", "id_module", "id_case_type",
                     "id_modified_from", "id_modified_to"]:  # fmt: skip
        assert f'for="{field_id}"' in page, field_id
    assert '<legend class="field-label">Status</legend>' in page


def test_empty_results_say_so(client, personas, named):
    page = get(client, personas.support, "subject=zebra").text
    assert "No cases match." in page
    assert "0 cases" in page
    assert "Export" not in page


def test_a_district_without_cases_says_so(client, personas):
    page = get(client, personas.support).text
    assert "No cases yet." in page


# ---------------------------------------------------------------------------------------------------------------
# Query budget (DESIGN §2 rule 9)


def _budget_rows(personas, modules, n: int) -> None:
    people = [UserFactory() for _ in range(3)]
    create_cases(
        case_row(
            district=personas.district_a,
            contact=people[i % 3],
            module=list(modules.values())[i % 3],
            updated_at=ago(minutes=i),
        )
        for i in range(n)
    )


# Session, user, memberships, modules (the filter's choices), count, the page's case numbers, the page's rows,
# the status banner's open notifications, and the last-activity write that happens at most every five minutes per
# person. A search counts with its page's numbers, one query fewer.
QUERY_BUDGET = 9


@pytest.mark.parametrize("rows", [1, 100])
def test_list_queries_do_not_grow_with_the_page(
    client, personas, modules, django_assert_max_num_queries, rows
):
    _budget_rows(personas, modules, rows)
    client.force_login(personas.support)
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = client.get(LIST + "?per_page=100&sort=contact")
    assert len(listed_numbers(response.text)) == rows


@pytest.mark.parametrize("rows", [1, 100])
def test_filtered_search_list_queries_do_not_grow(
    client, personas, modules, django_assert_max_num_queries, rows
):
    _budget_rows(personas, modules, rows)
    client.force_login(personas.support)
    module = modules["Attendance"].pk
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = client.get(LIST + f"?per_page=100&q=attendance+report&module={module}&view=open")
    assert len(listed_numbers(response.text)) == (rows + 2) // 3


@pytest.mark.parametrize("rows", [1, 100])
def test_advisor_list_queries_do_not_grow(client, personas, modules, django_assert_max_num_queries, rows):
    _budget_rows(personas, modules, rows)
    client.force_login(personas.advisor)
    # An advisor's request also reads the advisor role (User.is_advisor): one query more.
    with django_assert_max_num_queries(QUERY_BUDGET + 1):
        response = client.get(LIST + "?per_page=100")
    assert len(listed_numbers(response.text)) == rows


def test_home_links_to_each_districts_cases(client, personas):
    case = create_case(district=personas.district_a, contact=personas.support)
    client.force_login(personas.read_only)
    page = client.get(reverse("home")).text
    assert 'href="/cases/?account=maple-grove">Cases of Maple Grove Public Schools</a>' in page
    response = client.get("/cases/?account=maple-grove")
    assert response.status_code == 200
    assert listed_numbers(response.text) == [case.number]
