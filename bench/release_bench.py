"""Benchmark of a release fan-out at the 200,000-case size: the cases of many districts linked to one development
issue move to Available in Release while a district contact keeps opening one of those cases.

Run from the repository root after bench/generate_cases.py filled the benchmark database:

    export DATABASE_URL=postgres://…/portal_bench REDIS_URL=redis://…
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/release_bench.py [--cases 1000] [--districts 300] [--idle 10]

What it does:

1. Set-up, again on every run (by SQL: the set-up is not what is measured): the development issue BENCH-RELEASE,
   not fixed in any release, linked to ``--cases`` open cases of ``--districts`` districts (the newest cases of
   each district, the largest district first, as evenly as the count allows), all in Assigned to Development,
   each with its contact as a recipient (as a submission makes them), so that each move sends its e-mail.
2. gunicorn (2 sync workers, DEBUG off, ``bench.settings``) serves the case page of one linked case of the
   largest district to its support contact (``metro.support@``), one request at a time: for ``--idle`` seconds
   first, then all the time the fan-out runs.
3. The fan-out is ``cases.services.devissues.dev_issue_release``, called in this process as the admin's release
   page calls it: one transaction per case, locks in case order, one public note and one e-mail (an outbox row,
   sent by the worker later) per case.

Prints and writes bench/results/release.json and .md: the fan-out's duration and what it did, and the contact's
page idle and during the fan-out. Exits 1 if the fan-out takes 30 s or more or does not move every case.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
import tempfile
import threading
import time
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
        "BENCH_STATIC_ROOT": str(Path(tempfile.gettempdir()) / "portal-bench-static-release"),
    }
)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.common import check_database, fetch, free_port, login_session, start_gunicorn, summarize  # noqa: E402
from bench.generate_cases import ADVISOR  # noqa: E402
from cases.models import Case, DevIssue  # noqa: E402
from cases.services.devissues import dev_issue_release  # noqa: E402
from cases.workflow import OPEN_STATUSES, Status  # noqa: E402
from contacts.models import User  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CONTACT = "metro.support@bench.example.org"
ISSUE = "BENCH-RELEASE"
BUDGET_S = 30.0


def prepare(cases: int, districts: int) -> tuple[DevIssue, Case, dict[str, int]]:
    """The issue, linked to ``cases`` cases of ``districts`` districts in Assigned to Development, and the linked
    case of the contact's district whose page is measured."""
    issue, _ = DevIssue.objects.get_or_create(
        number=ISSUE, defaults={"title": "Benchmark: a fix for many districts"}
    )
    DevIssue.objects.filter(pk=issue.pk).update(fixed_in=None)
    contact = User.objects.get(email=CONTACT)
    home = contact.memberships.get().district_id
    open_statuses = sorted(set(OPEN_STATUSES) - {Status.NEW, Status.REOPENED})
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET dev_issue_id = NULL WHERE dev_issue_id = %s", [issue.pk])
        # The largest districts first (the contact's among them), each giving its newest open cases.
        cursor.execute(
            "SELECT district_id FROM cases_case GROUP BY district_id "
            "ORDER BY (district_id = %s) DESC, count(*) DESC, district_id LIMIT %s",
            [home, districts],
        )
        chosen = [row[0] for row in cursor.fetchall()]
        per_district, extra = divmod(cases, len(chosen))
        ids: list[int] = []
        for index, district in enumerate(chosen):
            cursor.execute(
                "SELECT id FROM cases_case WHERE district_id = %s AND status = ANY(%s) "
                "ORDER BY updated_at DESC, id DESC LIMIT %s",
                [district, open_statuses, per_district + (1 if index < extra else 0)],
            )
            ids += [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "UPDATE cases_case SET dev_issue_id = %s, status = %s, release_id = NULL WHERE id = ANY(%s)",
            [issue.pk, Status.ASSIGNED_TO_DEVELOPMENT.value, ids],
        )
        # Each case's contact is its recipient, as a submission makes them: every moved case sends its e-mail.
        cursor.execute(
            "INSERT INTO cases_recipient (case_id, user_id, created_at) "
            "SELECT c.id, c.contact_id, now() FROM cases_case c WHERE c.id = ANY(%s) AND c.contact_id IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM cases_recipient r WHERE r.case_id = c.id AND r.user_id = c.contact_id)",
            [ids],
        )
        cursor.execute("ANALYZE cases_case")
    page_case = Case.objects.filter(dev_issue=issue, district_id=home).order_by("-updated_at").first()
    if page_case is None:
        raise SystemExit("no linked case in the contact's district")
    shape = {
        "linked_cases": len(ids),
        "recipients": Case.objects.filter(dev_issue=issue, recipients__isnull=False).count(),
        "districts": Case.objects.filter(dev_issue=issue).values("district_id").distinct().count(),
    }
    return issue, page_case, shape


def sample(port: int, path: str, session: str, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        status, _body = fetch(port, path, session)
        out.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise SystemExit(f"{path} answered {status}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--districts", type=int, default=300)
    parser.add_argument(
        "--idle", type=float, default=10.0, help="seconds of the contact's page before the fan-out"
    )
    args = parser.parse_args()

    load_before = os.getloadavg()
    database = check_database()
    call_command("collectstatic", interactive=False, verbosity=0)
    issue, page_case, shape = prepare(args.cases, args.districts)
    print(
        f"release bench on {database['name']}: {shape['linked_cases']:,} cases of {shape['districts']} districts"
    )
    session = login_session(CONTACT)
    advisor = User.objects.get(email=ADVISOR)
    path = f"/cases/{page_case.number}/"
    port = free_port()
    server = start_gunicorn(port)
    idle: list[float] = []
    during: list[float] = []
    try:
        for _ in range(10):  # warm-up
            fetch(port, path, session)
        stop = threading.Event()
        sampler = threading.Thread(target=sample, args=(port, path, session, stop, idle))
        sampler.start()
        time.sleep(args.idle)  # the idle sample: the page alone, for a fixed time
        stop.set()
        sampler.join()
        stop = threading.Event()
        sampler = threading.Thread(target=sample, args=(port, path, session, stop, during))
        sampler.start()
        start = time.perf_counter()
        report = dev_issue_release(actor=advisor, issue=issue, release_name=f"bench-{int(time.time())}")
        seconds = time.perf_counter() - start
        stop.set()
        sampler.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    done = {
        "moved": len(report.moved),
        "already": len(report.already),
        "closed": len(report.closed),
        "refused": len(report.refused),
    }
    met = seconds < BUDGET_S and done["moved"] == shape["linked_cases"]
    payload = {
        "benchmark": "release",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python bench/release_bench.py " + " ".join(sys.argv[1:]),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "database": {**database, **shape},
        "fan_out": {"seconds": round(seconds, 2), "per_case_ms": round(seconds * 1000 / max(1, sum(done.values())), 1), **done},
        "contact_case_page": {"path": path, "idle": summarize(idle), "during_fan_out": summarize(during)},
        "budget_s": BUDGET_S,
        "met": met,
        "load_average_1_5_15": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        },
    }  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "release.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "release.md").write_text(markdown(payload), encoding="utf-8")
    print(markdown(payload))
    return 0 if met else 1


def markdown(payload: dict[str, Any]) -> str:
    fan = payload["fan_out"]
    page = payload["contact_case_page"]
    db = payload["database"]
    return "\n".join(
        [
            "# Release fan-out benchmark",
            "",
            f"Measured {payload['measured_at']} with `{payload['command'].strip()}` on {payload['cpus']} CPUs, "
            f"PostgreSQL {db['postgresql']}, {db['cases']:,} cases; load average (1 min) "
            f"{payload['load_average_1_5_15']['before'][0]} before, {payload['load_average_1_5_15']['after'][0]} after.",
            "",
            f"The fan-out moved {fan['moved']:,} of {db['linked_cases']:,} linked cases in {db['districts']} districts "
            f"in **{fan['seconds']} s** ({fan['per_case_ms']} ms a case; already done {fan['already']}, closed "
            f"{fan['closed']}, refused {fan['refused']}); budget under {payload['budget_s']:.0f} s: "
            f"{'met' if payload['met'] else '**missed**'}.",
            "",
            f"A contact's case page (`{page['path']}`, one of the linked cases), one request at a time:",
            "",
            "| | requests | median ms | p95 ms | max ms |",
            "|---|---:|---:|---:|---:|",
            f"| idle | {page['idle']['n']} | {page['idle']['median_ms']} | {page['idle']['p95_ms']} | {page['idle']['max_ms']} |",
            f"| during the fan-out | {page['during_fan_out']['n']} | {page['during_fan_out']['median_ms']} | "
            f"{page['during_fan_out']['p95_ms']} | {page['during_fan_out']['max_ms']} |",
            "",
        ]
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
