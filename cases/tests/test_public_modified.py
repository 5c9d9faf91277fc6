"""Last Modified as the district sees it: an advisor's internal note changes nothing a contact can see (not the
list's order, its Last Modified column, the date filter, the export or the case page), while advisors see every
change. A public post moves both."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from cases.models import Case
from cases.services import post_create
from cases.tests.listing_helpers import NOW, case_row, create_cases

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wednesday_morning")]


@pytest.fixture
def two_cases(personas) -> tuple[Case, Case]:
    older, newer = create_cases(
        [
            case_row(
                district=personas.district_a,
                contact=personas.support,
                subject="Older case",
                updated_at=NOW - timedelta(days=3),
            ),
            case_row(
                district=personas.district_a,
                contact=personas.support,
                subject="Newer case",
                updated_at=NOW - timedelta(days=1),
            ),
        ]
    )
    return older, newer


def subjects(response) -> list[str]:
    """The two cases' subjects in the order the list shows them."""
    return sorted(("Older case", "Newer case"), key=response.text.index)


def test_an_internal_note_changes_nothing_contacts_see(client, personas, two_cases):
    older, _newer = two_cases
    post_create(author=personas.advisor, case=older, body="<p>Checked the logs.</p>", internal=True)
    client.force_login(personas.support)

    listed = client.get(reverse("cases:list"))
    assert subjects(listed) == ["Newer case", "Older case"]
    assert "Apr 12, 2026" in listed.text  # the older case's Last Modified, three days ago
    today = client.get(reverse("cases:list"), {"modified_from": "2026-04-15"})
    assert "0 cases" in today.text
    export = client.get(reverse("cases:export"))
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["Newer case", "Older case"]
    assert rows[2][7] == "2026-04-12 10:00"
    page = client.get(reverse("cases:detail", args=[older.number]))
    assert "Sun 12 Apr 2026, 10:00 AM" in page.text
    assert "Wed 15 Apr 2026" not in page.text


def test_advisors_see_the_internal_note_move_the_case(client, personas, two_cases):
    older, _newer = two_cases
    post_create(author=personas.advisor, case=older, body="<p>Checked the logs.</p>", internal=True)
    client.force_login(personas.advisor)
    assert subjects(client.get(reverse("cases:list"))) == ["Older case", "Newer case"]
    assert "Wed 15 Apr 2026, 10:00 AM" in client.get(reverse("cases:detail", args=[older.number])).text


def test_a_public_post_moves_last_modified_for_everyone(client, personas, two_cases):
    older, _newer = two_cases
    post_create(author=personas.advisor, case=older, body="<p>Fixed in the next release.</p>")
    older.refresh_from_db()
    assert older.updated_at == older.public_updated_at == NOW
    client.force_login(personas.support)
    assert subjects(client.get(reverse("cases:list"))) == ["Older case", "Newer case"]
    assert "1 case" in client.get(reverse("cases:list"), {"modified_from": "2026-04-15"}).text
