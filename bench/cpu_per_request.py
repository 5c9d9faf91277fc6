"""CPU per request of the cached case list against the floor, with 8 concurrent clients, split between the
gunicorn workers, PostgreSQL and Redis; optionally an A/B of several checkouts of the code on the same database.

Latency with 8 clients on 2 CPUs is mostly queueing (Little's law: 8 clients / pages per second), so what a page
costs is best read as CPU per request, which moves much less with the host than milliseconds do. Run from the
repository root on the database bench/generate_cases.py filled (see bench/README.md):

    export DATABASE_URL=postgres://…/portal_bench REDIS_URL=redis://…
    .venv/bin/python bench/cpu_per_request.py [--rounds 3] [--duration 10] [--source DIR …]

``--source DIR`` (repeatable) serves the code of another checkout (a ``git worktree`` of an older commit, with the
same database schema) instead of this one; the checkouts are measured in turn, round after round, so a change in
the machine's speed touches each of them alike.

Two measurements per checkout and scenario:

- **through gunicorn with 8 clients** (wrk): latency, pages per second, and the CPU that the gunicorn workers,
  PostgreSQL and Redis used per page answered. On a shared machine the CPU a process gets done per second moves
  with its neighbours, so these figures move by 10-30 % from one round to the next;
- **in the worker alone**: the CPU time of a process that calls Django's WSGI handler ``--calls`` times in a row
  (no HTTP server, no client, no second worker): what the Python code of a page costs. Other load on a shared
  host still slows it, and only ever slows it, so the lowest of the rounds is reported (as ``timeit`` advises).

Writes bench/results/cpu_per_request.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The worker-alone measurement runs this script again in a new process, in the checkout it measures (the working
# directory), with the environment of the benchmark inherited from the parent.
CHILD = "--in-process-child" in sys.argv
ROOT = Path.cwd() if CHILD else Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if CHILD:
    import django

    django.setup()
else:
    # Sets the benchmark's environment (settings, secret key) and runs django.setup(); gunicorn inherits it.
    from bench import case_list_bench as clb
    from bench.common import check_database, fetch, free_port, login_session, start_gunicorn

SCENARIOS = ("floor", "list_district", "list_five", "filtered", "search_district")
MEMBERSHIPS_VIEWER = "five.districts@bench.example.org"  # the viewer of list_five
# CPU timings of one process alone: other load only ever adds to them, so the lowest round is the measure.
LOWEST = {"worker_alone_us", "memberships_queryset_us", "memberships_loader_us"}
TICK = os.sysconf("SC_CLK_TCK")


def cpu_ticks() -> dict[str, int]:
    """CPU time (user + system, clock ticks) of every gunicorn, PostgreSQL and Redis process now running."""
    totals = {"gunicorn": 0, "postgres": 0, "redis": 0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        name, rest = text.split(" (", 1)[1].rsplit(") ", 1)
        fields = rest.split()
        ticks = int(fields[11]) + int(fields[12])
        if b"gunicorn" in cmdline:
            totals["gunicorn"] += ticks
        elif name.startswith("postgres"):
            totals["postgres"] += ticks
        elif name.startswith("redis-server"):
            totals["redis"] += ticks
    return totals


def measure(
    port: int, scenario: clb.Scenario, session: str, connections: int, duration: int
) -> dict[str, float]:
    for path in scenario.paths:  # fill the list cache, as a repeated list finds it
        status, _body = fetch(port, path, session, scenario.headers)
        if status != 200:
            raise SystemExit(f"{scenario.key}: {path} answered {status}")
    before = cpu_ticks()
    result = clb.concurrent(port, scenario, session, connections, duration)
    after = cpu_ticks()
    row = {
        "median_ms": result["median_ms"],
        "p95_ms": result["p95_ms"],
        "requests_per_s": result["requests_per_s"],
    }
    for part in before:
        row[f"{part}_us"] = (after[part] - before[part]) / TICK * 1e6 / result["requests"]
    row["total_us"] = row["gunicorn_us"] + row["postgres_us"] + row["redis_us"]
    return row


def in_process(paths: dict[str, tuple[str, str]], calls: int) -> dict[str, float]:
    """Microseconds of this process's CPU per call of the WSGI handler, for each scenario's (path, session)."""
    import io

    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()

    def call(path: str, session: str) -> None:
        path_info, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path_info, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr, "HTTP_COOKIE": f"sessionid={session}",
        }  # fmt: skip
        statuses: list[str] = []
        body = handler(environ, lambda status, headers: statuses.append(status))
        b"".join(body)
        body.close()  # type: ignore[attr-defined]
        if not statuses[0].startswith("200"):
            raise SystemExit(f"{path} answered {statuses[0]}")

    result = {}
    for key, (path, session) in paths.items():
        for _ in range(100):  # warm up: connections, templates, the list cache
            call(path, session)
        start = time.process_time()
        for _ in range(calls):
            call(path, session)
        result[key] = (time.process_time() - start) / calls * 1e6
    result.update(memberships(calls))
    return result


def memberships(calls: int) -> dict[str, float]:
    """CPU per read of a viewer's memberships (five districts), as the queryset and, where the checkout has it, as
    ``load_active_memberships``: the two in turn, so that other load slows both alike."""
    from contacts import access
    from contacts.models import User

    user = User.objects.get(email=MEMBERSHIPS_VIEWER)
    readers = {"memberships_queryset_us": lambda: list(access.active_memberships(user))}
    if hasattr(access, "load_active_memberships"):
        readers["memberships_loader_us"] = lambda: access.load_active_memberships(user)
    spent = dict.fromkeys(readers, 0.0)
    for round_number in range(10):
        for key, read in readers.items():
            start = time.process_time()
            for _ in range(calls // 10):
                read()
            if round_number:  # the first round warms up
                spent[key] += time.process_time() - start
    return {key: total / (calls // 10 * 9) * 1e6 for key, total in spent.items()}


def measure_in_process(source: Path, paths: dict[str, tuple[str, str]], calls: int) -> dict[str, float]:
    """``in_process`` in a new process that imports the code of ``source``."""
    output = subprocess.run(  # noqa: S603 - this script, fixed arguments
        [sys.executable, str(Path(__file__).resolve()), "--in-process-child", json.dumps([paths, calls])],
        cwd=source,
        env={**os.environ, "PYTHONPATH": str(source)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per scenario and round")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--source", action="append", type=Path, help="a checkout to serve (default: this one)"
    )
    parser.add_argument(
        "--calls", type=int, default=2000, help="handler calls per scenario, in the worker alone"
    )
    parser.add_argument("--in-process-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process_child:
        paths, calls = json.loads(args.in_process_child)
        print(json.dumps(in_process({k: tuple(v) for k, v in paths.items()}, calls)))
        return 0
    sources = [path.resolve() for path in args.source or [ROOT]]

    database = check_database()
    clb.call_command("collectstatic", interactive=False, verbosity=0)
    sessions = {key: login_session(email) for key, email in clb.VIEWERS.items()}
    plan = [s for s in clb.scenarios() if s.key in SCENARIOS]
    clb.connection.close()
    load_before = os.getloadavg()

    samples: dict[str, dict[str, list[dict[str, float]]]] = {
        str(s): {p.key: [] for p in plan} for s in sources
    }
    handler_paths = {p.key: (p.paths[0], sessions[p.viewer]) for p in plan}
    for round_number in range(1, args.rounds + 1):
        for source in sources:
            worker_alone = measure_in_process(source, handler_paths, args.calls)
            port = free_port()
            server = start_gunicorn(port, source=source)
            try:
                for scenario in plan:
                    row = measure(port, scenario, sessions[scenario.viewer], args.connections, args.duration)
                    row["worker_alone_us"] = worker_alone[scenario.key]
                    if scenario.key == "floor":
                        row.update({k: v for k, v in worker_alone.items() if k.startswith("memberships_")})
                    samples[str(source)][scenario.key].append(row)
                    print(f"round {round_number} {source.name:<20} {scenario.key:<16} median {row['median_ms']:6.1f} ms "
                          f"{row['requests_per_s']:7.1f} req/s  CPU per request {row['total_us']:6.0f} us "
                          f"(gunicorn {row['gunicorn_us']:.0f}, PostgreSQL {row['postgres_us']:.0f}, "
                          f"Redis {row['redis_us']:.0f}); worker alone {row['worker_alone_us']:.0f} us", flush=True)  # fmt: skip
            finally:
                server.terminate()
                server.wait(timeout=30)

    results: dict[str, Any] = {}
    for source, by_scenario in samples.items():
        medians = {
            key: {
                field: round((min if field in LOWEST else statistics.median)(r[field] for r in rows), 2)
                for field in rows[0]
            }
            for key, rows in by_scenario.items()
        }
        floor = medians["floor"]
        for row in medians.values():
            row["cpu_x_floor"] = round(row["total_us"] / floor["total_us"], 2)
            row["worker_alone_x_floor"] = round(row["worker_alone_us"] / floor["worker_alone_us"], 2)
        results[source] = {"commit": _commit(Path(source)), "scenarios": medians, "rounds": by_scenario}

    payload = {
        "benchmark": "cpu_per_request",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python bench/cpu_per_request.py " + " ".join(sys.argv[1:]),
        "cpus": os.cpu_count(),
        "database": database,
        "server": "gunicorn, 2 sync workers, DEBUG off, case-list cache on (every list request a cache hit)",
        "load": f"wrk -t2 -c{args.connections}, {args.duration} s per scenario and round, {args.rounds} rounds",
        "load_average_before": [round(x, 2) for x in load_before],
        "results": results,
    }
    out = clb.RESULTS / "cpu_per_request.json"
    out.write_text(json.dumps(payload, indent=2) + "\n")
    (clb.RESULTS / "cpu_per_request.md").write_text(_markdown(payload, plan))
    print(f"written to {out} and cpu_per_request.md")
    return 0


def _commit(source: Path) -> str:
    return subprocess.run(  # noqa: S603 - fixed arguments
        ["git", "-C", str(source), "log", "-1", "--format=%h"],  # noqa: S607 - git from the PATH
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def _markdown(payload: dict[str, Any], plan: list[clb.Scenario]) -> str:
    lines = [
        "# CPU per request of the cached case list (8 clients)",
        "",
        f"Measured {payload['measured_at']} with `{payload['command']}` on {payload['cpus']} CPUs: "
        f"{payload['server']}; {payload['load']}; medians over the rounds, but for the worker alone the lowest "
        "of them. CPU is what the gunicorn workers, "
        "PostgreSQL and Redis used during the load, per request answered (the client, wrk, is not counted). "
        "Worker alone: CPU of one process calling the WSGI handler in a loop (no server, no client). "
        f"Load average before: {payload['load_average_before'][0]}.",
        "",
        "| code | scenario | 8 clients: median ms | req/s | CPU µs / request | gunicorn | PostgreSQL | Redis "
        "| CPU x floor | worker alone: CPU µs / request | x floor |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in payload["results"].values():
        for scenario in plan:
            row = result["scenarios"][scenario.key]
            lines.append(
                f"| {result['commit']} | {scenario.title} | {row['median_ms']:.1f} | {row['requests_per_s']:.0f} | "
                f"{row['total_us']:,.0f} | {row['gunicorn_us']:,.0f} | {row['postgres_us']:,.0f} | "
                f"{row['redis_us']:,.0f} | {row['cpu_x_floor']:.2f} | {row['worker_alone_us']:,.0f} | "
                f"{row['worker_alone_x_floor']:.2f} |"
            )
    lines += [
        "",
        "Reading the memberships of a viewer of five districts, CPU per read (worker alone, lowest round):",
        "",
    ]
    for result in payload["results"].values():
        floor = result["scenarios"]["floor"]
        readers = [
            f"{label} {floor[key]:,.0f} µs"
            for key, label in (
                ("memberships_queryset_us", "the queryset"),
                ("memberships_loader_us", "the loader"),
            )
            if key in floor
        ]
        lines.append(f"- {result['commit']}: {', '.join(readers)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
