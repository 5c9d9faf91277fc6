"""Small helpers shared by tests."""

import re

_VOLATILE = re.compile(
    r'name="csrfmiddlewaretoken" value="[^"]*"|"X-CSRFToken": "[^"]*"|nonce="[^"]*"|name="username"[^>]*value="[^"]*"'
)


def scrub_volatile(html: str) -> str:
    """Remove what differs between two renderings of the same page: CSRF tokens, CSP nonces, typed e-mail."""
    return _VOLATILE.sub("", html)
