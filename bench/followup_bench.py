"""Benchmark of the 3x10 follow-up job (``followup-3x10``) over 10,000 due cases.

Run from the repository root against a database of its own whose name contains "bench" (the script empties the
follow-up sequences and the cases it made on an earlier run, nothing else):

    export DATABASE_URL=postgres://…/portal_bench REDIS_URL=redis://…
    DEBUG=1 .venv/bin/python manage.py migrate
    .venv/bin/python bench/followup_bench.py [--due 10000] [--waiting 90000]

What it does:

1. Set-up (bulk inserts; not measured): ``--due`` cases in Pending Customer Verification whose first follow-up
   is due, and ``--waiting`` cases whose sequences are not due (later follow-ups, or ended), each with its
   contact as a recipient, in one district; ANALYZE.
2. ``EXPLAIN (ANALYZE, BUFFERS)`` of the job's due query, written to ``bench/explain/followup_due.txt``: it
   reads the partial index ``followup_due`` and only the due rows.
3. The job as beat runs it (``jobs.runner.run``): every due case in its own transaction, one note and one
   e-mail (an outbox row) per case. Then a second run at the same moment, which must find nothing due.

Prints and writes ``bench/results/followup.json`` and ``.md``. Exits 1 if the run takes 60 s or more or does
not take every due step.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
)

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from cases.jobs import followup_due  # noqa: E402
from cases.models import Case, FollowUpSequence, FollowUpStep, Recipient  # noqa: E402
from cases.workflow import Status  # noqa: E402
from contacts.models import District, Membership, Role, User  # noqa: E402
from jobs import runner  # noqa: E402
from outbox.models import OutboundEmail  # noqa: E402
from portal.lib import businesstime  # noqa: E402

RESULTS = ROOT / "bench" / "results"
EXPLAIN = ROOT / "bench" / "explain" / "followup_due.txt"
BUDGET_S = 60.0
CHICAGO = ZoneInfo("America/Chicago")
ENTERED = datetime(2026, 12, 7, 10, tzinfo=CHICAGO)  # follow-up 1 due Thu 10 Dec 2026, 06:00
SUBJECT = "Follow-up benchmark case"


def check_database() -> str:
    name = str(connection.settings_dict["NAME"])
    if "bench" not in name:
        raise SystemExit(f"DATABASE_URL points at {name!r}; run the benchmark against a bench database.")
    return name


def prepare(due: int, waiting: int) -> datetime:
    """The cases and their sequences; returns the moment at which exactly ``due`` of them are due."""
    old = Case.objects.filter(subject=SUBJECT)
    OutboundEmail.objects.filter(key__contains="-followup-").delete()
    FollowUpStep.objects.filter(case__in=old).delete()
    FollowUpSequence.objects.filter(case__in=old).delete()
    old.delete()
    district, _ = District.objects.get_or_create(
        slug="followup-bench", defaults={"name": "Follow-up Bench ISD"}
    )
    contact, _ = User.objects.get_or_create(
        email="followup.contact@bench.example.org", defaults={"first_name": "Fay", "last_name": "Lowe"}
    )
    Membership.objects.get_or_create(user=contact, district=district, defaults={"role": Role.SUPPORT})
    advisor = User.objects.advisors().first()
    schedule = businesstime.followup_schedule(ENTERED)
    now = schedule.followups[0].due_at
    total = due + waiting
    start = time.perf_counter()
    for offset in range(0, total, 5_000):
        size = min(5_000, total - offset)
        cases = Case.objects.bulk_create(
            Case(
                district=district,
                contact=contact,
                submitted_by=contact,
                assigned_to=advisor,
                case_type="ask_question",
                team="campus_support",
                subject=SUBJECT,
                description="Benchmark.",
                status=Status.PENDING_CUSTOMER_VERIFICATION,
                created_at=ENTERED - timedelta(days=3),
                updated_at=ENTERED,
                public_updated_at=ENTERED,
                status_changed_at=ENTERED,
                first_response_due_at=ENTERED,
                first_response_at=ENTERED,
                first_response_met=True,
            )
            for _ in range(size)
        )
        Recipient.objects.bulk_create(Recipient(case=case, user=contact) for case in cases)
        sequences = []
        for index, case in enumerate(cases, start=offset):
            # The due ones first; the others entered later (not due yet) or already ended.
            later = timedelta(days=7) if index >= due else timedelta(0)
            ended = index >= due and index % 2 == 0
            sequences.append(
                FollowUpSequence(
                    case=case,
                    number=1,
                    entered_at=ENTERED + later,
                    followup_1_at=schedule.followups[0].due_at + later,
                    followup_2_at=schedule.followups[1].due_at + later,
                    followup_3_at=schedule.followups[2].due_at + later,
                    close_at=schedule.auto_close_at + later,
                    next_step=None if ended else 1,
                    next_due_at=None if ended else schedule.followups[0].due_at + later,
                    ended_at=ENTERED + later if ended else None,
                    end_reason="replied" if ended else "",
                )
            )
        FollowUpSequence.objects.bulk_create(sequences)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case, cases_followupsequence, cases_recipient")
    print(f"set-up: {total:,} cases ({due:,} due) in {time.perf_counter() - start:.1f} s")
    return now


def explain(now: datetime) -> str:
    query = followup_due(now).values_list("pk", flat=True)[:10_000]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    EXPLAIN.write_text(
        f"-- followup-3x10: the due rows at {now.isoformat()}\n-- {sql % tuple(repr(str(p)) for p in params)}\n\n{plan}\n"
    )
    return plan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--waiting", type=int, default=90_000)
    args = parser.parse_args()
    database = check_database()
    now = prepare(args.due, args.waiting)
    plan = explain(now)
    uses_index = "followup_due" in plan
    start = time.perf_counter()
    record = runner.run("followup-3x10", now=now)
    seconds = time.perf_counter() - start
    rerun_start = time.perf_counter()
    rerun = runner.run("followup-3x10", now=now)
    rerun_seconds = time.perf_counter() - rerun_start
    taken = FollowUpStep.objects.filter(case__subject=SUBJECT, step=1).count()
    mails = OutboundEmail.objects.filter(key__contains="-followup-1-1-").count()
    result = {
        "benchmark": "followup-3x10",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": {"python": platform.python_version(), "cpus": os.cpu_count(), "database": database},
        "due": args.due,
        "not_due": args.waiting,
        "run": {
            "seconds": round(seconds, 2),
            "done": record.done,
            "skipped": record.skipped,
            "failed": record.failed,
        },
        "per_case_ms": round(seconds * 1000 / max(record.done, 1), 2),
        "rerun": {"seconds": round(rerun_seconds, 3), "due": rerun.due, "done": rerun.done},
        "steps_recorded": taken,
        "emails_queued": mails,
        "due_query_uses_index_followup_due": uses_index,
        "budget_s": BUDGET_S,
    }
    ok = seconds < BUDGET_S and record.done == args.due == taken == mails and rerun.due == 0 and uses_index
    result["ok"] = ok
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "followup.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "followup.md").write_text(
        "| what | value |\n|---|---|\n"
        f"| due cases (not due) | {args.due:,} ({args.waiting:,}) |\n"
        f"| run: seconds (budget {BUDGET_S:.0f}) | {seconds:.1f} |\n"
        f"| per case | {result['per_case_ms']} ms |\n"
        f"| done / skipped / failed | {record.done} / {record.skipped} / {record.failed} |\n"
        f"| steps recorded, e-mails queued | {taken:,}, {mails:,} |\n"
        f"| second run at the same moment | {rerun.due} due, {rerun_seconds * 1000:.0f} ms |\n"
        f"| due query reads index followup_due | {'yes' if uses_index else 'NO'} |\n"
    )
    print(json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
