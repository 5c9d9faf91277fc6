"""Password reset timing: does the answer for an address with an account differ from one without?

Run from the repository root against a database whose name contains "bench" (any size; the script adds one
contact of its own):

    export DATABASE_URL=postgres://…/portal_bench REDIS_URL=redis://…
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/password_reset_timing.py [--rounds 400] [--source PATH]

It starts gunicorn (2 sync workers, DEBUG off, ``bench.settings``) on the code of this checkout, or of
``--source`` (another checkout, for the same measurement of older code), and times the POST of the reset form
for a known active address and for an unknown one, interleaved in random order within each round (after 20
warm-up rounds), each POST with a fresh CSRF cookie and token fetched by an untimed GET. The hello-world floor
is timed in the same rounds. No worker runs: the tasks the requests queue are purged at the end.

Prints a table and writes bench/results/password_reset_timing.json and .md (the ``--source`` run under the name
``password_reset_timing_<label>``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

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
        "BENCH_STATIC_ROOT": str(Path(tempfile.gettempdir()) / "portal-bench-static"),
    }
)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from bench.common import check_database, fetch, free_port, login_session, start_gunicorn, summarize  # noqa: E402
from contacts.models import User  # noqa: E402

KNOWN = "reset.timing@bench.example.org"
UNKNOWN = "nobody.timing@bench.example.org"
PATH = "/accounts/password/reset/"


def ensure_contact() -> None:
    user = User.objects.filter(email=KNOWN).first()
    if user is None:
        user = User.objects.create_user(KNOWN, "bench-Reset-2026!", first_name="Reset", last_name="Timing")
    User.objects.filter(email=UNKNOWN).delete()


def csrf(port: int) -> tuple[str, str]:
    """A fresh CSRF cookie and the form's token, as a browser gets them by opening the page."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", PATH)
        response = conn.getresponse()
        body = response.read().decode()
        cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if response.status != 200 or not cookie or not token:
            raise SystemExit(f"GET {PATH} answered {response.status} without a CSRF token")
        return cookie.group(1), token.group(1)
    finally:
        conn.close()


def post_reset(port: int, email: str) -> float:
    """Milliseconds for one reset POST (the CSRF GET before it is not timed)."""
    cookie, token = csrf(port)
    body = urlencode({"csrfmiddlewaretoken": token, "email": email})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        started = time.perf_counter()
        conn.request(
            "POST",
            PATH,
            body=body,
            headers={
                "Cookie": f"csrftoken={cookie}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{port}{PATH}",
            },
        )
        response = conn.getresponse()
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        conn.close()
    if response.status != 302:
        raise SystemExit(f"POST {PATH} for {email} answered {response.status}")
    return elapsed


def floor(port: int, session: str) -> float:
    started = time.perf_counter()
    status, _ = fetch(port, "/bench/hello/", session)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise SystemExit(f"floor answered {status}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout whose code gunicorn serves")
    parser.add_argument("--label", default="", help="name of this run in the results (with --source)")
    args = parser.parse_args()

    database = check_database(minimum_cases=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    ensure_contact()
    session = login_session(KNOWN)
    port = free_port()
    server = start_gunicorn(port, source=args.source.resolve())
    samples: dict[str, list[float]] = {"floor": [], "known": [], "unknown": []}
    rng = random.Random(2026)
    try:
        for round_number in range(20 + args.rounds):
            order = ["floor", "known", "unknown"]
            rng.shuffle(order)
            for kind in order:
                if kind == "floor":
                    elapsed = floor(port, session)
                else:
                    elapsed = post_reset(port, KNOWN if kind == "known" else UNKNOWN)
                if round_number >= 20:
                    samples[kind].append(elapsed)
    finally:
        server.terminate()
        server.wait()
        from portal.celery import app

        app.control.purge()
    results: dict[str, Any] = {kind: summarize(values) for kind, values in samples.items()}
    base = results["floor"]["median_ms"]
    for kind in ("known", "unknown"):
        results[kind]["ratio_to_floor"] = round(results[kind]["median_ms"] / base, 2)
    gap = results["known"]["median_ms"] - results["unknown"]["median_ms"]
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": str(args.source.resolve()),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "database": database,
        "rounds": args.rounds,
        "results": results,
        "known_minus_unknown_median_ms": round(gap, 2),
    }
    name = "password_reset_timing" + (f"_{args.label}" if args.label else "")
    out = ROOT / "bench" / "results"
    (out / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        f"# Password reset timing ({args.label or 'this checkout'})",
        "",
        f"{args.rounds} interleaved rounds, gunicorn 2 sync workers, DEBUG off; {report['when']}",
        "",
        "| request | median ms | p95 ms | x floor |",
        "|---|---|---|---|",
        f"| hello-world floor | {results['floor']['median_ms']} | {results['floor']['p95_ms']} | 1.00 |",
    ]
    for kind, title in (("known", "reset, address with an account"), ("unknown", "reset, unknown address")):
        r = results[kind]
        lines.append(f"| {title} | {r['median_ms']} | {r['p95_ms']} | {r['ratio_to_floor']} |")
    lines += ["", f"Known minus unknown (medians): {gap:+.2f} ms", ""]
    (out / f"{name}.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
