"""Free-text search of the case list (SPEC §4): every word in any order, stemmed, ranked, across the
subject, the description and public posts; never internal notes; always within the viewer's districts.

Posts are created directly here and indexed through ``cases.search.index_post``, the
hook the services call.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from cases import search
from cases.models import Case
from cases.tests.factories import submit_case
from cases.tests.listing_helpers import (
    LIST,
    NOW,
    add_post,
    case_row,
    count_heading,
    create_case,
    create_cases,
    links,
    listed_numbers,
)
from cases.workflow import Status

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wednesday_morning")]

SEED_COMPLAINT = "issues posting grades in the grade book"


def found(client, user, query: str, extra: str = "") -> list[int]:
    client.force_login(user)
    response = client.get(LIST, {"q": query, **dict(p.split("=") for p in extra.split("&") if p)})
    assert response.status_code == 200, response.text[:1000]
    return listed_numbers(response.text)


@pytest.fixture
def district_cases(personas) -> dict[str, Case]:
    a, contact = personas.district_a, personas.support
    rows = {
        "subject": case_row(district=a, contact=contact, subject="Teachers report issues posting grades in the grade book",
                            description="Since Monday.", updated_at=NOW - timedelta(days=3)),
        "description": case_row(district=a, contact=contact, subject="Problem after the term change",
                                description=f"We have {SEED_COMPLAINT} for all sections.", updated_at=NOW - timedelta(days=2)),
        "unrelated": case_row(district=a, contact=contact, subject="Attendance report missing",
                              description="Period 3 shows no students.", updated_at=NOW - timedelta(days=1)),
        "posted": case_row(district=a, contact=contact, subject="Question about report cards",
                           description="Comments print blank.", updated_at=NOW - timedelta(hours=5)),
    }  # fmt: skip
    cases = dict(zip(rows, create_cases(rows.values()), strict=True))
    add_post(
        cases["posted"],
        "<p>Also: teachers see <strong>issues</strong> when posting grades to the grade book.</p>",
    )
    cases["other_district"] = create_case(
        district=personas.district_b, contact=personas.other_district, subject=f"We have {SEED_COMPLAINT}"
    )
    return cases


def test_the_seeds_example_finds_the_complaint_in_any_field(client, personas, district_cases):
    numbers = found(client, personas.support, "grade book issues")
    assert set(numbers) == {district_cases[k].number for k in ("subject", "description", "posted")}


def test_ranking_puts_the_subject_first_then_the_description_then_posts(client, personas, district_cases):
    numbers = found(client, personas.support, "grade book issues")
    assert numbers == [district_cases[k].number for k in ("subject", "description", "posted")]


def test_word_order_does_not_matter(client, personas, district_cases):
    assert set(found(client, personas.support, "issues book grade")) == set(
        found(client, personas.support, "grade book issues")
    )


def test_words_are_stemmed(client, personas, district_cases):
    # "posted grade issue" matches "issues posting grades".
    assert district_cases["subject"].number in found(client, personas.support, "posted grade issue")


def test_every_word_must_match(client, personas, district_cases):
    assert found(client, personas.support, "grade book zebra") == []


def test_a_quoted_phrase_must_appear_as_written(client, personas, district_cases):
    numbers = found(client, personas.support, '"grade book"')
    assert district_cases["subject"].number in numbers
    assert found(client, personas.support, '"book grade"') == []


def test_closer_words_rank_higher(client, personas):
    a, contact = personas.district_a, personas.support
    far, near = create_cases(
        [
            case_row(district=a, contact=contact, subject="Schedule question",
                     description="The wizard is slow. Later that day the schedule printed twice for some."),
            case_row(district=a, contact=contact, subject="Another schedule question",
                     description="The schedule wizard printed twice."),
        ]
    )  # fmt: skip
    assert found(client, personas.support, "schedule wizard") == [near.number, far.number]


def test_search_stays_within_the_viewers_districts(client, personas, district_cases):
    response_numbers = found(client, personas.other_district, "grade book issues")
    assert response_numbers == [district_cases["other_district"].number]
    client.force_login(personas.support)
    page = client.get(LIST, {"q": "grade book issues"}).text
    assert count_heading(page) == "3 cases for “grade book issues”"
    assert "Cedar Falls" not in page


def test_internal_notes_are_never_searched(client, personas, district_cases):
    case = district_cases["unrelated"]
    add_post(case, "<p>Internal: the xylophone import is corrupt.</p>", internal=True)
    add_post(case, "<p>Public reply about the marimba export.</p>")
    assert found(client, personas.support, "xylophone") == []
    assert found(client, personas.support, "marimba") == [case.number]
    # The stored vector never holds the internal words, whoever asks (an advisor, too).
    assert not Case.objects.filter(pk=case.pk, search_vector=search.search_query("xylophone")).exists()
    assert found(client, personas.advisor, "xylophone") == []


def test_rebuilding_the_index_keeps_internal_notes_out(client, personas, district_cases):
    case = district_cases["unrelated"]
    add_post(case, "<p>Internal xylophone note</p>", internal=True)
    add_post(case, "<p>Public marimba reply</p>")
    search.index_case(case)
    assert found(client, personas.support, "marimba") == [case.number]
    assert found(client, personas.support, "xylophone") == []
    assert case.number in found(client, personas.support, "attendance missing")


def test_a_post_on_a_case_never_indexed_is_still_found(client, personas):
    case = Case.objects.bulk_create([case_row(district=personas.district_a, contact=personas.support)])[0]
    add_post(case, "<p>Unique glockenspiel words</p>")
    case.refresh_from_db()
    assert found(client, personas.support, "glockenspiel") == [case.number]


def test_search_combines_with_filters_and_quick_views(client, personas, district_cases):
    Case.objects.filter(pk=district_cases["description"].pk).update(status=Status.CLOSED, closed_at=NOW)
    assert found(client, personas.support, "grade book issues", "view=open") == [
        district_cases["subject"].number,
        district_cases["posted"].number,
    ]
    assert found(client, personas.support, "grade book issues", "subject=teachers") == [
        district_cases["subject"].number
    ]


def test_a_chosen_column_overrides_relevance_and_best_match_comes_back(client, personas, district_cases):
    client.force_login(personas.support)
    page = client.get(LIST, {"q": "grade book issues", "sort": "-modified"}).text
    assert listed_numbers(page) == [district_cases[k].number for k in ("posted", "description", "subject")]
    assert "Sorted by last modified, newest first" in page
    back = client.get(links(page, "sort-relevance")).text
    assert listed_numbers(back) == [district_cases[k].number for k in ("subject", "description", "posted")]
    assert "Best matches first" in back


def test_no_column_is_marked_sorted_while_ranking(client, personas, district_cases):
    client.force_login(personas.support)
    page = client.get(LIST, {"q": "grade book issues"}).text
    assert "aria-sort" not in page


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "'",
        "-",
        "grade & | ! ( ) : *",
        "the",
        "a an the of",
        "<script>alert(1)</script>",
        "or or or",
        "%",
        "\\",
    ],
)
def test_odd_input_is_searched_never_an_error(client, personas, district_cases, query):
    client.force_login(personas.support)
    response = client.get(LIST, {"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text


def test_an_overlong_search_is_a_clear_400(client, personas, district_cases):
    client.force_login(personas.support)
    response = client.get(LIST, {"q": "grade " * 50})
    assert response.status_code == 400
    assert "at most 200 characters" in response.text


def test_search_results_page_and_count_beyond_one_page(client, personas):
    rows = [
        case_row(district=personas.district_a, contact=personas.support, subject=f"Grade book issue {i}",
                 updated_at=NOW - timedelta(minutes=i))
        for i in range(25)
    ]  # fmt: skip
    create_cases(rows)
    client.force_login(personas.support)
    first = client.get(LIST, {"q": "grade book"}).text
    assert count_heading(first) == "25 cases for “grade book”"
    second = client.get(links(first, "page-next")).text
    assert len(listed_numbers(first)) == 20
    assert len(listed_numbers(second)) == 5
    assert set(listed_numbers(first)).isdisjoint(listed_numbers(second))
    assert count_heading(second) == "25 cases for “grade book”"
    # Past the end: the last page, with the right count.
    past = client.get(LIST, {"q": "grade book", "page": "9"}).text
    assert listed_numbers(past) == listed_numbers(second)
    assert count_heading(past) == "25 cases for “grade book”"
    # A page number beyond any OFFSET PostgreSQL takes is the last page too, not a database error.
    crafted = client.get(LIST, {"q": "grade book", "page": "9" * 25})
    assert crafted.status_code == 200
    assert listed_numbers(crafted.text) == listed_numbers(second)


def test_a_submitted_case_is_found_by_its_subject_and_description_at_once(client, personas):
    """The submission service indexes what it stores: no rebuild, no delay."""
    case = submit_case(
        district=personas.district_a,
        contact=personas.support,
        subject="Teachers cannot post grades",
        description="The grade book freezes for the whole science department.",
    )
    assert found(client, personas.support, "grade book post") == [case.number]
    assert found(client, personas.support, "science department freezing") == [case.number]
    assert found(client, personas.other_district, "grade book post") == []


@pytest.mark.parametrize(
    "persona", ["support", "technical", "implementation", "read_only", "other_district", "advisor"]
)
def test_every_persona_searches_only_the_cases_they_may_see(client, personas, district_cases, persona):
    numbers = set(found(client, getattr(personas, persona), "grade book issues"))
    of_a = {district_cases[key].number for key in ("subject", "description", "posted")}
    expected = {
        "other_district": {district_cases["other_district"].number},
        "advisor": of_a | {district_cases["other_district"].number},
    }.get(persona, of_a)
    assert numbers == expected
