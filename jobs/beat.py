"""Which beats are running: each beat registers itself in Redis and warns when it finds another one.

Exactly one beat must run (RELIABILITY §3 "One beat"): a second one queues every job twice. The jobs make that
harmless (every row is claimed), but it is a mistake in the deployment that ops must see. Each beat keeps an
entry in a Redis sorted set, scored with the Redis server's clock (one clock for every host), refreshed at
every tick and at most ``PRESENCE_REFRESH`` seconds apart; an entry not refreshed for ``PRESENCE_TTL`` seconds
is a beat that stopped. A beat logs a warning when it sees another live one, at start-up and while it runs; the
ops page (``jobs/admin.py``) says how many are running.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import redis
from celery.beat import PersistentScheduler
from django.conf import settings

from portal.celery import SCALE

logger = logging.getLogger(__name__)

PRESENCE_KEY = "portal:beats"
# Seconds between two refreshes, at most: beat wakes up at least this often. Scaled with the schedule's
# intervals (``JOB_INTERVAL_SCALE``, the fault tests' fast beat), down to one second.
PRESENCE_REFRESH = 10.0 * max(SCALE, 0.1)
PRESENCE_TTL = 3 * PRESENCE_REFRESH  # an entry older than this is a beat that stopped
WARN_AGAIN_AFTER = 600.0  # while two beats run, the warning is repeated this often


@dataclass(frozen=True)
class Beat:
    member: str  # "host pid 123 <random>"
    seen: datetime  # last refresh

    @property
    def name(self) -> str:
        return self.member.rsplit(" ", 1)[0]


def client() -> redis.Redis:
    # Short timeouts: the ops page must stay fast when Redis is down.
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)


def _server_time(connection: redis.Redis) -> float:
    seconds, micro = connection.time()
    return seconds + micro / 1_000_000


def live_beats(connection: redis.Redis | None = None) -> list[Beat]:
    """The beats seen in the last ``PRESENCE_TTL`` seconds, oldest first. Raises ``redis.RedisError`` when
    Redis cannot be asked."""
    connection = connection or client()
    now = _server_time(connection)
    entries = cast(
        "list[tuple[bytes, float]]",
        connection.zrangebyscore(PRESENCE_KEY, now - PRESENCE_TTL, "+inf", withscores=True),
    )
    return [
        Beat(member=member.decode(), seen=datetime.fromtimestamp(score, UTC)) for member, score in entries
    ]


class Presence:
    """One beat's entry: ``refresh()`` at every tick; ``others`` are the other live beats."""

    def __init__(self, connection: redis.Redis | None = None) -> None:
        self.connection = connection or client()
        # The last word is unique to this process, so two beats on one host with one pid stay two.
        self.member = f"{socket.gethostname()} pid {os.getpid()} {uuid.uuid4().hex[:8]}"
        self.refreshed = 0.0
        self.warned = 0.0
        self.warned_about: frozenset[str] = frozenset()

    def refresh(self, *, force: bool = False) -> None:
        clock = time.monotonic()
        if not force and clock - self.refreshed < PRESENCE_REFRESH:
            return
        try:
            now = _server_time(self.connection)
            with self.connection.pipeline() as pipe:
                pipe.zadd(PRESENCE_KEY, {self.member: now})
                pipe.zremrangebyscore(PRESENCE_KEY, "-inf", now - PRESENCE_TTL)
                pipe.expire(PRESENCE_KEY, int(PRESENCE_TTL) + 1)
                pipe.execute()
            others = [beat for beat in live_beats(self.connection) if beat.member != self.member]
        except redis.RedisError as error:
            # Beat goes on without Redis (it queues nothing then anyway); the check resumes with Redis.
            logger.warning("Could not check for other beats (Redis: %s).", error)
            return
        self.refreshed = clock
        self.warn(others, clock)

    @property
    def name(self) -> str:
        return self.member.rsplit(" ", 1)[0]

    def warn(self, others: list[Beat], clock: float) -> None:
        names = frozenset(beat.member for beat in others)
        if not names:
            self.warned_about = names
            return
        if names != self.warned_about or clock - self.warned >= WARN_AGAIN_AFTER:
            logger.warning(
                "%d beats are running (this one: %s; also: %s). Run exactly one beat: every job is queued "
                "once per beat. Nothing is done twice, but stop the extra beat.",
                len(names) + 1,
                self.name,
                ", ".join(sorted(beat.name for beat in others)),
            )
            self.warned, self.warned_about = clock, names

    def leave(self) -> None:
        with contextlib.suppress(redis.RedisError):  # else the entry expires by itself
            self.connection.zrem(PRESENCE_KEY, self.member)


class PresenceScheduler(PersistentScheduler):
    """Celery's default scheduler (the schedule in ``portal/celery.py``, last runs in the ``--schedule`` file)
    plus the presence check. Set as ``CELERY_BEAT_SCHEDULER``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.presence = Presence()
        super().__init__(*args, **kwargs)
        # Wake up often enough to keep the entry fresh, whatever the next job's interval.
        self.max_interval: float = min(cast("float", self.max_interval), PRESENCE_REFRESH)

    def setup_schedule(self) -> None:
        super().setup_schedule()
        logger.info("Beat %s registered; looking for other beats.", self.presence.name)
        self.presence.refresh(force=True)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        self.presence.refresh()
        return min(super().tick(*args, **kwargs), PRESENCE_REFRESH)

    def close(self) -> None:
        self.presence.leave()
        super().close()
