"""What the district is promised about the first response: an outage gets the on-call team's one clock hour
wherever a due time is shown, and a missed promise shows as overdue since its due time."""

from __future__ import annotations

from datetime import datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import strip_tags

from cases.casetypes import CaseType
from cases.models import Case, Priority
from cases.tests.factories import submit_case
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
SATURDAY_NIGHT = datetime(2026, 12, 5, 2, 2, tzinfo=CHICAGO)


def text(response) -> str:
    return " ".join(unescape(strip_tags(response.text)).split())


@pytest.fixture
def outage(personas) -> Case:
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        return submit_case(
            district=personas.district_a,
            contact=personas.support,
            case_type=CaseType.REPORT_OUTAGE,
            priority=Priority.CRITICAL,
            details={"error_message": "Campus shows a blank page"},
            subject="Campus is down for everyone",
        )


def test_an_outage_on_saturday_night_is_promised_the_on_call_hour_not_monday(client, personas, outage):
    client.force_login(personas.support)
    with time_machine.travel(datetime(2026, 12, 5, 2, 5, tzinfo=CHICAGO), tick=False):
        confirmation = text(client.get(reverse("cases:submitted", args=[outage.number])))
        page = text(client.get(reverse("cases:detail", args=[outage.number])))

    promise = "by Saturday 5 December 2026, 3:02 AM CST (within one hour, around the clock"
    assert promise in confirmation
    assert "Monday 7" not in confirmation
    assert "Due Sat 5 Dec, 3:02 AM (on-call: within one hour, around the clock)" in page
    assert "Mon 7 Dec" not in page
    email = OutboundEmail.objects.get(recipient=personas.support)
    assert "will respond by Saturday 5 December 2026, 3:02 AM CST (within one hour, around the clock" in (
        email.body_text
    )
    assert "3:02 AM CST" in email.body_html
    assert "Monday 7" not in email.body_text


def test_an_unanswered_outage_past_its_hour_is_overdue(client, personas, outage):
    client.force_login(personas.support)
    with time_machine.travel(datetime(2026, 12, 5, 4, 0, tzinfo=CHICAGO), tick=False):
        page = text(client.get(reverse("cases:detail", args=[outage.number])))
    assert "Overdue since Sat 5 Dec, 3:02 AM" in page


def test_a_missed_first_response_shows_overdue_since_its_due_time(client, personas):
    wednesday = datetime(2026, 12, 2, 11, 0, tzinfo=CHICAGO)
    case = submit_case(district=personas.district_a, contact=personas.support, now=wednesday)
    assert case.first_response_due_at == datetime(2026, 12, 3, 11, 0, tzinfo=CHICAGO)
    client.force_login(personas.support)

    with time_machine.travel(datetime(2026, 12, 3, 10, 59, tzinfo=CHICAGO), tick=False):
        before = text(client.get(reverse("cases:detail", args=[case.number])))
    with time_machine.travel(datetime(2026, 12, 5, 9, 0, tzinfo=CHICAGO), tick=False):
        after = text(client.get(reverse("cases:detail", args=[case.number])))
        confirmation = text(client.get(reverse("cases:submitted", args=[case.number])))

    assert "Due Thu 3 Dec, 11:00 AM" in before
    assert "Overdue since Thu 3 Dec, 11:00 AM" in after
    assert "Due Thu 3 Dec" not in after
    assert "Overdue since Thursday 3 December 2026, 11:00 AM CST" in confirmation
