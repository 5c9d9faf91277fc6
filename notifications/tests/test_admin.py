"""The advisors' pages: post (all districts or some), update with e-mail, close; refusals keep the typed values."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification, NotificationUpdate
from notifications.tests.factories import post_incident
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db

ADD = reverse("admin:notifications_notification_add")


def when(dt):
    local = timezone.localtime(dt)
    return {"0": local.strftime("%Y-%m-%d"), "1": local.strftime("%H:%M:%S")}


def form(**values: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": "incident",
        "title": "Grade Book posting errors",
        "body": "Investigating.",
    }
    for name, value in values.items():
        if name in ("starts_at", "ends_at") and value is not None:
            for part, text in when(value).items():
                data[f"{name}_{part}"] = text
        else:
            data[name] = value
    return data


def test_an_advisor_posts_a_global_incident(client, personas):
    client.force_login(personas.advisor)
    response = client.post(ADD, form(is_global="on"))
    assert response.status_code == 302
    notification = Notification.objects.get()
    assert notification.is_global
    assert notification.updates.get().body == "Investigating."
    assert OutboundEmail.objects.count() == 0


def test_an_advisor_posts_maintenance_for_some_districts_and_emails_them(client, personas):
    client.force_login(personas.advisor)
    start = timezone.now().replace(microsecond=0) + timedelta(days=14)
    response = client.post(
        ADD,
        form(
            kind="maintenance",
            title="Database upgrade",
            districts=[personas.district_b.pk],
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            email="on",
        ),
    )
    assert response.status_code == 302
    notification = Notification.objects.get()
    assert not notification.is_global
    assert list(notification.districts.all()) == [personas.district_b]
    assert notification.starts_at == start
    assert list(OutboundEmail.objects.values_list("to_address", flat=True)) == ["contact@b.example.org"]


def test_maintenance_ending_before_it_starts_is_a_form_error_keeping_the_values(client, personas):
    client.force_login(personas.advisor)
    start = timezone.now() + timedelta(days=14)
    response = client.post(
        ADD,
        form(
            kind="maintenance",
            title="Database upgrade",
            is_global="on",
            starts_at=start,
            ends_at=start - timedelta(hours=1),
        ),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The end must be after the start." in page
    assert "Database upgrade" in page
    assert Notification.objects.count() == 0


def test_scoped_without_districts_is_a_form_error(client, personas):
    client.force_login(personas.advisor)
    response = client.post(ADD, form())
    assert "Choose the districts it concerns, or all districts." in response.content.decode()
    assert Notification.objects.count() == 0


def test_an_update_from_the_change_page_is_emailed_once_per_contact(client, personas):
    incident = post_incident(personas.advisor, districts=[personas.district_a])
    client.force_login(personas.advisor)
    url = reverse("admin:notifications_notification_change", args=[incident.pk])
    response = client.post(
        url,
        {
            "title": incident.title,
            "districts": [personas.district_a.pk],
            "body": "Cause found.",
            "email": "on",
        },
    )
    assert response.status_code == 302
    update = incident.updates.get(kind=NotificationUpdate.Kind.UPDATE)
    assert update.body == "Cause found."
    assert sorted(OutboundEmail.objects.values_list("to_address", flat=True)) == [
        "implementation@a.example.org",
        "support@a.example.org",
        "technical@a.example.org",
    ]
    page = client.get(url).content.decode()
    assert "Cause found." in page
    assert "Close with a resolution" in page


def test_closing_sends_the_resolution_to_whoever_was_told(client, personas):
    incident = post_incident(personas.advisor, districts=[personas.district_a], email=True)
    client.force_login(personas.advisor)
    close = reverse("admin:notifications_notification_close", args=[incident.pk])
    assert client.post(close, {"body": ""}).status_code == 400
    response = client.post(close, {"body": "Fixed in hotfix 3."})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.closed_at is not None
    resolved = OutboundEmail.objects.filter(subject__startswith="[Resolved]")
    assert resolved.count() == 3
    # Closed is read-only: the change page no longer offers an update or a close.
    page = client.get(reverse("admin:notifications_notification_change", args=[incident.pk])).content.decode()
    assert "Close with a resolution" not in page
    assert 'name="body"' not in page


@pytest.mark.parametrize("who", ["support", "other_district"])
def test_contacts_get_no_admin_page(client, personas, who):
    incident = post_incident(personas.advisor)
    client.force_login(getattr(personas, who))
    close = reverse("admin:notifications_notification_close", args=[incident.pk])
    assert client.post(close, {"body": "Forged"}).status_code == 302
    incident.refresh_from_db()
    assert incident.closed_at is None
