"""Rules that several pages and services share are each decided in one place: these tests ask every caller
the same question and expect the same answer, so a second, diverging implementation fails here."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cases.casetypes import CASE_TYPES, CaseType
from cases.forms import CaseForm
from cases.models import Case
from cases.selectors.case_page import case_page
from cases.services import eligible_recipients, recipients_add
from cases.tests.factories import submit_case
from contacts.models import Role
from contacts.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_who_may_own_a_case_is_the_same_on_the_form_in_the_service_and_for_recipients(personas):
    """The district's authorized contacts: active accounts with a switched-on, not read-only membership."""
    district = personas.district_a
    switched_off = UserFactory(email="switched-off@a.example.org")
    MembershipFactory(user=switched_off, district=district, role=Role.SUPPORT, is_active=False)
    people = [*personas.all().values(), switched_off]
    expected = {personas.support.pk, personas.technical.pk, personas.implementation.pk}

    form = CaseForm(spec=CASE_TYPES[CaseType.ASK_QUESTION], districts=[district])
    accepted_as_contact, refused_fields = set(), set()
    for person in people:
        try:
            submit_case(district=district, contact=person, submitter=personas.support)
        except ValidationError as error:
            refused_fields.update(error.message_dict)
        else:
            accepted_as_contact.add(person.pk)
    case = Case.objects.filter(contact=personas.support).get()
    accepted_as_recipient = set()
    for person in people:
        try:
            recipients_add(actor=personas.support, case=case, users=[person])
        except ValidationError:
            pass
        else:
            accepted_as_recipient.add(person.pk)
    page = case_page(personas.support, case.number)

    assert form.contacts_by_district[district.pk] == expected
    assert accepted_as_contact == expected
    assert refused_fields == {"contact"}
    assert {user.pk for user in eligible_recipients(case)} == expected
    assert accepted_as_recipient == expected
    assert {user.pk for user in page.recipients} == expected
