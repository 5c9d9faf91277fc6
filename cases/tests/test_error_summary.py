"""After a refused form, an error summary at the top of the form lists each error as a link to its field (and the
page loads the small script that moves focus to it). Every form rendered with the shared field template has it."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def summary(html: str) -> str:
    found = re.search(r'<div class="form-errors"[^>]*data-error-summary[^>]*>(.*?)</div>', html, re.S)
    assert found, "no error summary"
    return found.group(0)


def test_a_refused_case_links_each_error_to_its_field(client, personas):
    client.force_login(personas.support)
    response = client.post(
        reverse("cases:submit", args=["ask-a-question"]), {"district": personas.district_a.pk}
    )
    assert response.status_code == 400
    box = summary(response.text)
    assert 'tabindex="-1"' in box
    assert "Please correct the errors marked below." in box
    assert '<a href="#id_subject" data-field="id_subject">Subject: This field is required.</a>' in box
    assert (
        '<a href="#id_description" data-field="id_description">Description: This field is required.</a>'
        in box
    )
    assert 'id="id_subject"' in response.text
    assert '<script src="/static/js/forms.js" defer></script>' in response.text


def test_the_password_change_form_has_the_summary_too(client, personas):
    client.force_login(personas.support)
    response = client.post(reverse("password_change"), {"old_password": "wrong"})
    box = summary(response.text)
    assert 'href="#id_old_password"' in box
    assert 'href="#id_new_password1"' in box


def test_a_form_error_of_the_whole_form_heads_the_summary(client, personas):
    response = client.post(reverse("login"), {"username": "support@a.example.org", "password": "wrong"})
    box = summary(response.text)
    assert "<ul" not in box  # no field to link to
    assert "That email address and password do not match an active account." in box
