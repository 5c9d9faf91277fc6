"""The case-list cache (cases/listcache.py): a stored list region is served again only while nothing it shows has
changed, whoever changed it and however (service, bulk UPDATE, admin rename), and never to another viewer.

Every test has a cache namespace of its own in the real Redis (root conftest).
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.postgres.search import SearchVector
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, Value
from django.test.utils import CaptureQueriesContext

from cases import listcache, services
from cases.casetypes import CaseType
from cases.models import Case, Module, Priority
from cases.selectors import listing
from cases.tests.factories import CaseFactory
from cases.tests.listing_helpers import (
    LIST,
    NOW,
    case_row,
    count_heading,
    create_case,
    create_cases,
    listed_numbers,
)
from cases.workflow import Status
from contacts import districts
from contacts.models import District, Membership, Role, User
from contacts.tests.factories import DistrictFactory, MembershipFactory, UserFactory
from tests.helpers import scrub_volatile

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wednesday_morning")]


def page(client, user: User, query: str = "", **headers: str) -> str:
    client.force_login(user)
    response = client.get(LIST + query, headers=headers)
    assert response.status_code == 200, response.text[:2000]
    return response.text


def queries_of(client, query: str = "") -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(LIST + query).status_code == 200
    return len(captured)


def test_the_second_request_gets_the_same_page_from_the_cache_with_fewer_queries(client, personas):
    case = create_case(district=personas.district_a, contact=personas.support, subject="Report card comments")
    client.force_login(personas.support)
    first_queries = queries_of(client, "?sort=subject")
    first = client.get(LIST + "?sort=subject").text
    # Session, user and memberships (with the district generations): the filter form and case queries are gone.
    assert queries_of(client, "?sort=subject") <= 3 < first_queries
    assert scrub_volatile(client.get(LIST + "?sort=subject").text) == scrub_volatile(first)
    assert listed_numbers(first) == [case.number]
    assert "Report card comments" in first


def test_a_change_through_a_service_shows_at_once(client, personas):
    case = create_case(district=personas.district_a, contact=personas.support)
    assert 'status--new">New<' in page(client, personas.support)
    services.case_close(actor=personas.support, case=case)
    html = page(client, personas.support)
    assert 'status--closed">Closed<' in html
    assert 'status--new">New<' not in html


def test_a_post_shows_in_search_results_at_once(client, personas):
    case = create_case(district=personas.district_a, contact=personas.support)
    assert listed_numbers(page(client, personas.support, "?q=transcripts")) == []
    services.post_create(author=personas.support, case=case, body="<p>The transcripts print blank.</p>")
    assert listed_numbers(page(client, personas.support, "?q=transcripts")) == [case.number]


def test_changes_written_outside_the_services_show_at_once(client, personas):
    """Bulk UPDATE, bulk INSERT and DELETE send no Django signals: the database triggers still move the
    generation."""
    case = create_case(district=personas.district_a, contact=personas.support, subject="Old subject")
    assert "Old subject" in page(client, personas.support)

    Case.objects.filter(pk=case.pk).update(subject="New subject")
    assert "New subject" in page(client, personas.support)

    create_cases([case_row(district=personas.district_a, contact=personas.support) for _ in range(2)])
    assert count_heading(page(client, personas.support)) == "3 cases"

    Case.objects.filter(pk=case.pk).delete()
    assert count_heading(page(client, personas.support)) == "2 cases"


def test_renaming_the_contact_the_district_or_a_module_shows_at_once(client, personas):
    module = Module.objects.create(name="Lunch Menus")
    create_case(district=personas.district_a, contact=personas.support, module=module)
    html = page(client, personas.support)
    for shown in ("Dana", "Maple Grove Public Schools", "Lunch Menus"):
        assert shown in html

    personas.support.first_name = "Danielle"
    personas.support.save()
    assert "Danielle" in page(client, personas.support)

    personas.district_a.name = "Maple Grove Unified"
    personas.district_a.save()
    assert "Maple Grove Unified" in page(client, personas.support)

    Module.objects.filter(pk=module.pk).update(name="Lunch Menus and Transcripts")
    assert "Lunch Menus and Transcripts" in page(client, personas.support)


def test_a_new_module_is_offered_at_once_and_a_rename_finds_by_the_new_name(client, personas):
    case = create_case(district=personas.district_a, contact=personas.support)
    assert "Bus Routes" not in page(client, personas.support)
    Module.objects.create(name="Bus Routes")
    assert ">Bus Routes</option>" in page(client, personas.support)

    assert listed_numbers(page(client, personas.support, "?contact=Danielle")) == []
    User.objects.filter(pk=personas.support.pk).update(first_name="Danielle", email="danielle@a.example.org")
    assert listed_numbers(page(client, personas.support, "?contact=Danielle")) == [case.number]
    assert listed_numbers(page(client, personas.support, "?contact=danielle@a.example.org")) == [case.number]


def test_saving_a_district_loaded_earlier_never_moves_its_generation_back(personas):
    stale = District.objects.get(pk=personas.district_a.pk)
    before = stale.list_generation
    create_case(district=personas.district_a, contact=personas.support)
    after_case = District.objects.get(pk=personas.district_a.pk).list_generation
    assert after_case > before
    stale.save()  # writes back the generation it loaded
    assert District.objects.get(pk=personas.district_a.pk).list_generation > after_case


def test_a_login_or_an_unrelated_user_change_leaves_the_generation_alone(personas):
    create_case(district=personas.district_a, contact=personas.support)
    before = District.objects.get(pk=personas.district_a.pk).list_generation
    User.objects.filter(pk=personas.support.pk).update(last_login=NOW, phone="555-0100")
    assert District.objects.get(pk=personas.district_a.pk).list_generation == before


def _case_columns_the_list_reads() -> set[str]:
    """The columns of cases_case the list shows, filters, searches or sorts on, from the list's own code."""
    fields = {path.split("__")[0] for path in listing.LIST_COLUMNS}
    fields |= {"closed_at", "search_vector"}  # "Closed in the last 60 days"; the free-text search
    return {Case._meta.get_field(name).column for name in fields}


# For each column the list reads: how the test case starts (if not as a New case) and a change of that column
# alone that the database's constraints allow.
CHANGES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "number": ({}, {"number": F("number") + 1_000_000}),
    "district_id": ({}, {"district_id": "district_b"}),
    "contact_id": ({}, {"contact_id": "technical"}),
    "subject": ({}, {"subject": "Report cards print blank"}),
    "status": ({}, {"status": Status.PENDING_CUSTOMER_INPUT}),
    "priority": ({}, {"priority": Priority.HIGH}),
    "module_id": ({}, {"module_id": "module"}),
    "case_type": ({}, {"case_type": CaseType.REQUEST_TRAINING}),
    "updated_at": ({}, {"updated_at": NOW - timedelta(days=1)}),
    "closed_at": ({"status": Status.CLOSED}, {"closed_at": NOW - timedelta(days=2)}),
    "search_vector": ({}, {"search_vector": SearchVector(Value("transcripts"))}),
}


def test_the_test_changes_every_column_the_list_reads():
    assert set(CHANGES) == _case_columns_the_list_reads()


@pytest.mark.parametrize("column", sorted(CHANGES))
def test_changing_any_column_the_list_reads_moves_the_generation(personas, column):
    start, change = CHANGES[column]
    case = create_case(district=personas.district_a, contact=personas.support, **start)
    named = {
        "district_b": personas.district_b.pk,
        "technical": personas.technical.pk,
        "module": Module.objects.get_or_create(name="Attendance")[0].pk,
    }
    change = {
        name: named.get(value, value) if isinstance(value, str) else value for name, value in change.items()
    }
    before = District.objects.get(pk=personas.district_a.pk).list_generation
    assert Case.objects.filter(pk=case.pk).update(**change) == 1
    after = District.objects.get(pk=personas.district_a.pk).list_generation
    assert after > before
    # Writing the same values again changes nothing the list shows.
    Case.objects.filter(pk=case.pk).update(subject=F("subject"), status=F("status"))
    assert District.objects.get(pk=personas.district_a.pk).list_generation == after


def test_a_job_recording_a_first_response_leaves_stored_lists_valid(personas):
    case = create_case(district=personas.district_a, contact=personas.support)
    before = District.objects.get(pk=personas.district_a.pk).list_generation
    Case.objects.filter(pk=case.pk).update(first_response_at=NOW, first_response_met=True)
    Case.objects.filter(pk=case.pk + 1_000_000).update(subject="No such case")  # no row: nothing moves
    assert District.objects.get(pk=personas.district_a.pk).list_generation == before


def test_moving_a_case_to_another_district_moves_both(personas):
    case = create_case(district=personas.district_a, contact=personas.support)
    a = District.objects.get(pk=personas.district_a.pk).list_generation
    b = District.objects.get(pk=personas.district_b.pk).list_generation
    Case.objects.filter(pk=case.pk).update(district=personas.district_b)
    assert District.objects.get(pk=personas.district_a.pk).list_generation > a
    assert District.objects.get(pk=personas.district_b.pk).list_generation > b


def test_the_same_address_never_answers_another_districts_contact(client, personas):
    mine = create_case(district=personas.district_a, contact=personas.support)
    theirs = create_case(district=personas.district_b, contact=personas.other_district)
    assert listed_numbers(page(client, personas.support)) == [mine.number]
    assert listed_numbers(page(client, personas.other_district)) == [theirs.number]
    assert listed_numbers(page(client, personas.advisor)) == [theirs.number, mine.number]
    assert listed_numbers(page(client, personas.support)) == [mine.number]


def test_losing_a_membership_empties_the_list_at_once(client, personas):
    create_case(district=personas.district_a, contact=personas.support)
    assert len(listed_numbers(page(client, personas.technical))) == 1
    Membership.objects.filter(user=personas.technical).update(is_active=False)
    client.force_login(personas.technical)
    assert listed_numbers(client.get(LIST).text) == []


def test_a_role_that_may_not_submit_never_gets_the_submit_link_of_one_that_may(client, personas):
    """An empty list offers "Submit a case" only to a role that may submit: the role is part of the key."""
    assert 'href="/cases/new/">Submit a case</a>.' in page(client, personas.support)
    assert "Submit a case</a>." not in page(client, personas.read_only)


def test_a_contact_of_two_districts_keeps_each_districts_default(client, personas):
    """The district a contact works in decides what an address without ``account`` shows."""
    both = UserFactory(email="both@example.org")
    MembershipFactory(user=both, district=personas.district_a, role=Role.SUPPORT)
    MembershipFactory(user=both, district=personas.district_b, role=Role.SUPPORT)
    a = create_case(district=personas.district_a, contact=both)
    b = create_case(district=personas.district_b, contact=both)
    client.force_login(both)
    for district, shown in ((personas.district_a, a), (personas.district_b, b)):
        session = client.session
        session[districts.SESSION_KEY] = district.pk
        session.save()
        assert listed_numbers(client.get(LIST).text) == [shown.number]


def test_closed_in_the_last_60_days_follows_the_clock_without_any_write(client, personas):
    closed = create_case(
        district=personas.district_a,
        contact=personas.support,
        status=Status.CLOSED,
        updated_at=NOW - timedelta(days=60) + timedelta(hours=1),
    )
    assert listed_numbers(page(client, personas.support, "?view=closed")) == [closed.number]
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        assert listed_numbers(page(client, personas.support, "?view=closed")) == []


def test_an_htmx_update_from_the_cache_still_pushes_its_address_and_announces(client, personas):
    create_case(district=personas.district_a, contact=personas.support)
    client.force_login(personas.support)
    for _ in range(2):  # the second answer comes from the cache
        response = client.get(LIST + "?sort=number", headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert response["HX-Push-Url"] == "/cases/?sort=number"
        assert "<html" not in response.text
        assert '<div hx-swap-oob="innerHTML:#case-list-status">1 case found.' in response.text


def test_bad_input_is_never_stored(client, personas):
    client.force_login(personas.support)
    for _ in range(2):
        response = client.get(LIST + "?sort=drop+table")
        assert response.status_code == 400
        assert "Cases could not be filtered" in response.text


def test_a_form_with_empty_fields_is_still_redirected_once_the_page_is_cached(client, personas):
    client.force_login(personas.support)
    client.get(LIST + "?sort=number")
    response = client.get(LIST + "?sort=number&subject=&q=")
    assert response.status_code == 302
    assert response["Location"] == "/cases/?sort=number"


def _redis_at(settings, location: str) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }


def test_the_list_works_without_redis(client, personas, settings, caplog, monkeypatch):
    monkeypatch.setattr(listcache, "_paused_until", 0.0)
    case = create_case(district=personas.district_a, contact=personas.support)
    _redis_at(settings, "redis://127.0.0.1:9/0")  # the discard port: nothing listens
    with caplog.at_level(logging.WARNING, logger="cases.listcache"):
        assert listed_numbers(page(client, personas.support)) == [case.number]
    assert "Case-list cache unavailable" in caplog.text


def test_a_stalled_redis_costs_one_request_one_timeout(client, personas, settings, caplog, monkeypatch):
    """A Redis that accepts connections and never answers: the first list waits out one read timeout (no
    write after it), and the next lists leave the cache alone."""
    monkeypatch.setattr(listcache, "_paused_until", 0.0)
    case = create_case(district=personas.district_a, contact=personas.support)
    with socket.socket() as stalled:
        stalled.bind(("127.0.0.1", 0))
        stalled.listen(16)  # the kernel completes connections; nobody ever reads or answers
        _redis_at(settings, f"redis://127.0.0.1:{stalled.getsockname()[1]}/0")
        with caplog.at_level(logging.WARNING, logger="cases.listcache"):
            started = time.monotonic()
            for _ in range(3):
                assert listed_numbers(page(client, personas.support)) == [case.number]
            elapsed = time.monotonic() - started
    assert caplog.text.count("Case-list cache unavailable") == 1
    assert "reading" in caplog.text
    assert elapsed < 2.0  # one 0.25 s timeout, not one or two per request


def test_the_cache_is_used_again_once_the_pause_is_over(client, personas, monkeypatch):
    monkeypatch.setattr(listcache, "_paused_until", time.monotonic() + 60)
    create_case(district=personas.district_a, contact=personas.support)
    client.force_login(personas.support)
    client.get(LIST)
    assert queries_of(client) > 3  # paused: built every time
    monkeypatch.setattr(listcache, "_paused_until", 0.0)
    client.get(LIST)
    assert queries_of(client) <= 3


def test_nothing_is_stored_when_the_cache_is_turned_off(client, personas, settings):
    settings.CASE_LIST_CACHE_SECONDS = 0
    create_case(district=personas.district_a, contact=personas.support)
    client.force_login(personas.support)
    client.get(LIST)  # the first request of a session also records the person's last activity
    assert queries_of(client) == queries_of(client) > 3


def test_what_is_stored_is_only_the_list_region(client, personas):
    """Nothing of the viewer in the stored region: not their name or address (the header shows them), not the
    page's CSP nonce, not a CSRF token."""
    create_case(district=personas.district_a, contact=personas.technical)
    client.force_login(personas.support)
    html = client.get(LIST).text
    nonce = re.search(r'nonce="([^"]+)"', html)
    assert nonce is not None
    keys = list(cache._cache.get_client().scan_iter(f"*{cache.key_prefix}*caselist:*"))  # type: ignore[attr-defined]
    assert len(keys) == 1
    stored = cache.get(keys[0].decode().split(":", 2)[2])
    assert isinstance(stored, listcache.CachedList)
    assert 'id="case-filters"' in stored.html
    assert personas.technical.last_name in stored.html  # the case's contact, in the table
    for personal in (
        personas.support.first_name,
        personas.support.last_name,
        personas.support.email,
        nonce[1],
    ):
        assert personal not in stored.html
    assert "csrfmiddlewaretoken" not in stored.html


@pytest.mark.django_db(transaction=True)
def test_a_rename_during_a_case_write_in_another_district_moves_that_district(personas):
    """One transaction writes the first case of a contact in district B and has not committed when another
    renames the contact. The rename must wait and move B after that case is visible: otherwise a list of B read
    between the two commits would keep the old name under B's newest generation."""
    written, release = threading.Event(), threading.Event()
    seen: dict[str, int] = {}

    def write_case() -> None:
        try:
            with transaction.atomic():
                create_cases([case_row(district=personas.district_b, contact=personas.support)])
                seen["writer"] = District.objects.get(pk=personas.district_b.pk).list_generation
                written.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    def rename() -> None:
        try:
            User.objects.filter(pk=personas.support.pk).update(first_name="Danielle")
        finally:
            connection.close()

    writer = threading.Thread(target=write_case)
    writer.start()
    assert written.wait(timeout=10)
    renamer = threading.Thread(target=rename)
    renamer.start()
    # Let the rename either finish or block on the writer's district row before the writer commits.
    for _ in range(500):
        if not renamer.is_alive() or _someone_waits_for_a_lock():
            break
        renamer.join(timeout=0.01)
    release.set()
    writer.join(timeout=10)
    renamer.join(timeout=10)
    assert not writer.is_alive()
    assert not renamer.is_alive()
    assert District.objects.get(pk=personas.district_b.pk).list_generation > seen["writer"]


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


# ---------------------------------------------------------------------------------------------------------------
# District.case_count: the count of an unfiltered list, kept by the database (cases migration 0007)


def _counts_match() -> None:
    stored = dict(District.objects.values_list("pk", "case_count"))
    actual = dict.fromkeys(stored, 0) | dict(
        Case.objects.order_by()
        .values_list("district_id")
        .annotate(n=Count("pk"))
        .values_list("district_id", "n")
    )
    assert stored == actual


def test_district_case_counts_follow_every_kind_of_write(personas):
    _counts_match()
    rows = create_cases(
        [case_row(district=personas.district_a, contact=personas.support) for _ in range(3)]
        + [case_row(district=personas.district_b, contact=personas.other_district) for _ in range(2)]
    )
    _counts_match()
    CaseFactory(district=personas.district_a, contact=personas.support)
    _counts_match()
    Case.objects.filter(pk__in=[rows[0].pk, rows[1].pk]).update(district=personas.district_b)
    _counts_match()
    Case.objects.filter(district=personas.district_b).update(subject="Same district, new subject")
    _counts_match()
    Case.objects.filter(pk=rows[2].pk).delete()
    _counts_match()
    assert District.objects.get(pk=personas.district_b.pk).case_count == 4


def test_truncating_the_cases_zeroes_the_counts_and_moves_every_generation(personas):
    create_case(district=personas.district_a, contact=personas.support)
    before = District.objects.get(pk=personas.district_b.pk).list_generation
    with connection.cursor() as cursor:
        cursor.execute(
            "SET CONSTRAINTS ALL IMMEDIATE"
        )  # the deferred foreign-key checks of this test's writes
        cursor.execute("TRUNCATE cases_case CASCADE")
    _counts_match()
    assert District.objects.get(pk=personas.district_a.pk).case_count == 0
    assert District.objects.get(pk=personas.district_b.pk).list_generation > before


def test_an_unfiltered_list_counts_nothing_and_a_filtered_one_counts_in_sql(client, personas, settings):
    settings.CASE_LIST_CACHE_SECONDS = 0
    create_cases(
        [case_row(district=personas.district_a, contact=personas.support, status=Status.CLOSED)]
        + [case_row(district=personas.district_a, contact=personas.support) for _ in range(2)]
        + [case_row(district=personas.district_b, contact=personas.other_district)]
    )
    client.force_login(personas.support)
    client.get(LIST)
    for query, heading, counted in (
        ("", "3 cases", False),
        ("?per_page=10&sort=subject&page=2", "3 cases", False),
        ("?status=closed", "1 case", True),
        ("?view=open", "2 cases", True),
        ("?q=attendance", "3 cases", False),  # a search counts with its page (COUNT(*) OVER ())
    ):
        with CaptureQueriesContext(connection) as captured:
            html = client.get(LIST + query).text
        assert count_heading(html).startswith(heading), query
        assert any("COUNT(*) AS" in q["sql"] for q in captured.captured_queries) is counted, query


def test_an_advisor_and_a_contact_of_two_districts_get_the_districts_counts(client, personas):
    both = UserFactory(email="both@example.org")
    MembershipFactory(user=both, district=personas.district_a, role=Role.SUPPORT)
    MembershipFactory(user=both, district=personas.district_b, role=Role.SUPPORT)
    create_cases(
        [case_row(district=personas.district_a, contact=both) for _ in range(2)]
        + [case_row(district=personas.district_b, contact=both)]
        + [case_row(district=DistrictFactory(), contact=both)]  # a district `both` does not belong to
    )
    assert count_heading(page(client, both, "?account=all")) == "3 cases"
    assert count_heading(page(client, both, "?account=cedar-falls")) == "1 case"
    assert count_heading(page(client, personas.advisor)) == "4 cases"


# ---------------------------------------------------------------------------------------------------------------
# A contact of several districts: the page read district by district and merged (selectors.listing.page_of)


@pytest.mark.parametrize("sort", ["", "sort=modified"])
def test_a_list_over_several_districts_pages_exactly_as_one_sorted_read(client, personas, settings, sort):
    settings.CASE_LIST_CACHE_SECONDS = 0
    third = DistrictFactory()
    viewer = UserFactory(email="three@example.org")
    for district in (personas.district_a, personas.district_b, third):
        MembershipFactory(user=viewer, district=district, role=Role.SUPPORT)
    districts = [personas.district_a, personas.district_b, third]
    # 31 cases; every third pair shares its last-modified moment, so ties fall to the highest number.
    create_cases(
        case_row(
            district=districts[i % 3],
            contact=viewer,
            status=Status.CLOSED if i % 4 == 0 else Status.NEW,
            updated_at=NOW - timedelta(minutes=(i // 2) * 7 % 50),
        )
        for i in range(31)
    )
    descending = sort == ""

    def expected(status: Status | None = None) -> list[int]:
        cases = Case.objects.filter(district__in=districts)
        if status:
            cases = cases.filter(status=status)
        rows = list(cases.values_list("updated_at", "number"))
        if descending:  # newest first, ties to the highest number
            rows.sort(reverse=True)
        else:  # oldest first, ties still to the highest number
            rows.sort(key=lambda row: (row[0], -row[1]))
        return [number for _updated, number in rows]

    client.force_login(viewer)
    for status, query in ((None, ""), (Status.CLOSED, "status=closed")):
        shown: list[int] = []
        for number in range(1, len(expected(status)) // 10 + 2):
            params = "&".join(p for p in ("account=all", sort, query, "per_page=10", f"page={number}") if p)
            with CaptureQueriesContext(connection) as captured:
                html = client.get(f"{LIST}?{params}").text
            shown += listed_numbers(html)
            assert any("UNION ALL" in q["sql"] for q in captured.captured_queries)
        assert shown == expected(status)


def test_saving_a_district_loaded_earlier_keeps_its_case_count(personas):
    stale = District.objects.get(pk=personas.district_a.pk)
    create_cases([case_row(district=personas.district_a, contact=personas.support) for _ in range(3)])
    stale.name = "Maple Grove Unified"
    stale.save()  # writes back the count it loaded (0)
    assert District.objects.get(pk=personas.district_a.pk).case_count == 3
    District.objects.filter(pk=personas.district_a.pk).update(case_count=99)  # nor a stray update
    _counts_match()


def test_a_new_district_starts_at_zero_whatever_it_carries():
    district = District(name="Loaded From A Fixture", slug="fixture", case_count=5)
    district.save()
    assert District.objects.get(pk=district.pk).case_count == 0


def test_recounting_repairs_counts_the_triggers_could_not_keep(personas):
    rows = [case_row(district=personas.district_b, contact=personas.other_district) for _ in range(2)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SET CONSTRAINTS ALL IMMEDIATE"
        )  # no deferred checks pending: ALTER TABLE refuses them
        cursor.execute(
            "ALTER TABLE cases_case DISABLE TRIGGER case_totals_insert"
        )  # a restore without triggers
        create_cases(rows)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE cases_case ENABLE TRIGGER case_totals_insert")
        assert District.objects.get(pk=personas.district_b.pk).case_count == 0
        cursor.execute("SELECT cases_recount_districts()")
    _counts_match()


def test_the_counting_triggers_fire_after_the_generation_triggers_of_the_same_statement():
    """PostgreSQL fires a statement's triggers in name order. The generation triggers lock every district the
    statement touches in id order; the counting triggers only update some of those rows afterwards, so one
    statement never takes district rows out of id order (cases migration 0007)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'cases_case'::regclass AND NOT tgisinternal ORDER BY tgname"
        )
        names = [name for (name,) in cursor.fetchall()]
    for event in ("insert", "update", "delete"):
        assert names.index(f"case_list_{event}") < names.index(f"case_totals_{event}")
