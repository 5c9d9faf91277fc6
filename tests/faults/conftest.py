"""Real ``celery worker`` and ``celery beat`` processes against the test database (RELIABILITY §3).

``celery_processes`` starts them with the test database's address, a Redis database of their own (so tests
in other pytest workers neither see their tasks nor their beats), mail written to files (counted across
processes) and beat's intervals scaled down (``JOB_INTERVAL_SCALE``: a minute's job ticks every 0.6 s). Each
process runs in a session of its own and is killed by its id, with everything it started; every wait is on
a condition with a deadline.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
SCALE = "0.01"
MESSAGE_ID = re.compile(rb"^Message-ID: (<[^>]+>)\s*$", re.MULTILINE)


def wait_until(condition: Callable[[], object], *, timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Not within {timeout:g} s: {what}")
        time.sleep(0.05)


def database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def own_redis_url() -> str:
    """The test Redis, in a database numbered after the pytest worker (gw0 → 8 … gw7 → 15)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    number = 8 + int(worker.removeprefix("gw") or 0) % 8
    parts = urlsplit(settings.REDIS_URL)
    return urlunsplit(parts._replace(path=f"/{number}"))


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]
    ready_text: str

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, *, timeout: float) -> None:
        wait_until(
            lambda: text in self.output() or self.popen.poll() is not None,
            timeout=timeout,
            what=f"{self.name} says {text!r}",
        )
        assert text in self.output(), f"{self.name} stopped:\n{self.output()[-3000:]}"

    def kill(self) -> None:
        """SIGKILL the process and everything it started (its pool), by its process group's id."""
        with contextlib.suppress(ProcessLookupError):  # the group is gone already
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)
        self.log.close()


@dataclass
class CeleryProcesses:
    env: dict[str, str]
    tmp: Path
    mail_dir: Path
    redis_url: str
    running: list[Process] = field(default_factory=list)

    def start(self, name: str, *args: str, ready: str) -> Process:
        """Start a Celery process; ``ready()`` waits until it logged ``ready``."""
        log_path = self.tmp / f"{name}.log"
        log = log_path.open("ab")
        popen = subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-m", "celery", "-A", "portal", *args, "--loglevel", "INFO"],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process = Process(name=name, popen=popen, log_path=log_path, log=log, ready_text=ready)
        self.running.append(process)
        return process

    def ready(self, *processes: Process) -> None:
        """Wait until each process is ready: started together, they start in the time of the slowest."""
        for process in processes:
            process.wait_for(process.ready_text, timeout=45)

    def worker(self, name: str = "worker") -> Process:
        return self.start(
            name,
            "worker",
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"{name}@fault",
            ready="ready.",
        )

    def beat(self, name: str = "beat") -> Process:
        return self.start(
            name,
            "beat",
            "--schedule",
            str(self.tmp / f"{name}-schedule"),
            "--pidfile",
            str(self.tmp / f"{name}.pid"),
            ready="registered; looking for other beats",
        )

    def send(self, task: str, *args: object) -> None:
        """Queue a task for the workers, as beat or the admin's "Run now" would."""
        from celery import Celery

        client = Celery("fault-client", broker=self.redis_url, set_as_current=False)
        try:
            client.send_task(task, args=args)
        finally:
            client.close()

    def message_ids(self) -> Counter[str]:
        """How often each Message-ID was written to the mail files."""
        found: Counter[str] = Counter()
        for path in self.mail_dir.glob("*"):
            found.update(match.decode() for match in MESSAGE_ID.findall(path.read_bytes()))
        return found


@pytest.fixture
def celery_processes(transactional_db: None, tmp_path: Path) -> Iterator[CeleryProcesses]:
    redis_url = own_redis_url()
    redis.Redis.from_url(redis_url).flushdb()  # the queue and the beats of an earlier test
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "DEVELOPMENT": "1",
        "DEBUG": "0",
        "MAIL_BACKEND": "tests.faults.mailers.SlowFileBackend",
        "MAIL_FILE_PATH": str(mail_dir),
        "JOB_INTERVAL_SCALE": SCALE,
        "PYTHONUNBUFFERED": "1",
    }
    processes = CeleryProcesses(env=env, tmp=tmp_path, mail_dir=mail_dir, redis_url=redis_url)
    try:
        yield processes
    finally:
        for process in processes.running:
            process.kill()
