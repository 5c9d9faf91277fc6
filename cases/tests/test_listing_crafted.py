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
        {"page_size": "100000"},
    ],
)
def test_crafted_list_parameters_never_cause_a_500(client, personas, params):
    client.force_login(personas.support)
    assert client.get(reverse("cases:list"), params).status_code in (200, 400)
    assert client.get(reverse("cases:export"), params).status_code in (200, 400)
