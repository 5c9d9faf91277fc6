"""Fault tests of the 3x10 follow-up job (RELIABILITY §3: F1, F2, F3, F6, F8) against the real PostgreSQL."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from cases.models import Case, FollowUpSequence, FollowUpStep, Post, Recipient
from cases.services import post_create
from cases.tests.factories import CaseFactory
from cases.workflow import Status, WorkflowError
from jobs import runner
from outbox.models import OutboundEmail
from portal.lib import businesstime
from tests.helpers import run_together

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]
CHICAGO = ZoneInfo("America/Chicago")
# Mon 7 Dec 2026, 10:00: follow-ups Thu 10, Tue 15, Fri 18 Dec at 06:00; closes Mon 21 Dec at 18:00.
ENTERED = datetime(2026, 12, 7, 10, tzinfo=CHICAGO)
SCHEDULE = businesstime.followup_schedule(ENTERED)
DAY_3 = SCHEDULE.followups[0].due_at
DAY_6 = SCHEDULE.followups[1].due_at
CLOSE = SCHEDULE.auto_close_at


def pending_cases(personas, count: int) -> list[Case]:
    """``count`` cases of district A in Pending Customer Verification since ``ENTERED``, the contact their one
    recipient, written in bulk (the service's sequence rows, without a thousand service calls)."""
    cases = Case.objects.bulk_create(
        CaseFactory.build(
            district=personas.district_a,
            contact=personas.support,
            submitted_by=personas.support,
            assigned_to=personas.advisor,
            status=Status.PENDING_CUSTOMER_VERIFICATION,
            created_at=ENTERED - timedelta(days=3),
            updated_at=ENTERED,
            public_updated_at=ENTERED,
            status_changed_at=ENTERED,
        )
        for _ in range(count)
    )
    Recipient.objects.bulk_create(Recipient(case=case, user=personas.support) for case in cases)
    first, second, third = (f.due_at for f in SCHEDULE.followups)
    FollowUpSequence.objects.bulk_create(
        FollowUpSequence(
            case=case,
            number=1,
            entered_at=ENTERED,
            followup_1_at=first,
            followup_2_at=second,
            followup_3_at=third,
            close_at=CLOSE,
            next_step=1,
            next_due_at=first,
        )
        for case in cases
    )
    return cases


def counts_per_case(cases: list[Case]) -> set[tuple[int, int, int]]:
    """For every case: (portal notes, follow-up e-mails, steps taken)."""
    ids = [case.pk for case in cases]
    notes = dict.fromkeys(ids, 0)
    for case_id in Post.objects.filter(case__in=ids, author=None).values_list("case_id", flat=True):
        notes[case_id] += 1
    mails = dict.fromkeys(ids, 0)
    for key in OutboundEmail.objects.filter(key__contains="-followup-").values_list("key", flat=True):
        case_id = int(key.split("-")[1])
        if case_id in mails:
            mails[case_id] += 1
    steps = dict.fromkeys(ids, 0)
    for case_id in FollowUpStep.objects.filter(case__in=ids, skipped=False).values_list("case_id", flat=True):
        steps[case_id] += 1
    return {(notes[pk], mails[pk], steps[pk]) for pk in ids}


def test_f1_two_concurrent_runs_take_each_step_once(personas, caplog):
    cases = pending_cases(personas, 200)
    with caplog.at_level(logging.INFO):
        results = run_together(
            lambda: runner.run("followup-3x10", now=DAY_3), lambda: runner.run("followup-3x10", now=DAY_3)
        )
    assert [kind for kind, _ in results] == ["ok", "ok"]
    runs = [record for _, record in results]
    assert sum(r.done for r in runs) == 200
    assert sum(r.failed for r in runs) == 0
    assert counts_per_case(cases) == {(1, 1, 1)}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_f2_sequential_reruns_change_nothing_until_the_next_step_is_due(personas):
    cases = pending_cases(personas, 20)
    assert runner.run("followup-3x10", now=DAY_3).done == 20
    again = runner.run("followup-3x10", now=DAY_3 + timedelta(hours=3))
    assert (again.due, again.done) == (0, 0)
    next_day = runner.run("followup-3x10", now=DAY_3 + timedelta(days=1))  # Fri 11 Dec: nothing due
    assert (next_day.due, next_day.done) == (0, 0)
    assert counts_per_case(cases) == {(1, 1, 1)}
    assert runner.run("followup-3x10", now=DAY_6).done == 20
    assert counts_per_case(cases) == {(2, 2, 2)}


def test_f3_the_day_ten_close_racing_a_contact_post_never_closes_after_the_post(personas):
    cases = pending_cases(personas, 12)
    # The close is the next step of every case; one case at a time is due, so each race is between two parties.
    FollowUpSequence.objects.filter(case__in=cases).update(next_step=4, next_due_at=None)
    for case in cases:
        FollowUpSequence.objects.filter(case=case).update(next_due_at=CLOSE)
        results = run_together(
            lambda case=case: runner.run("followup-3x10", now=CLOSE),
            lambda case=case: post_create(author=personas.support, case=case, body="<p>It is back.</p>"),
        )
        (_, job), (posted, outcome) = results
        case.refresh_from_db()
        sequence = FollowUpSequence.objects.get(case=case)
        contact_posts = Post.objects.filter(case=case, author=personas.support).count()
        if posted == "ok":
            # The post committed first: the case is back with the advisor, and the automation never closed it.
            assert (case.status, contact_posts, sequence.end_reason) == (Status.ASSIGNED, 1, "replied")
            assert not FollowUpStep.objects.filter(case=case).exists()
        else:
            # The close committed first: the post was refused (the reopen rule applies), nothing half-written.
            assert isinstance(outcome, WorkflowError)
            assert (case.status, contact_posts, sequence.end_reason) == (Status.CLOSED, 0, "auto_closed")
            assert job.done == 1


def test_f6_beat_down_three_days_each_due_step_once_and_the_close_once(personas):
    cases = pending_cases(personas, 30)
    # Beat stopped on Wed 9 Dec and restarted on Sat 12 Dec: follow-up 1 (Thu 10) is sent once, by the first
    # tick; the next ticks find nothing.
    restart = datetime(2026, 12, 12, 8, tzinfo=CHICAGO)
    ticks = [runner.run("followup-3x10", now=restart + timedelta(minutes=5 * n)) for n in range(4)]
    assert [t.done for t in ticks] == [30, 0, 0, 0]
    assert counts_per_case(cases) == {(1, 1, 1)}
    # Down again from Thu 17 to Sun 20... and then until Wed 23, past the close: closed once, follow-ups 2 and 3
    # recorded as skipped, never sent late.
    restart = datetime(2026, 12, 23, 7, tzinfo=CHICAGO)
    ticks = [runner.run("followup-3x10", now=restart + timedelta(minutes=5 * n)) for n in range(4)]
    assert [t.done for t in ticks] == [30, 0, 0, 0]
    assert counts_per_case(cases) == {(2, 2, 2)}
    assert set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("status", flat=True)) == {
        "closed"
    }
    assert FollowUpStep.objects.filter(case__in=cases, skipped=True).count() == 60


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _run_job_process() -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": _database_url()}
    return subprocess.Popen(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", "run_job", "followup-3x10", "--now", DAY_3.isoformat()],
        cwd=Path(__file__).parents[2],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_f8_sigkill_mid_run_leaves_no_partial_case_and_the_rerun_finishes(personas):
    cases = pending_cases(personas, 500)
    process = _run_job_process()
    taken = 0
    deadline = time.monotonic() + 120
    # Wait (polling the committed rows) until the run is part-way through, then kill it without warning.
    while taken < 25 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
        taken = FollowUpStep.objects.count()
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done_before = set(FollowUpStep.objects.values_list("case_id", flat=True))
    assert 0 < len(done_before) < 500, "the kill came too late to interrupt the run"
    # Each case is all done (note, e-mail, step, next step moved) or not touched at all.
    assert counts_per_case(cases) == {(1, 1, 1), (0, 0, 0)}
    sequences = FollowUpSequence.objects.filter(case__in=cases)
    assert set(sequences.filter(case__in=done_before).values_list("next_step", flat=True)) == {2}
    assert set(sequences.exclude(case__in=done_before).values_list("next_step", flat=True)) == {1}
    stamps = dict(Post.objects.filter(case__in=done_before).values_list("case_id", "created_at"))
    rerun = _run_job_process()
    assert rerun.wait(timeout=300) == 0
    assert counts_per_case(cases) == {(1, 1, 1)}
    # The cases done before the kill were not touched again.
    assert dict(Post.objects.filter(case__in=done_before).values_list("case_id", "created_at")) == stamps
