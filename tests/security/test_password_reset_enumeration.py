"""Password reset does the same work for every address, so its timing tells nobody who has an account.

The request queues one task with the typed address and reads nothing about people; the lookup and the e-mail
happen in the worker (contacts/passwords.py). The timings of both paths, interleaved over many rounds, are in
bench/password_reset_timing.py, not in a test.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts.passwords import _schedule
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db


def what_the_request_does(client: Client, capture, email: str) -> tuple[list[str], list, int, bytes]:
    with capture() as callbacks, CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("password_reset"), {"email": email})
    return [q["sql"] for q in queries.captured_queries], callbacks, response.status_code, response["Location"]


@pytest.mark.parametrize(
    "email",
    ["support@a.example.org", "SUPPORT@A.example.org", "nobody@a.example.org", "former@a.example.org"],
)
def test_a_reset_request_reads_no_account_and_queues_one_task_whatever_the_address(
    client: Client, personas, django_capture_on_commit_callbacks, email: str
) -> None:
    sql, callbacks, status, location = what_the_request_does(
        client, django_capture_on_commit_callbacks, email
    )
    assert (status, location) == (302, reverse("password_reset_done"))
    assert not [q for q in sql if "contacts_user" in q]
    assert not [q for q in sql if "outbound" in q]
    [queued] = callbacks
    assert queued.func is _schedule
    assert queued.args[0] == email
    assert not OutboundEmail.objects.exists()


def test_a_known_and_an_unknown_address_run_the_same_queries(
    client: Client, personas, django_capture_on_commit_callbacks
) -> None:
    known = what_the_request_does(client, django_capture_on_commit_callbacks, "support@a.example.org")
    unknown = what_the_request_does(client, django_capture_on_commit_callbacks, "nobody@a.example.org")
    assert known[0] == unknown[0]
    assert len(known[1]) == len(unknown[1]) == 1
