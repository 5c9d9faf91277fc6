"""A contact of several districts is offered, in the Contact field, the authorized contacts of the district the
form is for, and only those are accepted."""

import re

import pytest
from django.urls import reverse

from cases.models import Case
from cases.tests.helpers import form_values
from contacts.models import Role
from contacts.tests.factories import DistrictFactory, MembershipFactory

pytestmark = pytest.mark.django_db

URL = reverse("cases:submit", args=["ask-a-question"])


def offered(html: str) -> set[str]:
    select = html[html.index('name="contact"') :].split("</select>")[0]
    return set(re.findall(r'<option value="(\d+)"', select))


@pytest.fixture
def riverbend(personas):
    district = DistrictFactory(name="Riverbend Unified", slug="riverbend")
    MembershipFactory(user=personas.support, district=district, role=Role.SUPPORT)
    colleague = MembershipFactory(district=district, role=Role.TECHNICAL).user
    MembershipFactory(district=district, role=Role.READ_ONLY)  # never offered
    return district, colleague


def test_only_the_chosen_districts_contacts_are_offered(client, personas, riverbend):
    district, colleague = riverbend
    client.force_login(personas.support)
    personas.support.last_district = personas.district_a
    personas.support.save()

    html = client.get(URL).text

    assert form_values(html)["district"] == [str(personas.district_a.pk)]
    maple = {str(u.pk) for u in (personas.support, personas.technical, personas.implementation)}
    assert offered(html) == maple
    assert "<optgroup" not in html[html.index('name="contact"') :].split("</select>")[0]
    # The other district's list rides along for the script, outside the field.
    ride_along = re.search(rf'<template data-contacts-for="{district.pk}">(.*?)</template>', html).group(1)
    assert set(re.findall(r'<option value="(\d+)"', ride_along)) == {
        str(personas.support.pk),
        str(colleague.pk),
    }


def test_the_form_sent_for_another_district_offers_that_districts_contacts(client, personas, riverbend):
    district, colleague = riverbend
    client.force_login(personas.support)
    data = form_values(client.get(URL).text)
    data.update(district=[str(district.pk)], subject=[""], description=["Where is it?"])

    refused = client.post(URL, data)  # refused for the subject; shown again for Riverbend

    assert refused.status_code == 400
    assert offered(refused.text) == {str(personas.support.pk), str(colleague.pk)}


def test_a_contact_of_another_district_is_not_accepted(client, personas, riverbend):
    district, colleague = riverbend
    client.force_login(personas.support)
    data = form_values(client.get(URL).text)
    data.update(contact=[str(colleague.pk)], subject=["Report cards"], description=["Blank."])
    refused = client.post(URL, data)
    assert refused.status_code == 400
    assert "is not an authorized contact of Maple Grove Public Schools" in refused.text
    assert not Case.objects.exists()
    data.update(district=[str(district.pk)])
    assert client.post(URL, data).status_code == 302
    assert Case.objects.get().contact == colleague
