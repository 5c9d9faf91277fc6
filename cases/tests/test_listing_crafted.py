"""Crafted list parameters get an answer, never a 500 (RELIABILITY §2)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "params",
    [
        {"q": "a\x00b"},
        {"subject": "a\x00b", "subject_op": "contains"},
        {"contact": "a\x00b"},
        {"number": "²"},
        {"number": "9" * 40},
        {"sort": "'; DROP TABLE cases_case; --"},
        {"page": "-1"},
        {"page": "9" * 25},
        {"q": "grade", "page": "9" * 25},
        {"q": "grade", "page": "-" + "9" * 25},
        {"page_size": "100000"},
    ],
)
def test_crafted_list_parameters_never_cause_a_500(client, personas, params):
    client.force_login(personas.support)
    assert client.get(reverse("cases:list"), params).status_code in (200, 400)
    assert client.get(reverse("cases:export"), params).status_code in (200, 400)


@pytest.mark.parametrize("text", ["a\x00b", "\x00\x00", "Dana\x00", "%", "_", "' OR 1=1 --", "a" * 5000])
def test_crafted_contact_suggestions_never_cause_a_500(client, personas, text):
    client.force_login(personas.support)
    response = client.get(reverse("cases:contact-suggestions"), {"contact": text, "account": text})
    assert response.status_code == 200
    assert "contact@b.example.org" not in response.text
