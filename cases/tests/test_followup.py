"""The 3x10 follow-up (SPEC §8, CALENDAR.md §6): stored schedule, the job, a reply, re-entry, catch-up, more
time and what the district reads on the case page."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from cases.models import Case, CaseEvent, FollowUpSequence, FollowUpStep, Post
from cases.services import case_assign, case_set_status, post_create
from cases.services.followup import followup_more_time
from cases.tests.factories import submit_case
from cases.workflow import Status, WorkflowError
from jobs import runner
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")
VECTORS = json.loads((Path(__file__).parents[2] / "tests/data/calendar_vectors.json").read_text())[
    "followup_3x10"
]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def chicago(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)


def pending_case(personas, entered: datetime, *, extra_recipient=None) -> Case:
    """A case whose advisor posted a resolution at ``entered`` (Pending Customer Verification)."""
    case = submit_case(
        district=personas.district_a, contact=personas.support, now=entered - timedelta(days=2)
    )
    case_assign(actor=personas.advisor, case=case, assignee=personas.advisor, now=entered - timedelta(days=1))
    case_set_status(
        actor=personas.advisor,
        case=case,
        status=Status.PENDING_CUSTOMER_VERIFICATION,
        resolution="<p>Fixed: the report is under Attendance.</p>",
        now=entered,
    )
    return Case.objects.get(pk=case.pk)


def run(now: datetime):
    with time_machine.travel(now, tick=False):
        return runner.run("followup-3x10", now=now)


def notes(case: Case) -> list[str]:
    return list(
        Post.objects.filter(case=case, author=None)
        .order_by("created_at", "pk")
        .values_list("body", flat=True)
    )


def followup_mail(case: Case) -> list[str]:
    return sorted(
        OutboundEmail.objects.filter(key__startswith=f"case-{case.pk}-followup-").values_list(
            "key", flat=True
        )
    )


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_the_stored_schedule_is_the_calendar_vectors(personas, vector):
    case = pending_case(personas, at(vector["entered_pending_verification"]))
    sequence = FollowUpSequence.objects.get(case=case)
    assert sequence.followups == [at(f["due_at"]) for f in vector["followups"]]
    assert sequence.close_at == at(vector["auto_close"]["at"])
    assert (sequence.number, sequence.next_step, sequence.next_due_at) == (1, 1, sequence.followup_1_at)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_each_followup_goes_out_at_its_moment_once_and_day_ten_closes(personas, vector):
    # Weekends, Thanksgiving, Christmas/New Year, the fall-back change: the job runs a second before each
    # moment (nothing), at it (the step), and again a minute later (nothing new).
    case = pending_case(personas, at(vector["entered_pending_verification"]))
    for number, followup in enumerate(vector["followups"], start=1):
        moment = at(followup["due_at"])
        assert run(moment - timedelta(seconds=1)).done == 0
        assert run(moment).done == 1
        assert run(moment + timedelta(minutes=1)).done == 0
        assert len(notes(case)) == number
        assert f"Follow-up {number} of 3" in notes(case)[-1]
        assert Case.objects.get(pk=case.pk).status == Status.PENDING_CUSTOMER_VERIFICATION
    close = at(vector["auto_close"]["at"])
    assert run(close - timedelta(seconds=1)).done == 0
    assert run(close).done == 1
    assert run(close + timedelta(hours=1)).done == 0
    case.refresh_from_db()
    assert (case.status, case.closed_at) == (Status.CLOSED, close)
    assert "Closed automatically" in notes(case)[-1]
    event = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.STATUS_CHANGED).last()
    assert (event.actor, event.data["by"]) == (None, "system")
    # The contact (the only recipient) got three follow-ups and the close, one e-mail each.
    assert followup_mail(case) == [
        f"case-{case.pk}-followup-1-{step}-to-{personas.support.pk}" for step in (1, 2, 3, 4)
    ]
    sequence = FollowUpSequence.objects.get(case=case)
    assert (sequence.end_reason, sequence.next_due_at) == (FollowUpSequence.End.AUTO_CLOSED, None)


def test_spring_forward_followups_are_at_six_local_time(personas):
    # 8 March 2026: clocks go from 02:00 CST to 03:00 CDT. The first follow-up is at 06:00 CDT on Tue 10 March,
    # not at 06:00 CST (07:00 CDT) nor an hour early.
    case = pending_case(personas, chicago(2026, 3, 5, 10))
    sequence = FollowUpSequence.objects.get(case=case)
    assert sequence.followup_1_at == datetime.fromisoformat("2026-03-10T06:00:00-05:00")
    assert sequence.close_at == datetime.fromisoformat("2026-03-19T18:00:00-05:00")
    assert run(datetime.fromisoformat("2026-03-10T05:59:00-05:00")).done == 0
    assert run(datetime.fromisoformat("2026-03-10T06:00:00-05:00")).done == 1


def test_a_contact_reply_stops_the_sequence_and_reentering_starts_a_new_one(personas):
    case = pending_case(personas, chicago(2026, 12, 7, 10))
    run(chicago(2026, 12, 10, 6))  # follow-up 1
    post_create(author=personas.support, case=case, body="<p>Still broken.</p>", now=chicago(2026, 12, 11, 9))
    case.refresh_from_db()
    assert case.status == Status.ASSIGNED
    first = FollowUpSequence.objects.get(case=case, number=1)
    assert (first.end_reason, first.next_due_at) == (FollowUpSequence.End.REPLIED, None)
    assert run(chicago(2026, 12, 22, 9)).due == 0  # nothing after the reply, even past the old close
    case_set_status(
        actor=personas.advisor,
        case=case,
        status=Status.PENDING_CUSTOMER_VERIFICATION,
        resolution="<p>Now fixed.</p>",
        now=chicago(2026, 12, 14, 9),
    )
    second = FollowUpSequence.objects.get(case=case, ended_at=None)
    assert second.number == 2
    assert second.followup_1_at == chicago(2026, 12, 17, 6)
    assert run(chicago(2026, 12, 17, 6)).done == 1
    assert followup_mail(case) == sorted(
        [
            f"case-{case.pk}-followup-1-1-to-{personas.support.pk}",
            f"case-{case.pk}-followup-2-1-to-{personas.support.pk}",
        ]
    )


def test_an_advisor_moving_the_case_on_ends_the_sequence(personas):
    case = pending_case(personas, chicago(2026, 12, 7, 10))
    case_set_status(actor=personas.advisor, case=case, status=Status.ASSIGNED, now=chicago(2026, 12, 8, 9))
    sequence = FollowUpSequence.objects.get(case=case)
    assert sequence.end_reason == FollowUpSequence.End.STATUS_CHANGED
    assert run(chicago(2026, 12, 22, 9)).due == 0


def test_catch_up_after_beat_was_down_sends_the_latest_due_step_once(personas):
    # Entered Mon 7 Dec: follow-ups Thu 10, Tue 15, Fri 18 Dec, close Mon 21 Dec 18:00. The job does not run
    # from Wed 9 to Wed 16 Dec: follow-ups 1 and 2 are both due; only the second is sent, the first recorded.
    case = pending_case(personas, chicago(2026, 12, 7, 10))
    for tick in range(3):
        record = run(chicago(2026, 12, 16, 9) + timedelta(minutes=5 * tick))
        assert record.done == (1 if tick == 0 else 0)
    assert [n[:17] for n in notes(case)] == ["<p>Follow-up 2 of"]
    steps = FollowUpStep.objects.filter(case=case).order_by("step")
    assert [(s.step, s.skipped) for s in steps] == [(1, True), (2, False)]
    assert followup_mail(case) == [f"case-{case.pk}-followup-1-2-to-{personas.support.pk}"]
    # Down again until after the close: the case is closed once, follow-up 3 recorded as skipped.
    assert run(chicago(2026, 12, 24, 9)).done == 1
    assert run(chicago(2026, 12, 24, 9, 5)).done == 0
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert [(s.step, s.skipped) for s in FollowUpStep.objects.filter(case=case).order_by("step")] == [
        (1, True),
        (2, False),
        (3, True),
        (4, False),
    ]
    assert len(notes(case)) == 2


def test_a_case_changed_under_the_job_does_nothing(personas):
    # The job selected the row, then the contact replied before it took the lock: the re-check finds the
    # sequence ended and writes nothing.
    case = pending_case(personas, chicago(2026, 12, 7, 10))
    sequence = FollowUpSequence.objects.get(case=case)
    post_create(author=personas.support, case=case, body="<p>Hm.</p>", now=chicago(2026, 12, 10, 5))
    from cases.jobs import followup_handle

    assert followup_handle(sequence.pk, chicago(2026, 12, 10, 6)) is None
    assert notes(case) == []


def test_dry_run_says_what_is_due_and_changes_nothing(personas):
    case = pending_case(personas, chicago(2026, 12, 7, 10))
    out = StringIO()
    call_command("run_job", "followup-3x10", "--dry-run", "--now", "2026-12-10T06:00-06:00", stdout=out)
    assert f"post follow-up 1 of 3 on case #{case.number}" in out.getvalue()
    assert notes(case) == []


# --- more time ------------------------------------------------------------------------------------------------


def test_more_time_moves_the_remaining_dates_once(personas):
    case = pending_case(personas, chicago(2026, 12, 7, 10))
    run(chicago(2026, 12, 10, 6))  # follow-up 1 sent
    followup_more_time(actor=personas.implementation, case=case, now=chicago(2026, 12, 11, 9))
    sequence = FollowUpSequence.objects.get(case=case)
    # Five business days later: Tue 15 -> Tue 22, Fri 18 -> Tue 29 (Christmas Thu 24/Fri 25 skipped, then the
    # weekend), Mon 21 -> Wed 30 Dec.
    assert sequence.followup_1_at == chicago(2026, 12, 10, 6)
    assert sequence.followup_2_at == chicago(2026, 12, 22, 6)
    assert sequence.followup_3_at == chicago(2026, 12, 29, 6)
    assert sequence.close_at == chicago(2026, 12, 30, 18)
    assert sequence.next_due_at == sequence.followup_2_at
    assert run(chicago(2026, 12, 15, 6)).due == 0
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.FOLLOWUP_MORE_TIME)
    assert (event.actor, event.data["days"]) == (personas.implementation, 5)
    before = FollowUpSequence.objects.filter(case=case).values().get()
    events = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(WorkflowError, match="already given once"):
        followup_more_time(actor=personas.support, case=case, days=2, now=chicago(2026, 12, 14, 9))
    assert FollowUpSequence.objects.filter(case=case).values().get() == before
    assert CaseEvent.objects.filter(case=case).count() == events


def test_more_time_is_refused_to_a_read_only_contact_and_advisors(personas):
    case = pending_case(personas, chicago(2026, 12, 7, 10))
    before = FollowUpSequence.objects.filter(case=case).values().get()
    for person in (personas.read_only, personas.advisor):
        with pytest.raises(PermissionDenied):
            followup_more_time(actor=person, case=case, now=chicago(2026, 12, 8, 9))
    assert FollowUpSequence.objects.filter(case=case).values().get() == before


def test_more_time_is_refused_when_nothing_is_pending(personas):
    case = pending_case(personas, chicago(2026, 12, 7, 10))
    post_create(author=personas.support, case=case, body="<p>No.</p>", now=chicago(2026, 12, 8, 9))
    with pytest.raises(WorkflowError, match="not waiting for your verification"):
        followup_more_time(actor=personas.support, case=case, now=chicago(2026, 12, 8, 10))


# --- the case page --------------------------------------------------------------------------------------------


def test_the_district_reads_the_timeline_and_asks_for_more_time(client, personas):
    case = pending_case(personas, chicago(2026, 12, 7, 10))
    with time_machine.travel(chicago(2026, 12, 8, 9), tick=False):
        client.force_login(personas.support)
        page = client.get(reverse("cases:detail", kwargs={"number": case.number})).content.decode()
        assert (
            "Follow-ups Thu 10, Tue 15, Fri 18 Dec; closes automatically Mon 21 Dec unless you reply" in page
        )
        assert "I need more time" in page
        response = client.post(
            reverse("cases:followup-more-time", kwargs={"number": case.number}), {"days": "3"}, follow=True
        )
        page = response.content.decode()
    assert "Follow-ups Tue 15, Fri 18, Wed 23 Dec; closes automatically Mon 28 Dec unless you reply" in page
    assert "asked for more time" in page
    assert "I need more time</button>" not in page


def test_the_read_only_contact_sees_the_timeline_without_the_button_and_gets_403(client, personas):
    case = pending_case(personas, chicago(2026, 12, 7, 10))
    url = reverse("cases:followup-more-time", kwargs={"number": case.number})
    with time_machine.travel(chicago(2026, 12, 8, 9), tick=False):
        client.force_login(personas.read_only)
        page = client.get(reverse("cases:detail", kwargs={"number": case.number})).content.decode()
        assert "closes automatically Mon 21 Dec" in page
        assert "I need more time</button>" not in page
        assert client.post(url, {"days": "5"}).status_code == 403
    assert FollowUpSequence.objects.get(case=case).more_time_at is None


def test_another_district_gets_404(client, personas):
    case = pending_case(personas, chicago(2026, 12, 7, 10))
    client.force_login(personas.other_district)
    url = reverse("cases:followup-more-time", kwargs={"number": case.number})
    assert client.post(url, {"days": "5"}).status_code == 404
    assert FollowUpSequence.objects.get(case=case).more_time_at is None


def test_asking_twice_on_the_page_says_why(client, personas):
    case = pending_case(personas, chicago(2026, 12, 7, 10))
    followup_more_time(actor=personas.technical, case=case, now=chicago(2026, 12, 8, 9))
    url = reverse("cases:followup-more-time", kwargs={"number": case.number})
    with time_machine.travel(chicago(2026, 12, 8, 10), tick=False):
        client.force_login(personas.support)
        page = client.post(url, {"days": "5"}, follow=True).content.decode()
    assert "More time was already given once for this resolution" in page
    assert FollowUpSequence.objects.get(case=case).more_time_by == personas.technical


def test_the_advisor_work_page_shows_the_stored_schedule_and_more_time(client, personas):
    case = pending_case(personas, chicago(2026, 12, 7, 10))
    run(chicago(2026, 12, 10, 6))
    followup_more_time(actor=personas.implementation, case=case, days=2, now=chicago(2026, 12, 11, 9))
    with time_machine.travel(chicago(2026, 12, 11, 10), tick=False):
        client.force_login(personas.advisor)
        page = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "3x10 follow-up" in page
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Follow-up 1: Thu 10 Dec, 6 a.m. (done)" in text
    assert "Follow-up 2: Thu 17 Dec, 6 a.m. Follow-up 3" in text
    assert "Automatic close: Wed 23 Dec, 6 p.m. More time" in text
    assert "More time asked for</strong> by" in page
    assert "2 business days" in page


def test_the_waiting_queue_says_when_each_case_closes_and_whether_more_time_was_given(client, personas):
    first = pending_case(personas, chicago(2026, 12, 7, 10))
    second = pending_case(personas, chicago(2026, 12, 8, 10))
    followup_more_time(actor=personas.support, case=second, days=1, now=chicago(2026, 12, 8, 11))
    with time_machine.travel(chicago(2026, 12, 9, 10), tick=False):
        client.force_login(personas.advisor)
        page = client.get(reverse("admin:cases_case_changelist") + "?queue=waiting").content.decode()
    assert f">{first.number}</a>" in page
    assert "District: closes automatically Mon 21 Dec</td>" in page
    assert "District: closes automatically Wed 23 Dec, more time given</td>" in page


def test_more_time_is_a_post_only_action(client, personas):
    case = pending_case(personas, chicago(2026, 12, 7, 10))
    url = reverse("cases:followup-more-time", kwargs={"number": case.number})
    assert client.post(url, {"days": "5"}).status_code == 302  # to the login page
    client.force_login(personas.support)
    assert client.get(url).status_code == 405
    assert FollowUpSequence.objects.get(case=case).more_time_at is None
