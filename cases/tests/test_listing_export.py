"""CSV export of the case list and the Contact filter's autocomplete (SPEC §4)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.http import StreamingHttpResponse

from cases.casetypes import CaseType
from cases.models import Module, Priority
from cases.selectors.listing import EXPORT_HEADER, spreadsheet_safe
from cases.tests.listing_helpers import (
    LIST,
    NOW,
    add_post,
    case_row,
    create_case,
    create_cases,
    listed_numbers,
    read_csv,
)
from cases.workflow import Status
from contacts.models import Role
from contacts.tests.factories import DistrictFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wednesday_morning")]

EXPORT = "/cases/export.csv"
SUGGEST = "/cases/contacts/"


@pytest.fixture
def many(personas):
    """130 cases of district A (more than a page of 100), one of district B."""
    module = Module.objects.get_or_create(name="Grade Book")[0]
    rows = [
        case_row(
            district=personas.district_a,
            contact=personas.support,
            subject=f"Case {i:03d}",
            module=module if i % 2 else None,
            status=Status.NEW if i % 3 else Status.CLOSED,
            advisor=personas.advisor,
            updated_at=NOW - timedelta(minutes=i),
        )
        for i in range(130)
    ]
    cases = create_cases(rows)
    create_case(district=personas.district_b, contact=personas.other_district, subject="Cedar Falls only")
    return cases


def export(client, user, query: str = ""):
    client.force_login(user)
    return client.get(EXPORT + (f"?{query}" if query else ""))


def test_export_streams_every_page_of_the_current_list_with_the_same_columns(client, personas, many):
    response = export(client, personas.support)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="cases-maple-grove-2026-04-15.csv"'
    assert "no-store" in response["Cache-Control"]
    rows = read_csv(response)
    assert rows[0] == EXPORT_HEADER == [
        "Case Number", "Subject", "Status", "Priority", "Module", "Case Type", "Contact", "Last Modified", "Account",
    ]  # fmt: skip
    assert [int(r[0]) for r in rows[1:]] == [c.number for c in many]  # newest last-modified first, all 130
    first = rows[1]
    assert first == [
        str(many[0].number),
        "Case 000",
        "Closed",
        "Medium",
        "",
        "Ask a Question",
        personas.support.get_full_name(),
        "2026-04-15 10:00",
        "Maple Grove Public Schools",
    ]
    assert rows[2][4] == "Grade Book"


def test_export_follows_the_filters_search_and_sort_of_the_list(client, personas, many):
    query = "status=new&sort=subject&subject=Case+01"
    client.force_login(personas.support)
    listed = listed_numbers(client.get(LIST + "?" + query + "&per_page=100").text)
    exported = [int(r[0]) for r in read_csv(export(client, personas.support, query))[1:]]
    assert exported == listed
    assert len(exported) == 7  # Case 010-019 without the closed ones (012, 015, 018)


def test_export_of_a_search_is_ranked_like_the_list(client, personas):
    a = personas.district_a
    post_only, subject = create_cases(
        [
            case_row(district=a, contact=personas.support, subject="Other words", updated_at=NOW),
            case_row(district=a, contact=personas.support, subject="Grade book totals wrong"),
        ]
    )
    add_post(post_only, "<p>grade book</p>")
    rows = read_csv(export(client, personas.support, "q=grade+book"))
    assert [int(r[0]) for r in rows[1:]] == [subject.number, post_only.number]


def test_the_list_offers_the_export_of_what_it_shows(client, personas, many):
    client.force_login(personas.support)
    page = client.get(LIST + "?status=new&sort=subject&page=2&per_page=50").text
    match = re.search(r'<a class="[^"]*export-link" href="([^"]+)"', page)
    assert match
    assert unescape(match.group(1)) == EXPORT + "?status=new&sort=subject"


def test_export_holds_nothing_internal_and_nothing_of_other_districts(client, personas):
    case = create_case(
        district=personas.district_a,
        contact=personas.support,
        subject="Visible subject",
        description="Secret description text",
    )
    add_post(case, "<p>Internal note text</p>", internal=True)
    create_case(district=personas.district_b, contact=personas.other_district, subject="Cedar Falls only")
    body = "\n".join(",".join(r) for r in read_csv(export(client, personas.support)))
    assert "Visible subject" in body
    for hidden in ["Secret description", "Internal note", "Cedar Falls"]:
        assert hidden not in body


@pytest.mark.parametrize(
    "persona", ["support", "technical", "implementation", "read_only", "other_district", "advisor"]
)
def test_every_persona_exports_only_what_they_may_see(client, personas, many, persona):
    user = getattr(personas, persona)
    numbers = {int(r[0]) for r in read_csv(export(client, user))[1:]}
    client.force_login(user)
    listed = set(listed_numbers(client.get(LIST + "?per_page=100&account=all").text))
    assert listed <= numbers
    if persona == "other_district":
        assert len(numbers) == 1
    elif persona == "advisor":
        assert len(numbers) == 131
    else:
        assert len(numbers) == 130


def test_a_deactivated_account_exports_nothing(client, personas, many):
    response = export(client, personas.deactivated)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_contact_of_two_districts_exports_the_chosen_one_or_all(client, personas, many):
    riverbend = DistrictFactory(name="Riverbend Unified", slug="riverbend")
    MembershipFactory(user=personas.support, district=riverbend, role=Role.READ_ONLY)
    river = create_case(district=riverbend, contact=UserFactory(), subject="Riverbend only")
    maple = {c.number for c in many}
    everything = {int(r[0]) for r in read_csv(export(client, personas.support, "account=all"))[1:]}
    assert everything == maple | {river.number}
    only_river = [int(r[0]) for r in read_csv(export(client, personas.support, "account=riverbend"))[1:]]
    assert only_river == [river.number]
    assert export(client, personas.support, "account=cedar-falls").status_code == 400


def test_export_names_a_contact_without_a_name_by_address_as_the_list_does(client, personas):
    nameless = UserFactory(email="frontdesk@a.example.org", first_name="", last_name="")
    MembershipFactory(user=nameless, district=personas.district_a)
    create_case(district=personas.district_a, contact=nameless, subject="Front desk question")
    row = read_csv(export(client, personas.support))[1]
    assert row[EXPORT_HEADER.index("Contact")] == "frontdesk@a.example.org"
    page = client.get(LIST).text
    assert re.search(r'<td class="col-contact"[^>]*>\s*frontdesk@a\.example\.org\s*</td>', page), page[-3000:]


def test_export_refuses_crafted_parameters_with_a_400(client, personas, many):
    assert export(client, personas.support, "sort=secret").status_code == 400
    assert export(client, personas.support, "account=cedar-falls").status_code == 400


def test_export_requires_login(client, many):
    response = client.get(EXPORT)
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1 555", "'+1 555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTabbed", "'\tTabbed"),
        ("Normal = fine", "Normal = fine"),
    ],
)
def test_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(value, safe):
    assert spreadsheet_safe(value) == safe


def test_export_neutralises_formulas_in_every_text_column(client, personas):
    evil_contact = UserFactory(first_name="=cmd|' /C calc'!A0", last_name="")
    MembershipFactory(user=evil_contact, district=personas.district_a)
    module = Module.objects.create(name="@Evil module")
    create_case(
        district=personas.district_a,
        contact=evil_contact,
        subject="=1+1",
        module=module,
        case_type=CaseType.APPLICATION_ISSUE,
        priority=Priority.HIGH,
    )
    row = read_csv(export(client, personas.support))[1]
    assert row[1] == "'=1+1"
    assert row[4] == "'@Evil module"
    assert row[6].startswith("'=cmd")


def test_export_filename_names_the_account_or_all_districts(client, personas, many):
    riverbend = DistrictFactory(name="Riverbend Unified", slug="riverbend")
    MembershipFactory(user=personas.support, district=riverbend, role=Role.READ_ONLY)
    response = export(client, personas.support, "account=all")
    assert response["Content-Disposition"] == 'attachment; filename="cases-all-districts-2026-04-15.csv"'
    response = export(client, personas.support, "account=riverbend")
    assert response["Content-Disposition"] == 'attachment; filename="cases-riverbend-2026-04-15.csv"'
    assert read_csv(response)[1:] == []


# ---------------------------------------------------------------------------------------------------------------
# Contact autocomplete


@pytest.fixture
def colleagues(personas):
    dana = personas.support
    dana.first_name, dana.last_name = "Dana", "Whitfield"
    dana.save()
    # Fixed names for Dana's colleagues: a generated name may contain "dana" (Adanna, Jordana) or "whit".
    for person, (first, last) in [
        (personas.technical, ("Theo", "Tran")),
        (personas.implementation, ("Irene", "Ito")),
        (personas.read_only, ("Rosa", "Reyes")),
        (personas.deactivated, ("Gwen", "Miller")),
    ]:
        person.first_name, person.last_name = first, last
        person.save()
    outsider = personas.other_district
    outsider.first_name, outsider.last_name = "Dana", "Outsider"
    outsider.save()
    former = UserFactory(first_name="Danny", last_name="Former", email="danny@a.example.org")
    MembershipFactory(user=former, district=personas.district_a, is_active=False)
    return personas


def suggestions(client, user, text: str, account: str = "") -> list[str]:
    client.force_login(user)
    response = client.get(SUGGEST, {"contact": text, "account": account}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return re.findall(r'<option value="([^"]+)">', response.text)


def test_autocomplete_suggests_only_contacts_of_the_viewers_districts(client, colleagues):
    assert suggestions(client, colleagues.support, "dana") == ["support@a.example.org"]
    assert suggestions(client, colleagues.support, "WHITF") == ["support@a.example.org"]
    assert suggestions(client, colleagues.support, "dana whit") == ["support@a.example.org"]
    assert suggestions(client, colleagues.support, "@a.example") == [
        u.email for u in sorted(
            [colleagues.support, colleagues.technical, colleagues.implementation, colleagues.read_only,
             colleagues.deactivated],
            key=lambda u: (u.last_name, u.first_name, u.email),
        )
    ]  # fmt: skip
    # Never the other district's Dana, never a membership that was switched off.
    assert suggestions(client, colleagues.other_district, "dana") == ["contact@b.example.org"]
    assert suggestions(client, colleagues.support, "danny") == []


def test_autocomplete_needs_two_characters_and_caps_the_list(client, colleagues):
    assert suggestions(client, colleagues.support, "d") == []
    for i in range(15):
        MembershipFactory(user=UserFactory(email=f"many{i}@a.example.org"), district=colleagues.district_a)
    assert len(suggestions(client, colleagues.support, "many")) == 10


def test_autocomplete_narrows_to_the_chosen_account_and_ignores_foreign_ones(client, colleagues):
    riverbend = DistrictFactory(name="Riverbend Unified", slug="riverbend")
    MembershipFactory(user=colleagues.support, district=riverbend, role=Role.READ_ONLY)
    MembershipFactory(user=UserFactory(email="river@r.example.org", first_name="Rita"), district=riverbend)
    assert sorted(suggestions(client, colleagues.support, "example", "riverbend")) == [
        "river@r.example.org",
        "support@a.example.org",
    ]
    # Another district's slug is not a way in: the viewer's own districts are searched instead.
    assert "contact@b.example.org" not in suggestions(client, colleagues.support, "example", "cedar-falls")


def test_autocomplete_requires_login(client, colleagues):
    assert client.get(SUGGEST, {"contact": "dana"}).status_code == 302


def test_contact_field_is_a_text_field_with_suggestions_not_a_dropdown(client, colleagues):
    client.force_login(colleagues.support)
    page = client.get(LIST).text
    tag = re.search(r'<input type="text" name="contact"[^>]*>', page, re.S)
    assert tag
    assert 'list="contact-suggestions"' in tag.group(0)
    assert f'hx-get="{SUGGEST}"' in tag.group(0)
    assert '<select name="contact"' not in page
    assert '<datalist id="contact-suggestions"></datalist>' in page
