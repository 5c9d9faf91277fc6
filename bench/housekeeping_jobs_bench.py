"""Times the inactivity, reopen-window and orphaned-files jobs over 10,000 due rows each (budget: under 60 s
per job on this machine), and writes the EXPLAIN of what each reads to ``bench/explain/job_<name>.txt``.

It builds a throw-away database of its own next to ``DATABASE_URL``'s (``test_<name>``, created, migrated and
dropped like the test suite's), so it never touches a development database:

* inactivity: 10,000 contacts inactive for 181 to 400 days, and 20,000 seen in the last months;
* reopen window: 10,000 cases whose window ended, and 20,000 closed cases (half of them recorded already, half
  still in their window);
* orphaned files: 10,000 files without a row and 10,000 attachments' files, all older than a day.

    .venv/bin/python bench/housekeeping_jobs_bench.py          # options: --due, --others

Writes ``results/housekeeping_jobs.json`` and ``.md``; exits 1 when a job takes 60 s or more.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
MEDIA = Path(tempfile.mkdtemp(prefix="portal-bench-media-"))
os.environ["PRIVATE_MEDIA_ROOT"] = str(MEDIA)

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from cases.models import Attachment, Case, Post  # noqa: E402
from cases.orphaned_files import LOOKUP_CHUNK  # noqa: E402
from cases.selectors.reopen import window_end  # noqa: E402
from cases.tests.listing_helpers import case_row  # noqa: E402
from cases.workflow import Status  # noqa: E402
from contacts.models import District, User  # noqa: E402
from contacts.services import inactive_contacts_due  # noqa: E402
from jobs import runner  # noqa: E402
from outbox.models import OutboundEmail  # noqa: E402
from portal.lib.businesstime import inactivity_flag_at  # noqa: E402

BUDGET_S = 60.0
UNUSABLE = make_password(None)
NOW = datetime(2027, 6, 1, 15, 0, tzinfo=UTC)
RESULTS = ROOT / "bench" / "results"
EXPLAIN = ROOT / "bench" / "explain"


def contacts(due: int, others: int) -> District:
    district = District.objects.create(name="Bench Schools", slug="bench-schools")
    rows = []
    for i in range(due + others):
        seen = NOW - timedelta(days=181 + i % 220) if i < due else NOW - timedelta(days=i % 150, minutes=i)
        rows.append(
            User(
                email=f"contact{i}@bench.example.org",
                first_name="Bench",
                last_name=f"Contact {i}",
                password=UNUSABLE,
                date_joined=seen - timedelta(days=30),
                last_login=seen,
                last_activity_at=seen,
                inactive_from=inactivity_flag_at(seen),
            )
        )
    User.objects.bulk_create(rows, batch_size=5000)
    return district


def closed_cases(district: District, due: int, others: int) -> None:
    contact = User.objects.filter(email="contact0@bench.example.org").get()
    rows = []
    for i in range(due + others):
        if i < due:  # the window ended 1 to 200 days ago, not recorded yet
            closed = NOW - timedelta(days=61 + i % 200, minutes=i)
            ends = window_end(closed)
        elif i < due + others // 2:  # recorded long ago: out of the partial index
            closed, ends = NOW - timedelta(days=300 + i % 300), None
        else:  # still in the window
            closed = NOW - timedelta(days=i % 50, minutes=i % 1440)
            ends = window_end(closed)
        rows.append(
            case_row(
                district=district,
                contact=contact,
                status=Status.CLOSED,
                updated_at=closed,
                closed_at=closed,
                reopen_window_ends_at=ends,
            )
        )
    Case.objects.bulk_create(rows, batch_size=5000)


def stored_files(due: int, attached: int) -> None:
    old = (NOW - timedelta(days=3)).timestamp()
    case = Case.objects.order_by("pk").first()
    post = Post.objects.create(case=case, body="<p>Files.</p>", created_at=NOW - timedelta(days=3))
    names = []
    for i in range(due + attached):
        name = f"2027/05/{uuid.uuid4().hex}"
        path = MEDIA / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.4 bench")
        os.utime(path, (old, old))
        if i >= due:
            names.append(name)
    Attachment.objects.bulk_create(
        [
            Attachment(
                case=case,
                post=post,
                name="log.pdf",
                size=14,
                content_type="application/pdf",
                file=name,
                created_at=NOW - timedelta(days=3),
            )
            for name in names
        ],
        batch_size=5000,
    )


def explain(name: str, *queries: tuple[str, Any]) -> str:
    text = []
    for title, queryset in queries:
        with transaction.atomic():  # a locking read needs one; rolled back with nothing written
            plan = queryset.explain(analyze=True, buffers=True)
            sql = str(queryset.query)
            transaction.set_rollback(True)
        # A lookup of a thousand file names is shown with its list shortened.
        sql = re.sub(r"IN \(([^)]{200})[^)]*\)", r"IN (\1 …)", sql)
        plan = re.sub(r"ANY \('\{([^}]{200})[^}]*\}'", r"ANY ('{\1 …}'", plan)
        text.append(f"-- {title}\n{sql}\n\n{plan}\n")
    (EXPLAIN / f"job_{name}.txt").write_text("\n".join(text), encoding="utf-8")
    return "\n".join(text)


def timed(name: str, due: int) -> dict[str, Any]:
    start = time.perf_counter()
    record = runner.run(name, now=NOW, limit=due)
    seconds = time.perf_counter() - start
    print(f"{name}: {record.done} done in {seconds:.1f} s", flush=True)
    again = runner.run(name, now=NOW)  # a rerun finds nothing left to do
    return {
        "job": name,
        "due": record.due,
        "done": record.done,
        "skipped": record.skipped,
        "failed": record.failed,
        "seconds": round(seconds, 2),
        "rows_per_second": round(record.done / seconds),
        "rerun_due": again.due,
        "within_budget": seconds < BUDGET_S,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=20_000)
    args = parser.parse_args()
    EXPLAIN.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    load_before = [round(x, 2) for x in os.getloadavg()]
    began = time.perf_counter()
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    print(f"database migrated in {time.perf_counter() - began:.1f} s", flush=True)
    try:
        started = time.perf_counter()
        district = contacts(args.due, args.others)
        print(f"contacts in {time.perf_counter() - started:.1f} s", flush=True)
        closed_cases(district, args.due, args.others)
        print(f"cases in {time.perf_counter() - started:.1f} s", flush=True)
        stored_files(args.due, args.due)
        print(f"files in {time.perf_counter() - started:.1f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        generated = round(time.perf_counter() - started, 1)

        explain(
            "inactivity",
            ("due contacts (the run's selection)", inactive_contacts_due(NOW).values("pk")[: args.due]),
            (
                "one contact claimed (the handler's lock, re-checked)",
                inactive_contacts_due(NOW)
                .filter(pk=inactive_contacts_due(NOW).values_list("pk", flat=True).first())
                .select_for_update(skip_locked=True, no_key=True),
            ),
        )
        steady = NOW - timedelta(days=199)  # a run that finds a few windows ended since the last one
        explain(
            "reopen_window",
            (
                "due cases at a catch-up run (10,000)",
                Case.objects.filter(reopen_window_ends_at__lt=NOW)
                .order_by("reopen_window_ends_at", "pk")
                .values("pk")[: args.due],
            ),
            (
                "due cases at a run in the steady state (a few)",
                Case.objects.filter(reopen_window_ends_at__lt=steady)
                .order_by("reopen_window_ends_at", "pk")
                .values("pk")[: args.due],
            ),
        )
        some = list(Attachment.objects.values_list("file", flat=True)[:LOOKUP_CHUNK])
        explain(
            "orphaned_files",
            (
                f"which of {LOOKUP_CHUNK} stored files an attachment names (one lookup per chunk)",
                Attachment.objects.filter(file__in=some).values_list("file", flat=True),
            ),
            (
                "which of 10 stored files an attachment names (a run in the steady state)",
                Attachment.objects.filter(file__in=some[:10]).values_list("file", flat=True),
            ),
            (
                "one file re-checked before it is deleted",
                Attachment.objects.filter(file=some[0]).values("pk")[:1],
            ),
        )

        jobs = [timed(name, args.due) for name in ("inactivity", "reopen-window", "orphaned-files")]
        warnings = OutboundEmail.objects.filter(key__contains="-inactive-from-").count()
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "budget_seconds": BUDGET_S,
        "generated_in_seconds": generated,
        "warnings_queued": warnings,
        "jobs": jobs,
    }
    (RESULTS / "housekeeping_jobs.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Housekeeping jobs: 10,000 due rows each",
        "",
        "| job | due | done | failed | seconds | rows/s | due on a rerun | < 60 s |",
        "|---|---|---|---|---|---|---|---|",
        *(
            f"| {j['job']} | {j['due']} | {j['done']} | {j['failed']} | {j['seconds']} | {j['rows_per_second']} "
            f"| {j['rerun_due']} | {'yes' if j['within_budget'] else 'NO'} |"
            for j in jobs
        ),
        "",
        f"Inactivity warnings queued in the outbox: {warnings}. EXPLAIN: `bench/explain/job_*.txt`. "
        f"Load average (1, 5, 15 min) before {load_before}, after {result['machine']['load_average_after']} "
        f"on {os.cpu_count()} CPUs.",
    ]
    (RESULTS / "housekeeping_jobs.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0 if all(j["within_budget"] and j["failed"] == 0 for j in jobs) else 1


if __name__ == "__main__":
    sys.exit(main())
