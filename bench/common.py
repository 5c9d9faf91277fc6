"""What the benchmarks share: gunicorn on a free port, the HTTP client side, logged-in sessions and percentiles.

The calling script sets the environment and runs ``django.setup()`` before it calls ``login_session``; gunicorn
inherits that environment, so the sessions written here are valid there.
"""

from __future__ import annotations

import http.client
import socket
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


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


def start_gunicorn(port: int) -> subprocess.Popen[bytes]:
    """gunicorn with 2 sync workers (DEBUG off, as the calling script configured), answering /healthz."""
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
        cwd=ROOT,
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
