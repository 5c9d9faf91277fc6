"""Tasks that belong to the portal as a whole."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone


@shared_task(name="portal.tasks.heartbeat")
def heartbeat() -> str:
    """Record that beat and a worker are alive; ops can read ``portal:heartbeat`` from the cache."""
    stamp = timezone.now().isoformat()
    cache.set("heartbeat", stamp, timeout=None)
    return stamp
