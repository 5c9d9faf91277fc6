"""Benchmark of the advisors' workbench at 200,000 cases: the search across every district and the admin's queues.

Run from the repository root after bench/generate_cases.py filled the benchmark database:

    export DATABASE_URL=postgres://…/portal_bench REDIS_URL=redis://…
    .venv/bin/python bench/workbench_bench.py [--requests 100] [--connections 8] [--duration 10] [--source PATH]

What it does, in this order:

1. Collects static files (DEBUG is off, as in production) and logs the benchmark's advisor in (a session written
   straight to the database; ``ADVISOR`` in generate_cases.py).
2. Asks each admin address once through gunicorn: one that does not answer 200 (not built yet, or a filter the
   admin does not know, which it redirects) is skipped with a note.
3. EXPLAIN (ANALYZE, BUFFERS) of the case queries of the advisor's search (bench/explain/workbench_search.txt)
   and of every queue's first page (bench/explain/queue_<name>.txt, the list without a queue queue_all.txt), and
   the number of SQL queries of every scenario, through the Django test client (this checkout only).
4. All scenarios one request at a time, interleaved with the hello-world floor (``--requests`` rounds after 20
   warm-up rounds), each given as a ratio to the floor of the same run; then the floor and the search with
   ``--connections`` concurrent clients for ``--duration`` seconds (wrk; ``--connections 0`` skips it).

Budget, one request at a time (median): the search at most 15 times the floor, every admin page at most 10 times,
every report page (its default: the last 12 months) at most 25 times.
Prints a table, writes bench/results/workbench.json and .md (``--label`` names another run, e.g. of older code
served with ``--source``), and exits with status 1 if a page misses its budget.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The benchmark process and the gunicorn it starts share these, so that the sessions it writes are valid there.
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_COOKIES": "0",
        "LOG_LEVEL": "WARNING",
        "BENCH_STATIC_ROOT": str(Path(tempfile.gettempdir()) / "portal-bench-static-workbench"),
    }
)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.common import (  # noqa: E402
    SEARCHES,
    Scenario,
    check_database,
    concurrent,
    fetch,
    free_port,
    login_session,
    sequential,
    start_gunicorn,
)
from bench.generate_cases import ADVISOR, vacuum  # noqa: E402
from cases.models import Case, Post  # noqa: E402
from contacts.models import User  # noqa: E402

RESULTS = ROOT / "bench" / "results"
EXPLAIN = ROOT / "bench" / "explain"
SEARCH_BUDGET = 15  # times the floor, median, one request at a time
PAGE_BUDGET = 10
REPORT_BUDGET = 25
REPORTS = ["volume", "sla", "times", "escalation", "advisors"]
QUEUES = ["mine", "unassigned", "needs_reply", "waiting", "due", "critical"]


def busiest_case() -> tuple[int, int, int]:
    """(pk, number, posts) of the case with the most posts."""
    case_id, posts = (
        Post.objects.values_list("case_id").annotate(posts=Count("pk")).order_by("-posts", "case_id")[0]
    )
    return case_id, Case.objects.get(pk=case_id).number, posts


def scenarios(case_pk: int) -> list[Scenario]:
    admin = "/admin/cases/case/"
    plan = [
        Scenario("floor", "hello-world page (floor): same middleware, session and login check", "advisor", ["/bench/hello/"]),
        Scenario("search", "case list: advisor's search across every district, ranked (5 queries)", "advisor",
                 [f"/cases/?q={q.replace(' ', '+')}" for q in SEARCHES]),
        Scenario("admin_cases", "admin: cases, default view", "advisor", [admin]),
    ]  # fmt: skip
    plan += [Scenario(f"queue_{q}", f"admin: queue {q}", "advisor", [f"{admin}?queue={q}"]) for q in QUEUES]
    plan += [
        Scenario("queue_team", "admin: queue of a team (technical services)", "advisor", [f"{admin}?queue=team&team=technical_services"]),
        Scenario("case_work_page", "admin: work page of the case with the most posts", "advisor", [f"{admin}{case_pk}/change/"]),
    ]  # fmt: skip
    plan += [
        Scenario(f"report_{name}", f"admin: report {name}, the last 12 months", "advisor", [f"{admin}reports/{name}/"])
        for name in REPORTS
    ]  # fmt: skip
    return plan


def budget(scenario: Scenario) -> int | None:
    if scenario.key == "floor":
        return None
    if scenario.key.startswith("report_"):
        return REPORT_BUDGET
    return SEARCH_BUDGET if scenario.key == "search" else PAGE_BUDGET


def explain(scenario: Scenario, client: Client, name: str) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of the case queries of the scenario's first address, to explain/<name>.txt."""
    path = scenario.paths[0]
    client.get(path)  # warm
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    queries = [q["sql"] for q in captured.captured_queries if "cases_case" in q["sql"]]
    out = [f"-- {scenario.title}", f"-- GET {path}", f"-- {len(captured.captured_queries)} queries in the request; "
           f"the {len(queries)} on cases_case follow.", ""]  # fmt: skip
    timings = []
    for sql in queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
        out += [sql + ";", "", *plan, ""]
        timings += [float(line.split()[2]) for line in plan if line.startswith("Execution Time:")]
    EXPLAIN.mkdir(parents=True, exist_ok=True)
    (EXPLAIN / f"{name}.txt").write_text("\n".join(out), encoding="utf-8")
    return {"execution_ms": timings}


def query_counts(plan: list[Scenario], client: Client) -> dict[str, int]:
    counts = {}
    for scenario in plan:
        with CaptureQueriesContext(connection) as captured:
            client.get(scenario.paths[0])
        counts[scenario.key] = len(captured.captured_queries)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100, help="sequential requests per scenario")
    parser.add_argument("--connections", type=int, default=8, help="concurrent clients (0: none)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of concurrent load per scenario")
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout whose code gunicorn serves")
    parser.add_argument("--label", default="", help="name of this run in the results (workbench_<label>)")
    args = parser.parse_args()

    load_before = os.getloadavg()
    database = check_database()
    print(
        f"workbench bench on {database['name']}: {database['cases']:,} cases, PostgreSQL {database['postgresql']}"
    )
    database["all_visible_case_pages"] = round(vacuum(), 3)
    call_command("collectstatic", interactive=False, verbosity=0)
    sessions = {"advisor": login_session(ADVISOR)}
    case_pk, case_number, case_posts = busiest_case()
    plan = scenarios(case_pk)

    port = free_port()
    server = start_gunicorn(port, source=args.source.resolve())
    skipped: dict[str, str] = {}
    try:
        for scenario in plan:
            status, _body = fetch(port, scenario.paths[0], sessions["advisor"])
            if status != 200:
                skipped[scenario.key] = f"{scenario.paths[0]} answered {status}"
                print(f"  {scenario.key:<16} skipped: {skipped[scenario.key]}")
        plan = [s for s in plan if s.key not in skipped]
        # In this process: of this checkout's code, whatever ``--source`` serves.
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(email=ADVISOR))
        here = args.source.resolve() == ROOT
        explained = {}
        if here:
            for scenario in plan:
                if scenario.key == "search":
                    explained["search"] = explain(scenario, client, "workbench_search")
                elif scenario.key.startswith("queue_") or scenario.key == "admin_cases":
                    name = scenario.key if scenario.key != "admin_cases" else "queue_all"
                    explained[scenario.key] = explain(scenario, client, name)
        counts = query_counts(plan, client) if here else {}
        connection.close()

        measured = sequential(port, plan, sessions, args.requests)
        results: dict[str, Any] = {}
        floor = measured["floor"]
        for scenario in plan:
            seq = measured[scenario.key]
            seq["median_x_floor"] = round(seq["median_ms"] / floor["median_ms"], 2)
            seq["p95_x_floor"] = round(seq["p95_ms"] / floor["p95_ms"], 2)
            row: dict[str, Any] = {
                "title": scenario.title,
                "paths": scenario.paths,
                "queries": counts.get(scenario.key),
            }
            row["sequential"] = seq
            if (limit := budget(scenario)) is not None:
                row["budget_x_floor"] = limit
                row["met"] = seq["median_x_floor"] <= limit
            results[scenario.key] = row
            print(f"  {scenario.key:<16} median {seq['median_ms']:7.2f} ms  p95 {seq['p95_ms']:7.2f} ms  "
                  f"x floor {seq['median_x_floor']:5.1f}  ({row['queries']} queries)", flush=True)  # fmt: skip
        if args.connections and shutil.which("wrk"):
            for scenario in plan:
                if scenario.key not in ("floor", "search"):
                    continue
                conc = concurrent(port, scenario, sessions["advisor"], args.connections, args.duration)
                results[scenario.key]["concurrent"] = conc
                print(f"  {scenario.key:<16} {args.connections} clients median {conc['median_ms']:7.2f} ms  "
                      f"p95 {conc['p95_ms']:7.2f} ms  {conc['requests_per_s']:6.1f} req/s", flush=True)  # fmt: skip
            floor_conc = results["floor"]["concurrent"]
            for key in ("floor", "search"):
                conc = results[key]["concurrent"]
                conc["median_x_floor"] = round(conc["median_ms"] / floor_conc["median_ms"], 2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    for key, plans in explained.items():
        results[key]["explain"] = plans

    met = all(row.get("met", True) for row in results.values())
    name = f"workbench_{args.label}" if args.label else "workbench"
    payload = {
        "benchmark": "workbench",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python bench/workbench_bench.py " + " ".join(sys.argv[1:]),
        "source": str(args.source.resolve()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "database": database,
        "server": "gunicorn, 2 sync workers, DEBUG off, same machine as PostgreSQL and the client",
        "sequential_requests": args.requests,
        "concurrent": {"tool": "wrk -t2", "connections": args.connections, "duration_s": args.duration},
        "busiest_case": {"pk": case_pk, "number": case_number, "posts": case_posts},
        "budget_x_floor": {"search": SEARCH_BUDGET, "admin pages": PAGE_BUDGET, "reports": REPORT_BUDGET},
        "results": results,
        "skipped": skipped,
        "all_budgets_met": met,
        "load_average_1_5_15": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(markdown(payload), encoding="utf-8")
    print(f"written to bench/results/{name}.json and {name}.md; every budget met: {met}")
    return 0 if met else 1


def markdown(payload: dict[str, Any]) -> str:
    c = payload["concurrent"]
    busiest = payload["busiest_case"]
    lines = [
        "# Workbench benchmark",
        "",
        f"Measured {payload['measured_at']} with `{payload['command'].strip()}` (code of `{payload['source']}`) on "
        f"{payload['cpus']} CPUs ({payload['platform']}), PostgreSQL {payload['database']['postgresql']}, "
        f"{payload['database']['cases']:,} cases. {payload['server']}, logged in as the benchmark's advisor. "
        f"{payload['sequential_requests']} requests per scenario one at a time, interleaved, after 20 warm-up rounds. "
        "Times are client-side, in milliseconds; x floor is the ratio to the hello-world page measured the same way "
        f"in the same run. The work page is case {busiest['number']} ({busiest['posts']} posts, the most). Load "
        f"average (1 min) {payload['load_average_1_5_15']['before'][0]} before and "
        f"{payload['load_average_1_5_15']['after'][0]} after the run.",
        "",
        "| scenario | queries | median | p95 | x floor (median) | budget | met |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for row in payload["results"].values():
        s = row["sequential"]
        limit = row.get("budget_x_floor")
        lines.append(
            f"| {row['title']} | {row['queries'] or ''} | {s['median_ms']:.1f} | {s['p95_ms']:.1f} | "
            f"{s['median_x_floor']:.1f} | {f'≤ {limit}x' if limit else ''} | "
            f"{'' if limit is None else 'yes' if row['met'] else '**no**'} |"
        )
    for key, note in payload["skipped"].items():
        lines.append(f"| {key} (skipped: {note}) | | | | | | |")
    concurrent_rows = [row for row in payload["results"].values() if "concurrent" in row]
    if concurrent_rows:
        lines += [
            "",
            f"With {c['connections']} concurrent clients ({c['tool']}, {c['duration_s']} s each):",
            "",
            "| scenario | median | p95 | x floor (median) | req/s |",
            "|---|---:|---:|---:|---:|",
        ]
        for row in concurrent_rows:
            k = row["concurrent"]
            lines.append(
                f"| {row['title']} | {k['median_ms']:.1f} | {k['p95_ms']:.1f} | {k['median_x_floor']:.1f} | "
                f"{k['requests_per_s']:.0f} |"
            )
    if explained := payload["results"]["search"].get("explain"):
        timings = ", ".join(f"{t:.1f}" for t in explained["execution_ms"])
        lines += [
            "",
            f"The search's case queries (`bench/explain/workbench_search.txt`): execution {timings} ms.",
        ]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
