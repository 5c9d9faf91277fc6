"""The SLA watch against real PostgreSQL transactions: two runs at once, and a run racing the first response,
warn once and record once."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cases.models import Case, CaseEvent, Priority
from cases.services import post_create
from cases.tests.factories import put_in_status, submit_case
from cases.workflow import Status
from jobs import runner
from outbox.models import OutboundEmail
from tests.helpers import run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.fault]
CHICAGO = ZoneInfo("America/Chicago")
SUBMITTED = datetime(2026, 12, 7, 13, 0, tzinfo=CHICAGO)  # High: warned 16:00, due 17:00


def cases(personas, count: int) -> list[Case]:
    made = []
    for n in range(count):
        case = submit_case(
            district=personas.district_a,
            contact=personas.support,
            subject=f"Report {n}",
            priority=Priority.HIGH,
            now=SUBMITTED,
        )
        made.append(put_in_status(case, Status.ASSIGNED, advisor=personas.advisor, at=SUBMITTED))
    OutboundEmail.objects.all().delete()
    return made


def test_two_runs_at_once_warn_each_case_once(personas):
    watched = cases(personas, 6)
    now = datetime(2026, 12, 7, 17, 30, tzinfo=CHICAGO)  # warning and miss both due
    results = run_together(lambda: runner.run("sla-watch", now=now), lambda: runner.run("sla-watch", now=now))
    assert [kind for kind, _ in results] == ["ok", "ok"]
    runs = [record for _, record in results]
    assert sum(r.done for r in runs) == 6
    assert sum(r.failed for r in runs) == 0
    for case in watched:
        assert OutboundEmail.objects.filter(key__startswith=f"case-{case.pk}-sla-warning-").count() == 1
        assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.SLA_WARNED).count() == 1
        assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.SLA_MISSED).count() == 1
    # and sequential reruns find nothing due
    assert runner.run("sla-watch", now=now).due == 0


def test_a_run_racing_the_first_response_never_warns_an_answered_case_twice_or_misses_it_wrongly(personas):
    [case] = cases(personas, 1)
    now = datetime(2026, 12, 7, 16, 30, tzinfo=CHICAGO)  # the warning is due, the target is not

    def reply() -> None:
        post_create(author=personas.advisor, case=case, body="<p>On it.</p>", now=now)

    results = run_together(lambda: runner.run("sla-watch", now=now), reply)
    assert [kind for kind, _ in results] == ["ok", "ok"]
    case.refresh_from_db()
    assert case.first_response_late_seconds == 0
    assert case.sla_watch_at is None
    # the run warned before the reply, or found it answered: one warning at most, never a miss
    assert OutboundEmail.objects.filter(key__startswith=f"case-{case.pk}-sla-warning-").count() <= 1
    assert not CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.SLA_MISSED).exists()
    assert runner.run("sla-watch", now=datetime(2026, 12, 7, 17, 30, tzinfo=CHICAGO)).due == 0
