"""The case-list cache: the rendered list region (filters, count, table, pager) of a page a viewer has seen,
kept in Redis so the next request for it costs a key lookup instead of the filter form, three queries and a
template (bench/README.md has the figures).

A stored page can never be out of date, because its key holds everything the region is made of:

- the district generations of every district the viewer may see (``District.list_generation``: PostgreSQL
  triggers move them in the same transaction as any change to those districts' cases, their contacts'
  names, the district itself or the modules; cases migration 0006). They come with the viewer's memberships,
  which the page loads anyway: a hit costs no extra query;
- the viewer's scope: advisor or not, each district with the viewer's role there (what they may do, e.g.
  whether "Submit a case" is offered), the district shown by default;
- the list's parameters, as sent;
- the code that renders it (a fingerprint of the list's template and modules, so a deploy never serves the
  previous version's markup), and the database it was read from.

The quick view "Closed in the last 60 days" depends on the clock as well as the data: it is never stored.
Redis being down or slow only costs the cache: an error is logged, the page is built as without it, and the
cache is left alone for ``PAUSE_AFTER_ERROR`` seconds (per worker process) so a stalled Redis costs one
request its socket timeout, not every request.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from cases.filters import QuickView

logger = logging.getLogger(__name__)

_ROOT = Path(__file__).resolve().parent.parent
# Everything that decides what the region shows: its template and the one it includes, the list's views,
# selectors and filters, the labels of statuses, priorities and case types, the search, the URLs it links to,
# and what a role may do (the "Submit a case" link).
_RENDERING_SOURCES = (
    "cases/templates/cases/list.html",
    "templates/includes/form_errors.html",
    "cases/views/listing.py",
    "cases/selectors/listing.py",
    "cases/filters.py",
    "cases/listcache.py",
    "cases/casetypes.py",
    "cases/models.py",
    "cases/workflow.py",
    "cases/search.py",
    "cases/urls.py",
    "cases/urls_listing.py",
    "cases/urls_detail.py",
    "portal/urls.py",
    "contacts/access.py",
    "contacts/context_processors.py",
)
# Never stored: the result depends on the time of the request too.
CLOCK_DEPENDENT_VIEWS = frozenset({QuickView.CLOSED_RECENTLY.value})


def _fingerprint(paths: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update((_ROOT / path).read_bytes())
    return digest.hexdigest()[:16]


CODE_FINGERPRINT = _fingerprint(_RENDERING_SOURCES)


@dataclass(frozen=True, slots=True)
class CachedList:
    """What a later request needs of a rendered list: the region's HTML and the few strings around it."""

    html: str
    canonical_url: str
    announcement: str
    scope_label: str


# After a Redis error the cache is left alone for this long: a stalled Redis must not cost every list request
# its socket timeout.
PAUSE_AFTER_ERROR = 30.0
_paused_until = 0.0


def enabled() -> bool:
    return settings.CASE_LIST_CACHE_SECONDS > 0 and time.monotonic() >= _paused_until


def _failed(action: str, key: str) -> None:
    global _paused_until
    _paused_until = time.monotonic() + PAUSE_AFTER_ERROR
    logger.warning(
        "Case-list cache unavailable: %s %s failed; lists are built without it for %.0f s",
        action,
        key,
        PAUSE_AFTER_ERROR,
        exc_info=True,
    )


def key_for(
    request: HttpRequest,
    *,
    parameters: Iterable[str],
    advisor: bool,
    districts: Iterable[tuple[int, str, int]],
    default_account: str,
) -> str | None:
    """The cache key of this request's list region, or None when it must not be stored.

    ``districts`` are (id, the viewer's role there or "" for an advisor, list generation) of every district the
    viewer may see.
    """
    if not enabled():
        return None
    query = request.GET
    if any(view in CLOCK_DEPENDENT_VIEWS for view in query.getlist("view")):
        return None
    digest = hashlib.sha256()
    database = settings.DATABASES["default"]
    for part in (
        CODE_FINGERPRINT,
        # Two databases sharing one Redis (a benchmark beside development) have the same district ids.
        f"{database.get('HOST')}:{database.get('PORT')}/{database['NAME']}",
        "advisor" if advisor else "contact",
        default_account,
        repr(sorted(districts)),
        repr([(name, query.getlist(name)) for name in parameters if name in query]),
    ):
        digest.update(part.encode())
        digest.update(b"\x00")
    return f"caselist:{digest.hexdigest()}"


def get(key: str) -> CachedList | None:
    try:
        value = cache.get(key)
    except Exception:  # a cache outage must never take the list down
        _failed("reading", key)
        return None
    return value if isinstance(value, CachedList) else None


def put(key: str, value: CachedList) -> None:
    if not enabled():  # reading failed a moment ago: do not wait for the timeout a second time
        return
    try:
        cache.set(key, value, timeout=settings.CASE_LIST_CACHE_SECONDS)
    except Exception:  # see get()
        _failed("writing", key)
