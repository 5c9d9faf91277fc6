"""What the benchmarks share: gunicorn on a free port, the HTTP client side, logged-in sessions and percentiles.

The calling script sets the environment and runs ``django.setup()`` before it calls ``login_session``; gunicorn
inherits that environment, so the sessions written here are valid there.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
# The free-text searches of the case list and workbench benchmarks: words of the generated subjects and posts,
# each matching about a quarter of all cases.
SEARCHES = [
    "grade book issues",
    "attendance report",
    "password reset parents",
    "transcript gpa",
    "schedule wizard",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(port: int, path: str, session: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One GET with the session cookie, on a connection of its own (gunicorn's sync workers close it anyway)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Cookie": f"sessionid={session}", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def start_gunicorn(port: int, source: Path = ROOT) -> subprocess.Popen[bytes]:
    """gunicorn with 2 sync workers (DEBUG off, as the calling script configured), answering /healthz;
    ``source``: the checkout whose code it serves (another one measures older code the same way)."""
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [
            str(GUNICORN),
            "portal.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=source,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if fetch(port, "/healthz", "")[0] == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def login_session(email: str) -> str:
    """The key of a new session of the person with this address, written straight to the database."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from contacts.models import User

    user = User.objects.get(email=email)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return str(session.session_key)


def check_database(minimum_cases: int = 100_000) -> dict[str, Any]:
    """The benchmark database's name, size and PostgreSQL version; stops unless it is a filled bench database
    (never the development database)."""
    from django.db import connection

    from cases.models import Case

    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        raise SystemExit(f"DATABASE_URL points at {name!r}; run the benchmark against the bench database.")
    count = Case.objects.count()
    if count < minimum_cases:
        raise SystemExit(f"{name} holds {count:,} cases; run bench/generate_cases.py first.")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return {"name": name, "cases": count, "postgresql": version}


def summarize(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
        "min_ms": round(ordered[0], 2),
        "max_ms": round(ordered[-1], 2),
    }


@dataclass
class Scenario:
    """Requests measured together: one of ``paths`` per round, in turn, as ``viewer`` (a key of the sessions);
    a target in milliseconds, if the issue sets one."""

    key: str
    title: str
    viewer: str
    paths: list[str]
    target_median_ms: float | None = None
    target_p95_ms: float | None = None
    headers: dict[str, str] = field(default_factory=dict)


def sequential(
    port: int, plan: list[Scenario], sessions: dict[str, str], requests: int
) -> dict[str, dict[str, float]]:
    """One request at a time, the scenarios interleaved (one request of each in turn), so that a burst of other
    work on the machine slows every scenario and the floor alike instead of the one that happens to run."""
    samples: dict[str, list[float]] = {s.key: [] for s in plan}
    for i in range(20 + requests):
        for scenario in plan:
            path = scenario.paths[i % len(scenario.paths)]
            start = time.perf_counter()
            status, _body = fetch(port, path, sessions[scenario.viewer], scenario.headers)
            elapsed = (time.perf_counter() - start) * 1000
            if status != 200:
                raise SystemExit(f"{scenario.key}: {path} answered {status}")
            if i >= 20:  # the first 20 rounds warm up
                samples[scenario.key].append(elapsed)
    return {key: summarize(values) for key, values in samples.items()}


WRK_SCRIPT = """
local paths = {%(paths)s}
local counter = 0
wrk.headers["Cookie"] = "sessionid=%(session)s"
%(headers)s
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK-JSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"socket_errors\\": %%d, \\"non_2xx\\": %%d, " ..
    "\\"median_ms\\": %%.2f, \\"p95_ms\\": %%.2f, \\"p99_ms\\": %%.2f, \\"mean_ms\\": %%.2f, \\"max_ms\\": %%.2f}\\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, latency.max / 1000))
end
"""


def concurrent(
    port: int, scenario: Scenario, session: str, connections: int, duration: int
) -> dict[str, float]:
    script = WRK_SCRIPT % {
        "paths": ", ".join(json.dumps(p) for p in scenario.paths),
        "session": session,
        "headers": "\n".join(
            f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in scenario.headers.items()
        ),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", handle.name]
        command.append(f"http://127.0.0.1:{port}")
        # wrk from Debian's package, on the PATH; fixed arguments.
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    finally:
        os.unlink(handle.name)
    line = next(line for line in output.splitlines() if line.startswith("WRK-JSON "))
    result = json.loads(line.removeprefix("WRK-JSON "))
    result["requests_per_s"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
    if result["socket_errors"] or result["non_2xx"]:
        raise SystemExit(f"{scenario.key}: wrk saw errors: {result}")
    return result
