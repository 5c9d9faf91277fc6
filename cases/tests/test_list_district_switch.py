"""The header's district switcher and the case list agree: after a switch the list shows the chosen district,
whatever district the address it was on had pinned."""

import pytest
from django.urls import reverse

from cases.tests.listing_helpers import case_row, create_cases
from contacts.models import Role
from contacts.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_switching_on_a_list_pinned_to_another_district_lists_the_chosen_one(client, personas):
    MembershipFactory(user=personas.support, district=personas.district_b, role=Role.SUPPORT)
    create_cases(
        [
            case_row(district=personas.district_a, contact=personas.support, subject="Maple Grove case"),
            case_row(district=personas.district_b, contact=personas.support, subject="Cedar Falls case"),
        ]
    )
    client.force_login(personas.support)
    pinned = reverse("cases:list") + "?status=new&account=maple-grove&page=2"
    assert "Maple Grove case" in client.get(pinned).text

    response = client.post(
        reverse("switch-district"), {"district": "cedar-falls", "next": pinned}, follow=True
    )

    assert response.redirect_chain[0] == (reverse("cases:list") + "?status=new", 302)
    assert "You are now working in Cedar Falls Community Schools." in response.text
    assert "Cedar Falls case" in response.text
    assert "Maple Grove case" not in response.text
    assert "Cases of Cedar Falls Community Schools" in response.text


def test_switching_to_all_districts_on_a_pinned_list_lists_every_district(client, personas):
    MembershipFactory(user=personas.support, district=personas.district_b, role=Role.SUPPORT)
    create_cases(
        [
            case_row(district=personas.district_a, contact=personas.support, subject="Maple Grove case"),
            case_row(district=personas.district_b, contact=personas.support, subject="Cedar Falls case"),
        ]
    )
    client.force_login(personas.support)
    pinned = reverse("cases:list") + "?account=maple-grove"
    response = client.post(reverse("switch-district"), {"district": "all", "next": pinned}, follow=True)
    assert "Cedar Falls case" in response.text
    assert "Maple Grove case" in response.text
