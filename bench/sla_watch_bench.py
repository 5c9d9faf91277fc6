"""Benchmark of the SLA watch job over 10,000 due cases (budget: under 60 s, reading only due rows).

Run from the repository root on a database of its own (its name must contain "bench"; the generator of
bench/generate_cases.py fills one, but an empty migrated one will do: this script adds what it needs):

    export DATABASE_URL=postgres://…/portal_bench REDIS_URL=redis://…
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/sla_watch_bench.py [--due 10000] [--waiting 20000]

What it does:

1. Set-up, again on every run (not what is measured): ``--due`` open High cases of one district, assigned
   to one advisor, whose warning and target have both passed (the heaviest row: a miss recorded, a warning
   e-mail rendered and queued, two events), and ``--waiting`` open cases watched later (not due), so that the
   index must pick the due ones out. Written with ``bulk_create``; the job's own rows (events, e-mail) of a
   previous run are removed first.
2. ``EXPLAIN (ANALYZE, BUFFERS)`` of the job's due query, written to ``bench/explain/sla_watch_due.txt``.
3. ``jobs.runner.run("sla-watch")`` at a business-hours moment, timed; then a second run, which must find
   nothing due.

Writes bench/results/sla_watch.json and .md; exits 1 if the run takes 60 s or more, or if it does not handle
every due case once.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from cases.models import Case, CaseEvent, Priority  # noqa: E402
from cases.services import slawatch  # noqa: E402
from contacts.models import District, User  # noqa: E402
from jobs import runner  # noqa: E402
from outbox.models import OutboundEmail  # noqa: E402

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 12, 8, 10, 0, tzinfo=CHICAGO)  # a Tuesday, inside business hours
SUBMITTED = datetime(2026, 12, 7, 9, 0, tzinfo=CHICAGO)  # High: warned 12:00, due 13:00 on Monday
RESULTS = ROOT / "bench" / "results"
EXPLAIN = ROOT / "bench" / "explain" / "sla_watch_due.txt"
BUDGET_S = 60.0
SUBJECT = "SLA watch bench case"


def prepare(due: int, waiting: int) -> None:
    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        raise SystemExit(f"DATABASE_URL points at {name!r}; run the benchmark against a bench database.")
    district, _ = District.objects.get_or_create(slug="sla-bench", defaults={"name": "SLA Bench Schools"})
    contact, _ = User.objects.get_or_create(
        email="sla.contact@bench.example.org", defaults={"first_name": "Sam", "last_name": "Contact"}
    )
    advisor, _ = User.objects.get_or_create(
        email="sla.advisor@bench.example.org",
        defaults={"first_name": "Ada", "last_name": "Advisor", "is_staff": True},
    )
    from django.contrib.auth.models import Group

    advisors = Group.objects.filter(name="Advisors").first()
    if advisors is not None:
        advisor.groups.add(advisors)
    old = Case.objects.filter(subject=SUBJECT)
    OutboundEmail.objects.filter(key__contains="-sla-warning-").delete()
    CaseEvent.objects.filter(case__in=old).delete()
    old.delete()
    template = Case(
        priority=Priority.HIGH,
        created_at=SUBMITTED,
        first_response_due_at=SUBMITTED + timedelta(hours=4),
    )
    warn_at = slawatch.warning_moment(template)
    rows = []
    for n in range(due + waiting):
        later = n >= due  # submitted a day later: its warning is on Tuesday 12:00, not due at NOW
        created = SUBMITTED + timedelta(days=1) if later else SUBMITTED
        rows.append(
            Case(
                district=district,
                contact=contact,
                submitted_by=contact,
                assigned_to=advisor,
                case_type="ask_question",
                team="campus_support",
                priority=Priority.HIGH,
                status="assigned",
                subject=SUBJECT,
                description="Benchmark row.",
                first_response_due_at=created + timedelta(hours=4),
                sla_warn_at=warn_at + (timedelta(days=1) if later else timedelta(0)),
                sla_watch_at=warn_at + (timedelta(days=1) if later else timedelta(0)),
                created_at=created,
                updated_at=created,
                public_updated_at=created,
                status_changed_at=created,
            )
        )
    Case.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_case")


def explain() -> str:
    sql, params = slawatch.due(NOW).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql} LIMIT 10000", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--waiting", type=int, default=20_000)
    args = parser.parse_args()
    started = time.perf_counter()
    prepare(args.due, args.waiting)
    setup_s = time.perf_counter() - started
    plan = explain()
    EXPLAIN.parent.mkdir(exist_ok=True)
    EXPLAIN.write_text(plan + "\n")
    started = time.perf_counter()
    record = runner.run("sla-watch", now=NOW)
    run_s = time.perf_counter() - started
    again = runner.run("sla-watch", now=NOW)
    warned = OutboundEmail.objects.filter(key__contains="-sla-warning-").count()
    result = {
        "due": record.due,
        "done": record.done,
        "skipped": record.skipped,
        "failed": record.failed,
        "run_s": round(run_s, 2),
        "per_row_ms": round(1000 * run_s / max(record.due, 1), 2),
        "second_run_due": again.due,
        "warnings_queued": warned,
        "setup_s": round(setup_s, 1),
        "index_used": "case_sla_watch" in plan,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sla_watch.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "sla_watch.md").write_text(
        "| due rows | done | failed | run (s) | per row (ms) | second run due | warnings queued | index |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---|\n"
        f"| {record.due:,} | {record.done:,} | {record.failed} | {run_s:.1f} | {result['per_row_ms']} | "
        f"{again.due} | {warned:,} | {'case_sla_watch' if result['index_used'] else 'NOT USED'} |\n"
    )
    print(json.dumps(result, indent=2))
    print(plan)
    ok = run_s < BUDGET_S and record.done == args.due and again.due == 0 and warned == args.due
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
