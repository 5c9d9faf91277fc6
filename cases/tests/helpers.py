"""Helpers for case tests: what a browser would submit from a rendered form, and row counts."""

from __future__ import annotations

from html.parser import HTMLParser

from cases.models import Case, CaseEvent, Post, Recipient
from outbox.models import OutboundEmail


class _FormState(HTMLParser):
    """Collects, per field name, the values a browser would send if the form were submitted as shown."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.values.setdefault(name, []).append(a.get("value") or "on")
            elif kind not in ("submit", "button"):
                self.values.setdefault(name, []).append(a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value") or "", "selected" in a))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            # Django's textarea template starts the content with a newline, which browsers drop.
            self.values.setdefault(self._textarea, []).append(text.removeprefix("\n"))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected]
            if not chosen and self._options:
                chosen = [self._options[0][0]]
            self.values.setdefault(self._select, []).extend(chosen)
            self._select = None


def form_values(html: str) -> dict[str, list[str]]:
    """Field name → values, as the browser would submit the case form on the page (CSRF token left out;
    the header's district switcher and log-out forms are not part of it)."""
    start = html.index('class="card case-form"')
    parser = _FormState()
    parser.feed(html[start : html.index("</form>", start)])
    return parser.values


def row_counts() -> dict[str, int]:
    """What a submission or a transition writes: cases, events, posts, recipients, queued e-mail."""
    return {
        "cases": Case.objects.count(),
        "events": CaseEvent.objects.count(),
        "posts": Post.objects.count(),
        "recipients": Recipient.objects.count(),
        "outbox": OutboundEmail.objects.count(),
    }
