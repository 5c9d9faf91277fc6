"""A case may have no contact yet: an emergency case an advisor opened for an unauthorized caller names the caller
instead (SPEC §3.6). Every page, list, export, e-mail and admin screen that names a case's contact shows it;
advisors read "Caller: <name>", the district's contacts "Phoned in by <name>", and only advisors see the phone.
(The service that opens such cases comes later; these cases are written by a factory.)"""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cases.casetypes import CaseType
from cases.models import Case
from cases.selectors.listing import EXPORT_HEADER
from cases.services import recipients_add, recipients_remove
from cases.tests.factories import CallerCaseFactory, CaseFactory
from cases.tests.listing_helpers import LIST, listed_numbers, read_csv
from cases.tests.page_helpers import login, url

pytestmark = pytest.mark.django_db

PHONE = "555-0142"


@pytest.fixture
def caller_case(personas) -> Case:
    return CallerCaseFactory(
        district=personas.district_a, submitted_by=personas.advisor, subject="Every campus is offline"
    )


@pytest.fixture
def contact_case(personas) -> Case:
    return CaseFactory(district=personas.district_a, contact=personas.support, subject="Attendance question")


def text_of(response) -> str:
    """The page's text as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


# --- the database refuses a case that names nobody ------------------------------------------------------------


@pytest.mark.parametrize(
    ("caller_name", "caller_phone"),
    [("", ""), ("Pat Lee", ""), ("", PHONE), ("   ", PHONE), ("Pat Lee", " \t")],
    ids=["neither", "no-phone", "no-name", "blank-name", "blank-phone"],
)
def test_a_case_without_a_contact_needs_the_callers_name_and_phone(personas, caller_name, caller_phone):
    with transaction.atomic(), pytest.raises(IntegrityError, match="case_contact_or_caller"):
        Case.objects.create(
            district=personas.district_a,
            contact=None,
            caller_name=caller_name,
            caller_phone=caller_phone,
            submitted_by=personas.advisor,
            case_type=CaseType.ASK_QUESTION,
            team="campus_support",
            subject="Nobody named",
            description="No contact and no caller.",
            created_at=timezone.now(),
            updated_at=timezone.now(),
            public_updated_at=timezone.now(),
            status_changed_at=timezone.now(),
            first_response_due_at=timezone.now(),
        )
    assert not Case.objects.exists()


def test_a_raw_insert_without_contact_or_caller_is_refused(personas, contact_case):
    with transaction.atomic(), pytest.raises(IntegrityError, match="case_contact_or_caller"):
        Case.objects.filter(pk=contact_case.pk).update(contact=None)
    assert Case.objects.get(pk=contact_case.pk).contact == personas.support


def test_a_caller_case_and_a_transferred_one_are_accepted(personas, caller_case):
    # Transferred to an authorized contact later: the caller stays on record.
    Case.objects.filter(pk=caller_case.pk).update(contact=personas.support)
    case = Case.objects.get(pk=caller_case.pk)
    assert (case.contact, case.caller_name, case.caller_phone) == (personas.support, "Pat Lee", PHONE)


# --- the case page --------------------------------------------------------------------------------------------


def test_an_advisor_sees_the_caller_and_their_phone_on_the_case_page(client, personas, caller_case):
    response = login(client, personas.advisor).get(url("detail", caller_case))
    assert response.status_code == 200
    text = text_of(response)
    assert "Contact Caller: Pat Lee" in text
    assert f"Caller's phone {PHONE}" in text
    assert ", phoned in by Pat Lee" in text


@pytest.mark.parametrize("persona", ["support", "read_only"])
def test_contacts_of_the_district_see_who_phoned_in_but_not_the_phone(client, personas, caller_case, persona):
    response = login(client, getattr(personas, persona)).get(url("detail", caller_case))
    assert response.status_code == 200
    text = text_of(response)
    assert "Contact Phoned in by Pat Lee" in text
    assert PHONE not in text
    assert "Caller:" not in text


def test_another_district_cannot_see_a_caller_case(client, personas, caller_case):
    assert login(client, personas.other_district).get(url("detail", caller_case)).status_code == 404


def test_advisors_see_who_phoned_in_a_case_transferred_to_a_contact(client, personas, caller_case):
    Case.objects.filter(pk=caller_case.pk).update(contact=personas.support)
    advisor_text = text_of(login(client, personas.advisor).get(url("detail", caller_case)))
    assert f"Caller Pat Lee Caller's phone {PHONE}" in advisor_text
    contact_text = text_of(login(client, personas.support).get(url("detail", caller_case)))
    assert "Pat Lee" not in contact_text


def test_the_confirmation_page_of_a_caller_case_names_the_caller(client, personas, caller_case):
    response = login(client, personas.support).get(url("submitted", caller_case))
    assert response.status_code == 200
    assert "Contact Phoned in by Pat Lee" in text_of(response)


# --- recipients: no owner to protect ---------------------------------------------------------------------------


def test_every_recipient_of_a_caller_case_can_be_removed(personas, caller_case):
    recipients_add(actor=personas.advisor, case=caller_case, users=[personas.support])
    assert recipients_remove(actor=personas.advisor, case=caller_case, users=[personas.support]) == 1
    assert not caller_case.recipients.exists()


# --- the list, its filter and sort, the export ------------------------------------------------------------------


def contact_cell(html: str, number: int) -> str:
    row = re.search(rf"#{number}</a>.*?</tr>", html, re.S)
    assert row, f"case #{number} is not listed"
    cell = re.search(r'<td class="col-contact"[^>]*>(.*?)</td>', row.group(0), re.S)
    assert cell
    return unescape(cell.group(1)).strip()


def test_the_list_names_the_caller_in_the_contact_column(client, personas, caller_case, contact_case):
    html = login(client, personas.support).get(LIST).content.decode()
    assert contact_cell(html, caller_case.number) == "Phoned in by Pat Lee"
    assert contact_cell(html, contact_case.number) == personas.support.get_full_name()
    html = login(client, personas.advisor).get(LIST, {"account": "maple-grove"}).content.decode()
    assert contact_cell(html, caller_case.number) == "Caller: Pat Lee"


def test_the_contact_filter_finds_a_caller_case_by_the_callers_name(
    client, personas, caller_case, contact_case
):
    login(client, personas.support)
    assert listed_numbers(client.get(LIST, {"contact": "pat le"}).content.decode()) == [caller_case.number]
    by_contact = client.get(LIST, {"contact": personas.support.email}).content.decode()
    assert listed_numbers(by_contact) == [contact_case.number]


@pytest.mark.parametrize("sort", ["contact", "-contact"])
def test_sorting_by_contact_puts_caller_cases_last_both_ways(
    client, personas, caller_case, contact_case, sort
):
    html = login(client, personas.support).get(LIST, {"sort": sort}).content.decode()
    assert listed_numbers(html) == [contact_case.number, caller_case.number]


@pytest.mark.parametrize(
    ("persona", "label"), [("support", "Phoned in by Pat Lee"), ("advisor", "Caller: Pat Lee")]
)
def test_the_export_names_the_caller_in_the_contact_column(client, personas, caller_case, persona, label):
    response = login(client, getattr(personas, persona)).get("/cases/export.csv", {"account": "maple-grove"})
    assert response.status_code == 200
    rows = read_csv(response)
    row = next(r for r in rows[1:] if r[0] == str(caller_case.number))
    assert row[EXPORT_HEADER.index("Contact")] == label


# --- e-mail ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "label"), [("support", "Phoned in by Pat Lee"), ("advisor", "Caller: Pat Lee")]
)
def test_the_case_e_mail_names_the_caller_in_the_recipients_words(personas, caller_case, persona, label):
    context = {"case": caller_case, "spec": caller_case.type_spec, "recipient": getattr(personas, persona)}
    assert f"Contact:   {label}" in render_to_string("emails/case_submitted/body.txt", context)
    html = render_to_string("emails/case_submitted/body.html", context)
    assert f"<td>{label}</td>" in unescape(html)


# --- the admin -----------------------------------------------------------------------------------------------------


def test_the_admin_lists_and_shows_a_caller_case(client, personas, caller_case, contact_case):
    login(client, personas.advisor)
    listing = client.get(reverse("admin:cases_case_changelist"))
    assert listing.status_code == 200
    text = text_of(listing)
    assert "Caller: Pat Lee" in text
    assert personas.support.get_full_name() in text
    found = text_of(client.get(reverse("admin:cases_case_changelist"), {"q": "Pat Lee"}))
    assert "Every campus is offline" in found
    assert "Attendance question" not in found
    change = client.get(reverse("admin:cases_case_change", args=[caller_case.pk]))
    assert change.status_code == 200
    assert "Pat Lee" in text_of(change)
    assert PHONE in text_of(change)
