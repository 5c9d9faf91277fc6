"""Linking a new case to an open incident ("same symptoms", SPEC §2) and what advisors see of it."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.urls import reverse

from cases.models import Case
from notifications.models import IncidentReport
from notifications.selectors import incident_reports
from notifications.services import notification_close
from notifications.tests.factories import post_incident
from tests.helpers import scrub_volatile

pytestmark = pytest.mark.django_db

OUTAGE = reverse("cases:submit", args=["report-an-outage"])


def outage_form(personas, **extra: object) -> dict[str, object]:
    return {
        "token": str(uuid.uuid4()),
        "district": personas.district_a.pk,
        "contact": personas.support.pk,
        "subject": "Nobody can log in",
        "description": "The login page times out for every user.",
        "error_message": "504 Gateway Timeout",
        **extra,
    }


def test_the_form_shows_the_open_incident_and_links_the_case_without_a_phone_call(client, personas):
    incident = post_incident(personas.advisor, title="Campus login outage", districts=[personas.district_a])
    client.force_login(personas.support)
    form = client.get(OUTAGE).content.decode()
    assert "An incident is open for your district" in form
    assert "Same symptoms as “Campus login outage”" in form

    response = client.post(OUTAGE, outage_form(personas, incident=incident.pk))

    case = Case.objects.get()
    assert response.status_code == 302
    assert IncidentReport.objects.get().case == case
    confirmation = client.get(response["Location"]).content.decode()
    assert "Linked to the open incident" in confirmation
    assert "No phone call is needed" in confirmation
    assert settings.SUPPORT_PHONE not in confirmation


def test_an_outage_not_linked_still_asks_for_the_call(client, personas):
    post_incident(personas.advisor, title="Campus login outage", districts=[personas.district_a])
    client.force_login(personas.support)
    response = client.post(OUTAGE, outage_form(personas, incident=""))
    assert IncidentReport.objects.count() == 0
    assert settings.SUPPORT_PHONE in client.get(response["Location"]).content.decode()


def test_another_districts_incident_is_neither_shown_nor_accepted(client, personas):
    theirs = post_incident(personas.advisor, title="Cedar Falls outage", districts=[personas.district_b])
    client.force_login(personas.support)
    form = client.get(OUTAGE).content.decode()
    assert "Cedar Falls outage" not in form
    assert "An incident is open" not in form
    client.post(OUTAGE, outage_form(personas, incident=theirs.pk))
    # No incident field on the form: the forged value is ignored and the case is not linked.
    assert IncidentReport.objects.count() == 0


def test_an_incident_closed_while_typing_is_refused_next_to_its_field_keeping_the_values(client, personas):
    incident = post_incident(personas.advisor, title="Campus login outage", districts=[personas.district_a])
    other = post_incident(personas.advisor, title="Slow grade book")
    client.force_login(personas.support)
    client.get(OUTAGE)
    notification_close(actor=personas.advisor, notification=incident, body="Fixed.")
    response = client.post(OUTAGE, outage_form(personas, incident=incident.pk))
    assert response.status_code == 400
    page = scrub_volatile(response.content.decode())
    assert "Select a valid choice" in page
    assert "The login page times out for every user." in page
    assert Case.objects.count() == 0
    assert other.pk  # still open: the field is still offered


def test_advisors_see_how_many_districts_and_cases_report_it(client, personas):
    incident = post_incident(personas.advisor, title="Campus login outage")
    for person in (personas.support, personas.technical, personas.other_district):
        client.force_login(person)
        district = personas.district_b if person == personas.other_district else personas.district_a
        client.post(
            OUTAGE,
            outage_form(personas, district=district.pk, contact=person.pk, incident=incident.pk),
        )
    reports = incident_reports(personas.advisor, incident)
    assert (reports.districts, reports.cases) == (2, 3)
    assert incident_reports(personas.support, incident).cases == 0  # contacts never see the count
    client.force_login(personas.advisor)
    page = client.get(reverse("admin:notifications_notification_change", args=[incident.pk])).content.decode()
    assert "Reported by 2 districts, 3 cases" in page
    for case in Case.objects.all():
        assert f"#{case.number}" in page
