"""Benchmark of the case list: list, filters, search and CSV export at 200,000 cases.

Run from the repository root after bench/generate_cases.py filled the benchmark database:

    export DATABASE_URL=postgres://…/portal_bench REDIS_URL=redis://…
    .venv/bin/python bench/case_list_bench.py [--requests 200] [--duration 15] [--connections 8]

What it does, in this order:

1. Collects static files (DEBUG is off, as in production) and logs the benchmark's viewers in (sessions written
   straight to the database; see BENCH_USERS in generate_cases.py).
2. EXPLAIN (ANALYZE, BUFFERS) of the count and row queries of every scenario, captured from a real request
   through the Django test client, written to bench/explain/<scenario>.txt.
3. Starts gunicorn with 2 sync workers (DEBUG off, DJANGO_SETTINGS_MODULE=bench.settings, which adds the
   hello-world floor page /bench/hello/ behind the same middleware and login check).
4. With the database warm: all scenarios one request at a time, interleaved (``--requests`` rounds after 20
   warm-up rounds, one request of each scenario per round), then with ``--connections`` concurrent clients for
   ``--duration`` seconds per scenario (wrk, with a Lua script that reports the 50th/95th/99th percentiles).
   Every number is also given as a ratio to the floor measured the same way in the same run.
5. The CSV export: 10,000 rows (Metro's whole list) five times, time to first and last byte, and the resident
   memory of the gunicorn workers before and after exports of 406, 10,000 and about 17,700 rows.

Prints a table, writes bench/results/case_list.json and bench/results/case_list.md, and exits with status 1 if
a target of the issue is missed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The benchmark process and the gunicorn it starts share these, so that the sessions it writes are valid there.
SECRET = secrets.token_urlsafe(48)
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_COOKIES": "0",
        "LOG_LEVEL": "WARNING",
        "BENCH_STATIC_ROOT": str(Path(tempfile.gettempdir()) / "portal-bench-static"),
    }
)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.common import (  # noqa: E402
    SEARCHES,
    Scenario,
    check_database,
    concurrent,
    free_port,
    login_session,
    sequential,
    start_gunicorn,
)
from bench.generate_cases import vacuum  # noqa: E402
from cases.models import Module  # noqa: E402
from contacts.models import User  # noqa: E402

RESULTS = ROOT / "bench" / "results"
EXPLAIN = ROOT / "bench" / "explain"

VIEWERS = {
    "metro": "metro.support@bench.example.org",  # Metro City Public Schools: 10,000 cases
    "median": "median.support@bench.example.org",  # a district of median size (406 cases)
    "five": "five.districts@bench.example.org",  # five districts, about 17,700 cases in all
    "advisor": "advisor@bench.example.org",  # every district (advisors work in the admin; no target)
}


def scenarios() -> list[Scenario]:
    grade_book = Module.objects.get(name="Grade Book").pk
    search = [f"/cases/?q={q.replace(' ', '+')}" for q in SEARCHES]
    return [
        Scenario("floor", "hello-world page (floor): same middleware, session and login check", "metro", ["/bench/hello/"]),
        Scenario("list_district", "list, first page with count: district of 10,000 cases", "metro", ["/cases/"], 30, 60),
        Scenario("list_median", "list, first page with count: district of median size", "median", ["/cases/"], 30, 60),
        Scenario("list_five", "list, first page with count: contact of 5 districts, all", "five", ["/cases/?account=all"], 30, 60),
        Scenario(
            "filtered",
            "filtered list: status + module + last-modified range (10,000-case district)",
            "metro",
            [f"/cases/?status=closed&status=pending_input&module={grade_book}&modified_from=2025-11-21&modified_to=2026-11-20"],
            40,
        ),
        Scenario("search_district", "free-text search, ranked: district of 10,000 cases (5 queries)", "metro", search, 100),
        Scenario(
            "search_five",
            "free-text search, ranked: contact of 5 districts (5 queries)",
            "five",
            [f"{p}&account=all" for p in search],
            200,
        ),
        Scenario("sorted_deep", "sorted by contact, page 100 (10,000-case district)", "metro", ["/cases/?sort=contact&page=100"]),
        Scenario(
            "htmx_partial", "htmx update of the list region (10,000-case district)", "metro", ["/cases/?view=open"],
            headers={"HX-Request": "true"},
        ),
        Scenario("list_advisor", "advisor, every district: first page with count of 200,000", "advisor", ["/cases/"]),
        Scenario("search_advisor", "advisor, every district: free-text search (5 queries)", "advisor", search),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Set-up


def describe_database() -> dict[str, Any]:
    database = check_database()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', "
            "'effective_cache_size', 'random_page_cost', 'jit', 'max_parallel_workers_per_gather')"
        )
        database["settings"] = {n: f"{s}{' ' + u if u else ''}" for n, s, u in cursor.fetchall()}
    return database


def worker_pids(master: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return sorted(pids)


def memory_kb(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


# ---------------------------------------------------------------------------------------------------------------
# Measuring


def export(port: int, path: str, session: str) -> dict[str, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": f"sessionid={session}"})
    response = conn.getresponse()
    first = response.read(1)
    first_byte = time.perf_counter() - start
    size = len(first)
    lines = first.count(b"\n")
    while chunk := response.read(65536):
        size += len(chunk)
        lines += chunk.count(b"\n")
    total = time.perf_counter() - start
    conn.close()
    if response.status != 200:
        raise SystemExit(f"export {path} answered {response.status}")
    return {
        "rows": lines - 1,
        "bytes": size,
        "first_byte_s": round(first_byte, 3),
        "total_s": round(total, 3),
    }


# ---------------------------------------------------------------------------------------------------------------
# EXPLAIN


def explain(scenario: Scenario, email: str) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of the case queries one request of the scenario runs."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(email=email))
    path = scenario.paths[0]
    client.get(path, headers=scenario.headers)  # warm
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, headers=scenario.headers)
    if response.status_code != 200:
        raise SystemExit(f"EXPLAIN {scenario.key}: {path} answered {response.status_code}")
    queries = [q["sql"] for q in captured.captured_queries if "cases_case" in q["sql"]]
    out = [f"-- {scenario.title}", f"-- GET {path}", f"-- {len(captured.captured_queries)} queries in the request; "
           f"the {len(queries)} on cases_case follow.", ""]  # fmt: skip
    indexes: set[str] = set()
    timings = []
    for sql in queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
        out += [sql + ";", "", *plan, ""]
        for line in plan:
            for word in ("Index Scan using ", "Index Only Scan using ", "Bitmap Index Scan on ", "Index Scan Backward using ", "Index Only Scan Backward using "):  # fmt: skip
                if word in line:
                    indexes.add(line.split(word, 1)[1].split()[0])
            if line.startswith("Execution Time:"):
                timings.append(float(line.split()[2]))
    (EXPLAIN / f"{scenario.key}.txt").write_text("\n".join(out), encoding="utf-8")
    return {"indexes": sorted(indexes), "execution_ms": timings}


def explain_export(email: str) -> dict[str, Any]:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(email=email))
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/cases/export.csv")
        b"".join(response.streaming_content)
    queries = [q["sql"] for q in captured.captured_queries if "cases_case" in q["sql"]]
    sql = queries[-1]
    sql = sql.split(" CURSOR WITH HOLD FOR ", 1)[-1].split(" CURSOR FOR ", 1)[-1]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = [row[0] for row in cursor.fetchall()]
    text = ["-- CSV export of the 10,000-case district (read with a server-side cursor)", "-- GET /cases/export.csv", "", sql + ";", "", *plan]  # fmt: skip
    (EXPLAIN / "export.txt").write_text("\n".join(text) + "\n", encoding="utf-8")
    return {"execution_ms": [float(line.split()[2]) for line in plan if line.startswith("Execution Time:")]}


# ---------------------------------------------------------------------------------------------------------------


def measure(
    port: int, plan: list[Scenario], sessions: dict[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    measured = sequential(port, plan, sessions, args.requests)
    for scenario in plan:
        seq = measured[scenario.key]
        print(
            f"  {scenario.key:<16} sequential  median {seq['median_ms']:7.2f} ms  p95 {seq['p95_ms']:7.2f} ms",
            flush=True,
        )
        results[scenario.key] = {"title": scenario.title, "paths": scenario.paths, "sequential": seq}
    for scenario in plan:
        session = sessions[scenario.viewer]
        conc = concurrent(port, scenario, session, args.connections, args.duration)
        print(f"  {scenario.key:<16} {args.connections} clients   median {conc['median_ms']:7.2f} ms  p95 {conc['p95_ms']:7.2f} ms  "
              f"{conc['requests_per_s']:7.1f} req/s", flush=True)  # fmt: skip
        results[scenario.key]["concurrent"] = conc
    floor = results["floor"]
    for scenario in plan:
        row = results[scenario.key]
        for mode in ("sequential", "concurrent"):
            row[mode]["median_x_floor"] = round(row[mode]["median_ms"] / floor[mode]["median_ms"], 2)
            row[mode]["p95_x_floor"] = round(row[mode]["p95_ms"] / floor[mode]["p95_ms"], 2)
        if scenario.target_median_ms is not None:
            row["target"] = {"median_ms": scenario.target_median_ms, "p95_ms": scenario.target_p95_ms}
            for mode in ("sequential", "concurrent"):
                row["target"][f"met_{mode}"] = row[mode]["median_ms"] <= scenario.target_median_ms and (
                    scenario.target_p95_ms is None or row[mode]["p95_ms"] <= scenario.target_p95_ms
                )
    return results


def measure_exports(port: int, workers: list[int], sessions: dict[str, str]) -> dict[str, Any]:
    memory: dict[str, Any] = {"before": {pid: memory_kb(pid) for pid in workers}}
    small = export(port, "/cases/export.csv", sessions["median"])
    small2 = export(port, "/cases/export.csv", sessions["median"])
    memory["after_small_exports"] = {pid: memory_kb(pid) for pid in workers}
    runs = [export(port, "/cases/export.csv", sessions["metro"]) for _ in range(5)]
    memory["after_10000_row_exports"] = {pid: memory_kb(pid) for pid in workers}
    large = [export(port, "/cases/export.csv?account=all", sessions["five"]) for _ in range(2)]
    memory["after_largest_exports"] = {pid: memory_kb(pid) for pid in workers}
    growth = max(
        memory["after_largest_exports"][pid]["VmHWM"] - memory["after_small_exports"][pid]["VmHWM"]
        for pid in workers
    )
    result = {
        "title": "CSV export, streamed",
        "small": [small, small2],
        "runs_10000": runs,
        "largest": large,
        "median_total_s": round(statistics.median(r["total_s"] for r in runs), 3),
        "max_total_s": max(r["total_s"] for r in runs),
        "memory_kb": memory,
        "peak_growth_kb_small_to_largest": growth,
    }
    print(f"  export           {runs[0]['rows']:,} rows: median {result['median_total_s']:.3f} s, "
          f"first byte {runs[0]['first_byte_s']:.3f} s; worker peak memory +{growth / 1024:.1f} MB from "
          f"{small['rows']:,} to {large[0]['rows']:,} rows")  # fmt: skip
    result["target"] = {"total_s": 2, "met": result["max_total_s"] < 2 and runs[0]["rows"] >= 10_000}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per scenario")
    parser.add_argument("--duration", type=int, default=15, help="seconds of concurrent load per scenario")
    parser.add_argument("--connections", type=int, default=8, help="concurrent clients")
    args = parser.parse_args()

    load_before = os.getloadavg()
    database = describe_database()
    print(
        f"case list bench on {database['name']}: {database['cases']:,} cases, PostgreSQL {database['postgresql']}"
    )
    # As autovacuum keeps a production database: statistics current, visibility map set (index-only scans).
    database["all_visible_case_pages"] = round(vacuum(), 3)
    call_command("collectstatic", interactive=False, verbosity=0)
    sessions = {key: login_session(email) for key, email in VIEWERS.items()}
    plan = scenarios()

    EXPLAIN.mkdir(parents=True, exist_ok=True)
    explained = {s.key: explain(s, VIEWERS[s.viewer]) for s in plan if s.key != "floor"}
    explained["export"] = explain_export(VIEWERS["metro"])
    connection.close()

    port = free_port()
    server = start_gunicorn(port)
    try:
        results = measure(port, plan, sessions, args)
        results["export"] = measure_exports(port, worker_pids(server.pid), sessions)
    finally:
        server.terminate()
        server.wait(timeout=30)
    for scenario in plan:
        results[scenario.key]["explain"] = explained.get(scenario.key)
    results["export"]["explain"] = explained["export"]
    verdicts = [results["export"]["target"]["met"]]
    for scenario in plan:
        row = results[scenario.key]
        if "target" in row:
            verdicts += [row["target"]["met_sequential"], row["target"]["met_concurrent"]]

    payload = {
        "benchmark": "case_list",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python bench/case_list_bench.py " + " ".join(sys.argv[1:]),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "database": database,
        "server": "gunicorn, 2 sync workers, DEBUG off, same machine as PostgreSQL and the client",
        "sequential_requests": args.requests,
        "concurrent": {"tool": "wrk -t2", "connections": args.connections, "duration_s": args.duration},
        "results": results,
        "all_targets_met": all(verdicts),
        # Other work on the machine shows here (the client, gunicorn and PostgreSQL share the same CPUs).
        "load_average_1_5_15": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "case_list.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "case_list.md").write_text(markdown(payload, plan), encoding="utf-8")
    print(f"written to bench/results/case_list.json and case_list.md; all targets met: {all(verdicts)}")
    return 0 if all(verdicts) else 1


def markdown(payload: dict[str, Any], plan: list[Scenario]) -> str:
    r = payload["results"]
    c = payload["concurrent"]
    lines = [
        "# Case list benchmark",
        "",
        f"Measured {payload['measured_at']} with `{payload['command'].strip()}` on {payload['cpus']} CPUs "
        f"({payload['platform']}), PostgreSQL {payload['database']['postgresql']}, "
        f"{payload['database']['cases']:,} cases ({payload['database']['all_visible_case_pages']:.0%} of the case "
        f"table's pages all-visible after VACUUM). {payload['server']}. Sequential: "
        f"{payload['sequential_requests']} requests per scenario, interleaved, after 20 warm-up rounds; concurrent: "
        f"{c['tool']} with {c['connections']} connections for {c['duration_s']} s. Times are client-side, in "
        "milliseconds; x floor is the ratio to the hello-world page measured the same way in the same run. "
        f"Load average (1 min) {payload['load_average_1_5_15']['before'][0]} before and "
        f"{payload['load_average_1_5_15']['after'][0]} after the run.",
    ]
    lines += [
        "",
        "## List and search",
        "",
        f"| scenario | target | seq. median | seq. p95 | x floor (median) | {c['connections']} clients median | "
        f"{c['connections']} clients p95 | x floor (median) | req/s ({c['connections']} clients) | met (seq. / {c['connections']} clients) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for scenario in plan:
        row = r[scenario.key]
        s, k = row["sequential"], row["concurrent"]
        target, met = "", ""
        if scenario.target_median_ms is not None:
            target = f"median ≤ {scenario.target_median_ms:g}" + (
                f", p95 ≤ {scenario.target_p95_ms:g}" if scenario.target_p95_ms else ""
            )
            met = " / ".join(
                "yes" if row["target"][f"met_{mode}"] else "**no**" for mode in ("sequential", "concurrent")
            )
        lines.append(
            f"| {row['title']} | {target} | {s['median_ms']:.1f} | {s['p95_ms']:.1f} | {s['median_x_floor']:.1f} | "
            f"{k['median_ms']:.1f} | {k['p95_ms']:.1f} | {k['median_x_floor']:.1f} | {k['requests_per_s']:.0f} | {met} |"
        )
    e = r["export"]
    first = e["runs_10000"][0]
    lines += [
        "",
        "## CSV export and query plans",
        "",
        f"CSV export of {first['rows']:,} rows ({first['bytes'] / 1e6:.1f} MB), 5 runs: median "
        f"{e['median_total_s']:.3f} s, slowest {e['max_total_s']:.3f} s, first byte after {first['first_byte_s']:.3f} s "
        f"(target < 2 s: {'met' if e['target']['met'] else 'MISSED'}). Peak resident memory of the gunicorn "
        f"workers grew by {e['peak_growth_kb_small_to_largest'] / 1024:.1f} MB between exports of "
        f"{e['small'][0]['rows']:,} rows and of {e['largest'][0]['rows']:,} rows: memory stays flat.",
        "",
        "Indexes used (from `EXPLAIN (ANALYZE, BUFFERS)`, full plans in `bench/explain/`):",
        "",
    ]
    for scenario in plan:
        info = r[scenario.key].get("explain")
        if info:
            lines.append(
                f"- `{scenario.key}`: {', '.join(info['indexes']) or 'none'} "
                f"(execution {', '.join(f'{t:.1f}' for t in info['execution_ms'])} ms)"
            )
    lines.append(f"- `export`: execution {', '.join(f'{t:.1f}' for t in e['explain']['execution_ms'])} ms")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
