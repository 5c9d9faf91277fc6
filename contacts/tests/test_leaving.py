"""What a person is told when they leave or are paused: logging out says so, and the lockout page says how long
to wait in words."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from portal.lib.durations import in_words

pytestmark = pytest.mark.django_db


def test_logging_out_says_so_on_the_login_page(client, personas):
    client.force_login(personas.support)
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain == [(reverse("login"), 302)]
    assert "You have logged out." in response.text
    assert "_auth_user_id" not in client.session
    assert "You have logged out." not in client.get(reverse("login")).text  # said once


def test_the_lockout_page_says_how_long_to_wait_in_words(client, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        locked = client.post(reverse("login"), {"username": "support@a.example.org", "password": "wrong"})
    assert locked.status_code == 429
    assert "Please wait <strong>15 minutes</strong> and try again." in locked.text
    assert "hours:minutes:seconds" not in locked.text


@pytest.mark.parametrize(
    ("duration", "words"),
    [
        (timedelta(minutes=15), "15 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=2, minutes=30), "2 hours and 30 minutes"),
        (timedelta(seconds=45), "45 seconds"),
        (timedelta(seconds=0.2), "1 second"),
        (timedelta(days=1, hours=1, minutes=5), "1 day and 1 hour"),
    ],
)
def test_durations_read_as_words(duration, words):
    assert in_words(duration) == words
