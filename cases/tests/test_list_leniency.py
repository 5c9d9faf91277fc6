"""The list reads what people type and edit the way they mean it: a page size it never offers shows the default
size, and a hyphenated word finds the case however the case spells it."""

import pytest
from django.urls import reverse

from cases.tests.listing_helpers import case_row, create_cases, listed_numbers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wednesday_morning")]


def test_a_page_size_the_list_never_offers_shows_the_default_size(client, personas):
    create_cases(
        [
            case_row(district=personas.district_a, contact=personas.support, subject=f"Case {i}")
            for i in range(25)
        ]
    )
    client.force_login(personas.support)
    response = client.get(reverse("cases:list"), {"per_page": "7"})
    assert response.status_code == 200
    assert response.text.count('class="col-number" data-label="Case Number"') == 20
    assert 'id="per-page-20" aria-current="true"' in response.text


@pytest.mark.parametrize("typed", ["grade-book", "grade book", "Grade-Book", '"grade-book"'])
@pytest.mark.parametrize("stored", ["Teachers cannot post to the grade book", "Grade-book posting fails"])
def test_a_hyphenated_word_finds_either_spelling(client, personas, typed, stored):
    (case,) = create_cases([case_row(district=personas.district_a, contact=personas.support, subject=stored)])
    client.force_login(personas.support)
    assert listed_numbers(client.get(reverse("cases:list"), {"q": typed}).text) == [case.number]


def test_a_leading_hyphen_still_excludes_a_word(client, personas):
    posting, _printing = create_cases(
        [
            case_row(district=personas.district_a, contact=personas.support, subject="Grade book posting"),
            case_row(district=personas.district_a, contact=personas.support, subject="Grade book printing"),
        ]
    )
    client.force_login(personas.support)
    assert listed_numbers(client.get(reverse("cases:list"), {"q": "grade -printing"}).text) == [
        posting.number
    ]
