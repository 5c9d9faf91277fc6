"""The search box and case numbers, and an advisor's search across every district, which ranks only the most
recently modified matches (``listing.RANKED_RECENT_MATCHES``; lowered here so that a handful of cases exceeds
it)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cases.selectors import listing
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

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wednesday_morning")]


def search(client, user, params: dict[str, str]) -> str:
    client.force_login(user)
    response = client.get(LIST, params)
    assert response.status_code == 200, response.text[:1000]
    return response.text


# --- a case number in the search box -------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["{n}", "#{n}", " # {n} "])
def test_a_case_number_finds_that_case_first(client, personas, written):
    a, contact = personas.district_a, personas.support
    wanted, _other = create_cases(
        [
            case_row(
                district=a, contact=contact, subject="Printer jams", updated_at=NOW - timedelta(days=30)
            ),
            case_row(
                district=a, contact=contact, subject="Gradebook totals", updated_at=NOW - timedelta(days=1)
            ),
        ]
    )
    # A newer case that mentions the number in its text is found too, after the case itself.
    mentions = create_case(district=a, contact=contact, subject="Follow-up", updated_at=NOW)
    add_post(mentions, f"<p>Same problem as {wanted.number}.</p>")
    for user in (personas.support, personas.advisor):
        page = search(client, user, {"q": written.format(n=wanted.number)})
        assert listed_numbers(page) == [wanted.number, mentions.number]


def test_another_districts_case_number_is_not_found(client, personas):
    theirs = create_case(district=personas.district_b, contact=personas.other_district, subject="Bus routes")
    page = search(client, personas.support, {"q": str(theirs.number)})
    assert listed_numbers(page) == []
    assert count_heading(page).startswith("0 cases")


def test_a_number_combined_with_words_is_a_text_search(client, personas):
    case = create_case(district=personas.district_a, contact=personas.support, subject="Attendance report")
    assert listed_numbers(search(client, personas.support, {"q": f"{case.number} attendance"})) == []
    assert listed_numbers(search(client, personas.support, {"q": "attendance"})) == [case.number]


# --- an advisor's search across every district -----------------------------------------------------------------


@pytest.fixture(params=[2000, 4], ids=["window-holds-every-case", "small-window"])
def few_ranked(request, monkeypatch):
    """Three matches ranked; the newest cases read first either hold every case of the test or only four of
    them (then the rest are read through the search index): the same results either way."""
    monkeypatch.setattr(listing, "RANKED_RECENT_MATCHES", 3)
    monkeypatch.setattr(listing, "RECENT_WINDOW", request.param)


@pytest.fixture
def five_matches(personas) -> list[int]:
    """Five cases about the grade book, newest first, in two districts; the oldest says it in its subject."""
    rows = []
    for i in range(5):
        district, contact = (
            (personas.district_a, personas.support)
            if i % 2
            else (personas.district_b, personas.other_district)
        )
        subject = "Grade book totals wrong" if i == 4 else f"Question {i}"
        description = "Nothing about it." if i == 4 else "Also, the grade book shows odd totals sometimes."
        rows.append(case_row(district=district, contact=contact, subject=subject, description=description,
                             updated_at=NOW - timedelta(hours=i)))  # fmt: skip
    return [case.number for case in create_cases(rows)]


@pytest.mark.usefixtures("few_ranked")
def test_an_advisors_search_of_every_district_ranks_the_most_recent_matches(client, personas, five_matches):
    page = search(client, personas.advisor, {"q": "grade book"})
    assert count_heading(page) == "3+ cases for “grade book”"
    assert "Best matches among the 3 most recently modified." in page
    # The three newest matches, best first (ties: newest first); the older subject match is beyond them.
    assert listed_numbers(page) == five_matches[:3]


@pytest.mark.usefixtures("few_ranked")
def test_the_best_of_the_recent_matches_comes_first(client, personas, five_matches):
    newest_in_subject = create_case(
        district=personas.district_a, contact=personas.support, subject="Grade book totals wrong",
        description="Nothing about it.", updated_at=NOW - timedelta(minutes=30),
    )  # fmt: skip
    page = search(client, personas.advisor, {"q": "grade book"})
    assert listed_numbers(page) == [newest_in_subject.number, *five_matches[:2]]


@pytest.mark.usefixtures("few_ranked")
def test_an_older_case_whose_number_is_searched_is_still_found_first(client, personas, five_matches):
    old = create_case(district=personas.district_a, contact=personas.support, subject="Printer",
                      updated_at=NOW - timedelta(days=400))  # fmt: skip
    for i in range(4):
        newer = create_case(district=personas.district_b, contact=personas.other_district,
                            subject=f"Case {i}", updated_at=NOW - timedelta(days=i))  # fmt: skip
        add_post(newer, f"<p>Like {old.number}.</p>")
    page = search(client, personas.advisor, {"q": f"#{old.number}"})
    assert listed_numbers(page)[0] == old.number
    assert count_heading(page) == f"4+ cases for “#{old.number}”"


@pytest.mark.usefixtures("few_ranked")
def test_the_recent_matches_page_and_a_page_past_them_is_their_last(client, personas, five_matches):
    first = search(client, personas.advisor, {"q": "grade book", "per_page": "10"})
    assert listed_numbers(first) == five_matches[:3]
    past = search(client, personas.advisor, {"q": "grade book", "per_page": "10", "page": "7"})
    assert listed_numbers(past) == five_matches[:3]


@pytest.mark.usefixtures("few_ranked")
def test_pages_of_the_recent_matches_do_not_overlap(client, personas, five_matches, monkeypatch):
    monkeypatch.setattr(listing, "RANKED_RECENT_MATCHES", 4)
    first = search(client, personas.advisor, {"q": "grade book", "per_page": "10"})
    assert count_heading(first) == "4+ cases for “grade book”"
    assert "page-next" not in first  # one page of 10 holds the four
    assert listed_numbers(first) == five_matches[:4]


@pytest.mark.usefixtures("few_ranked")
def test_fewer_matches_than_are_ranked_are_counted_exactly(client, personas, five_matches):
    page = search(client, personas.advisor, {"q": "grade book wrong"})
    assert count_heading(page) == "1 case for “grade book wrong”"
    assert "most recently modified" not in page
    assert listed_numbers(page) == [five_matches[4]]


@pytest.mark.usefixtures("few_ranked")
@pytest.mark.parametrize(
    ("persona", "params"),
    [
        ("support", {}),  # a contact's search of their district: every match, ranked
        ("advisor", {"account": "maple-grove"}),  # an advisor who chose a district
        ("advisor", {"sort": "-modified"}),  # an advisor who sorts by a column
    ],
)
def test_other_searches_rank_and_count_every_match(client, personas, five_matches, persona, params):
    page = search(client, getattr(personas, persona), {"q": "grade book", **params})
    expected = len(five_matches) if persona == "advisor" and "sort" in params else 2
    assert count_heading(page) == f"{expected} case{'s' if expected > 1 else ''} for “grade book”"
    assert "most recently modified" not in page


@pytest.mark.usefixtures("few_ranked")
def test_choosing_a_column_shows_every_match_and_best_match_comes_back(client, personas, five_matches):
    ranked = search(client, personas.advisor, {"q": "grade book"})
    by_number = client.get(links(ranked, "sort-number")).text
    assert count_heading(by_number) == "5 cases for “grade book”"
    assert listed_numbers(by_number) == sorted(five_matches, reverse=True)
    back = client.get(links(by_number, "sort-relevance")).text
    assert count_heading(back) == "3+ cases for “grade book”"


# Session, user, advisor role, districts, modules (the filters' choices), the newest cases' matches and ranks, the
# page's rows, the status banner; when fewer of the newest cases match than are ranked, the newest matches through the search index
# and their ranks, two more.
@pytest.mark.parametrize("rows", [5, 40])
@pytest.mark.parametrize(("ranked", "queries"), [(3, 8), (200, 10)], ids=["common-words", "rarer-words"])
def test_an_advisors_search_of_every_district_queries_do_not_grow(
    client, personas, django_assert_num_queries, monkeypatch, rows, ranked, queries
):
    monkeypatch.setattr(listing, "RANKED_RECENT_MATCHES", ranked)
    create_cases(
        case_row(district=personas.district_a, contact=personas.support, subject=f"Grade book issue {i}",
                 updated_at=NOW - timedelta(minutes=i))
        for i in range(rows)
    )  # fmt: skip
    client.force_login(personas.advisor)
    client.get(LIST)  # the last-activity write, at most every five minutes, is not part of the count
    with django_assert_num_queries(queries):
        response = client.get(LIST, {"q": "grade book", "per_page": "100"})
    assert len(listed_numbers(response.text)) == min(rows, ranked)
