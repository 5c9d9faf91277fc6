"""Benchmark of the advisors' queues (the admin case list) at the 200,000-case data size.

Run from the repository root against the benchmark database that bench/generate_cases.py filled:

    export DATABASE_URL=postgres://…/portal_bench REDIS_URL=redis://…
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/queue_bench.py [--requests 200]

What it does:

1. Checks the database (its name contains "bench"; it holds the generated cases) and gives the generated cases,
   once, what the generator leaves out and the queues read: every tenth open case waits for support's reply
   (``awaiting_support_since`` = its last change), and every Critical case has its on-call due time (one clock
   hour after submission). Then ANALYZE.
2. Writes ``EXPLAIN (ANALYZE, BUFFERS)`` of every SQL query of each queue's first page that reads the cases
   (the page's rows, its count, and the queue counts) to ``bench/explain/queue_<name>.txt``; the queries are the
   ones the admin runs, captured from a request through the Django test client as the benchmark's advisor.
3. Starts gunicorn (2 sync workers, DEBUG off, ``bench.settings``) and, one request at a time (20 warm-up requests,
   then ``--requests``), measures the hello-world floor and the first page of every queue as the advisor. Each
   median is also given as a ratio to the floor.

Prints a table, writes bench/results/queues.json and bench/results/queues.md, and exits with status 1 if a queue's
median is more than 10 times the floor's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_COOKIES": "0",
        "LOG_LEVEL": "WARNING",
        "PRIVATE_MEDIA_ROOT": str(Path(tempfile.gettempdir()) / "portal-bench-private"),
        "BENCH_STATIC_ROOT": str(Path(tempfile.gettempdir()) / "portal-bench-static"),
    }
)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.common import check_database, fetch, free_port, login_session, start_gunicorn, summarize  # noqa: E402
from cases.casetypes import Team  # noqa: E402
from cases.models import Case  # noqa: E402
from cases.selectors.queues import QUEUES  # noqa: E402
from contacts.models import User  # noqa: E402

RESULTS = ROOT / "bench" / "results"
EXPLAIN = ROOT / "bench" / "explain"
ADVISOR = "advisor@bench.example.org"
TARGET_RATIO = 10.0
LIST = "/admin/cases/case/"


def paths() -> dict[str, str]:
    queues = {name: f"{LIST}?queue={name}" for name in QUEUES}
    queues["team"] = f"{LIST}?queue=team&team={Team.CAMPUS_SUPPORT.value}"
    return {"all": LIST, **queues}


def prepare() -> dict[str, int]:
    """What the generator leaves out and the queues read, written once."""
    with connection.cursor() as cursor:
        if not Case.objects.filter(awaiting_support_since__isnull=False).exists():
            cursor.execute(
                "UPDATE cases_case SET awaiting_support_since = updated_at WHERE status <> 'closed' AND number % 10 = 0"
            )
        cursor.execute(
            "UPDATE cases_case SET oncall_due_at = created_at + interval '1 hour' "
            "WHERE priority = 1 AND oncall_due_at IS NULL"
        )
        cursor.execute("ANALYZE cases_case")
    return {
        "open": Case.objects.exclude(status="closed").count(),
        "awaiting_support": Case.objects.filter(awaiting_support_since__isnull=False).count(),
    }


def explain(name: str, path: str) -> int:
    """EXPLAIN ANALYZE of the page's queries that read the cases; returns the page's number of queries."""
    client = Client()
    client.force_login(User.objects.get(email=ADVISOR))
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    parts = [f"# {path}", ""]
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            sql = query["sql"]
            if '"cases_case"' not in sql or sql.startswith("SAVEPOINT"):
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            parts += [sql, "", plan, "", "-" * 100, ""]
    EXPLAIN.mkdir(exist_ok=True)
    (EXPLAIN / f"queue_{name}.txt").write_text("\n".join(parts))
    return len(queries)


def sequential(port: int, path: str, session: str, requests: int) -> dict[str, Any]:
    size = 0
    for _ in range(20):
        status, body = fetch(port, path, session)
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
        size = len(body)
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        status, _body = fetch(port, path, session)
        samples.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
    return {**summarize(samples), "bytes": size}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    database = check_database()
    call_command("collectstatic", interactive=False, verbosity=0)
    shape = prepare()
    queries = {name: explain(name, path) for name, path in paths().items()}
    session = login_session(ADVISOR)
    port = free_port()
    server = start_gunicorn(port)
    results: dict[str, Any] = {}
    try:
        results["floor"] = {
            "path": "/bench/hello/",
            **sequential(port, "/bench/hello/", session, args.requests),
        }
        for name, path in paths().items():
            results[name] = {
                "path": path,
                "queries": queries[name],
                **sequential(port, path, session, args.requests),
            }
    finally:
        server.terminate()
        server.wait(timeout=30)
    floor = results["floor"]["median_ms"]
    for value in results.values():
        value["ratio_to_floor"] = round(value["median_ms"] / floor, 2)
    missed = [name for name, value in results.items() if value["ratio_to_floor"] > TARGET_RATIO]

    report = {
        "benchmark": "queues",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "database": {**database, **shape},
        "target": {"ratio_to_floor": TARGET_RATIO, "missed": missed},
        "results": results,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "queues.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# Advisors' queues benchmark",
        "",
        f"{database['cases']:,} cases ({shape['open']:,} open, {shape['awaiting_support']:,} waiting for a reply), "
        f"PostgreSQL {database['postgresql']}; gunicorn 2 sync workers, DEBUG off; {args.requests} sequential "
        "requests per row after 20 warm-up, as an advisor.",
        f"Measured {report['measured_at']} on {report['platform']}.",
        "",
        "| page | median ms | p95 ms | x floor | queries | bytes |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for value in results.values():
        lines.append(
            f"| `{value['path']}` | {value['median_ms']} | {value['p95_ms']} | {value['ratio_to_floor']} "
            f"| {value.get('queries', '')} | {value['bytes']:,} |"
        )
    lines += [
        "",
        f"Target: every queue's first page at most {TARGET_RATIO:.0f} times the floor: {'MISSED by ' + ', '.join(missed) if missed else 'met'}.",
        "",
    ]
    (RESULTS / "queues.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
