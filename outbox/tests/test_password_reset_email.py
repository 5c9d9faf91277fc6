"""Password reset goes through the outbox: the request queues a task for any address (contacts/passwords.py),
the task queues the e-mail; the page flow is tested in contacts/tests/test_auth.py."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from kombu.exceptions import OperationalError

from contacts import tasks as contact_tasks
from contacts.tasks import send_password_reset
from outbox.models import OutboundEmail
from outbox.tasks import sweep_outbox

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^/\s]+/accounts/password/reset/[^/\s]+/[^/\s]+/")


def ask(client, capture, email="support@a.example.org"):
    """Post the reset form and run, as a worker would, the task the request queued."""
    with capture() as callbacks:
        client.post(reverse("password_reset"), {"email": email})
    [queued] = callbacks
    return send_password_reset(*queued.args)


def test_reset_email_is_queued_with_site_url_links_and_the_portal_footer(
    client, personas, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://portal.example.com"
    assert ask(client, django_capture_on_commit_callbacks) == 1
    row = OutboundEmail.objects.get()
    assert row.recipient == personas.support
    assert row.key.startswith("password-reset-")
    assert row.key.endswith(f"-user-{personas.support.pk}")
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


def test_asking_twice_sends_two_working_links(client, personas, django_capture_on_commit_callbacks):
    start = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        ask(client, django_capture_on_commit_callbacks)
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        ask(client, django_capture_on_commit_callbacks)
        assert sweep_outbox()["done"] == 2
    assert OutboundEmail.objects.count() == 2
    links = [LINK.search(m.body).group(0) for m in mail.outbox]
    assert len(set(links)) == 2


@pytest.mark.django_db(transaction=True)
def test_a_reset_asked_for_while_the_broker_is_down_answers_the_same_page_and_logs_it(
    client, personas, monkeypatch, caplog
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to Redis. Connection refused.")

    monkeypatch.setattr(contact_tasks.send_password_reset, "delay", broker_down)
    response = client.post(reverse("password_reset"), {"email": "support@a.example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert "Could not queue password reset" in caplog.text
    assert "support@a.example.org" not in caplog.text  # the log does not say who asked
    assert not OutboundEmail.objects.exists()
