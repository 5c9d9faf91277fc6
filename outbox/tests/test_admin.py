"""The outbox in the advisors' admin: read-only list, filters, search, and "Retry now"."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from contacts.tests.factories import UserFactory
from jobs import runner
from outbox import services
from outbox.models import OutboundEmail
from outbox.tests.conftest import FAILING_MAILER

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:outbox_outboundemail_changelist"


@pytest.fixture
def admin_client_(client, db):
    client.force_login(UserFactory(email="root@support.example.com", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def dead_email(personas, queue, settings):
    settings.MAILERS = FAILING_MAILER
    settings.OUTBOX_MAX_ATTEMPTS = 1
    email = queue(personas.technical, key="case-9-closed", title="Roster import", number=9)
    services.deliver(email.pk)
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.DEAD
    return email


def test_list_shows_address_subject_status_and_filters_by_status(admin_client_, personas, queue, dead_email):
    queue(personas.support)
    page = admin_client_.get(reverse(CHANGELIST)).text
    assert "support@a.example.org" in page
    assert "Case 123: Grades not syncing" in page
    assert "Failed permanently" in page
    dead_only = admin_client_.get(reverse(CHANGELIST), {"status__exact": "dead"}).text
    assert "technical@a.example.org" in dead_only
    assert "support@a.example.org" not in dead_only
    found = admin_client_.get(reverse(CHANGELIST), {"q": "Roster"}).text
    assert "technical@a.example.org" in found
    assert "support@a.example.org" not in found


def test_detail_is_read_only_and_never_shows_the_body(admin_client_, personas, queue):
    email = queue(personas.support)
    page = admin_client_.get(reverse("admin:outbox_outboundemail_change", args=[email.pk])).text
    assert email.message_id.replace("<", "&lt;").replace(">", "&gt;") in page
    assert "Hello Dana" not in page
    assert 'name="_save"' not in page
    assert admin_client_.get(reverse("admin:outbox_outboundemail_add")).status_code == 403


def test_retry_now_action_sends_a_dead_email_again(admin_client_, dead_email):
    response = admin_client_.post(
        reverse(CHANGELIST),
        {"action": "retry_selected", "_selected_action": [str(dead_email.pk)]},
        follow=True,
    )
    assert "1 e-mail(s) will be sent within a minute" in response.text
    dead_email.refresh_from_db()
    assert (dead_email.status, dead_email.attempts) == (OutboundEmail.Status.PENDING, 0)
    assert runner.run("email-outbox").done == 1
    assert len(mail.outbox) == 1


def test_an_advisor_who_may_only_view_gets_no_retry_action(client, dead_email):
    viewer = UserFactory(email="viewer@support.example.com", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_outboundemail"))
    client.force_login(viewer)
    page = client.get(reverse(CHANGELIST)).text
    assert "technical@a.example.org" in page
    assert "retry_selected" not in page
