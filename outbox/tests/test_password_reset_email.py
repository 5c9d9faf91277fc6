"""Password reset goes through the outbox (contacts.forms.ResetForm); the page flow is tested in
contacts/tests/test_auth.py."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from kombu.exceptions import OperationalError

from outbox.models import OutboundEmail
from outbox.tasks import deliver_email, sweep_outbox

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^/\s]+/accounts/password/reset/[^/\s]+/[^/\s]+/")


def test_reset_email_is_queued_with_site_url_links_and_the_portal_footer(
    client, personas, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://portal.example.com"
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("password_reset"), {"email": "support@a.example.org"})
    assert len(callbacks) == 1
    row = OutboundEmail.objects.get()
    assert row.recipient == personas.support
    assert row.key.startswith(f"password-reset-user-{personas.support.pk}-")
    assert row.subject == "Reset your Support Case Portal password"

    sweep_outbox()
    [message] = mail.outbox
    text_link = LINK.search(message.body).group(0)
    assert text_link.startswith("https://portal.example.com/accounts/password/reset/")
    assert text_link.rstrip("/").rsplit("/", 1)[1] not in row.key  # the token is not in the admin-visible key
    assert message.body.startswith("Hello Dana,\n")
    assert "Replies to this e-mail are not read" in message.body
    html = message.alternatives[0].content
    assert f'href="{text_link}"' in html
    assert "Replies to this e-mail are not read" in html


def test_asking_twice_sends_two_working_links(client, personas):
    start = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        client.post(reverse("password_reset"), {"email": "support@a.example.org"})
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        client.post(reverse("password_reset"), {"email": "support@a.example.org"})
        assert sweep_outbox()["sent"] == 2
    assert OutboundEmail.objects.count() == 2
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_reset_request_succeeds_while_the_broker_is_down_and_the_sweep_sends_the_mail(
    client, personas, monkeypatch, caplog
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to Redis. Connection refused.")

    monkeypatch.setattr(deliver_email, "delay", broker_down)
    response = client.post(reverse("password_reset"), {"email": "support@a.example.org"})
    assert response.status_code == 302
    assert "the outbox sweep will send it" in caplog.text
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.PENDING
    assert mail.outbox == []
    sweep_outbox()
    assert len(mail.outbox) == 1
