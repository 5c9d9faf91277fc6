"""Small helpers shared by tests."""

import re
import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

_VOLATILE = re.compile(
    r'name="csrfmiddlewaretoken" value="[^"]*"|"X-CSRFToken": "[^"]*"|nonce="[^"]*"|name="username"[^>]*value="[^"]*"'
)


def scrub_volatile(html: str) -> str:
    """Remove what differs between two renderings of the same page: CSRF tokens, CSP nonces, typed e-mail."""
    return _VOLATILE.sub("", html)


def run_together(*calls: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Run the calls in threads released at the same moment; each returns ("ok", value) or ("error", exc). Each
    thread closes its own database connection."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, Any]] = [("missing", None)] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", call())
        except Exception as exc:
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results
