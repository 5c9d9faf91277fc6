"""Rich-text sanitizing with nh3 (DESIGN §2 rule 7, RELIABILITY §1 rule 3).

Posts are sanitized once, on write, with an explicit allow-list, and auto-escaping stays on everywhere else.
Images are kept only when they point at our own attachment downloads: nh3 keeps external ``<img src>`` by
default, which would allow tracking pixels and server-side request forgery.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable

import nh3

ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "a", "blockquote", "code", "pre", "h3", "h4", "img",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Downloads of case attachments are served by an authorized view under this path.
ATTACHMENT_URL_PREFIX = "/attachments/"


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not value.startswith(ATTACHMENT_URL_PREFIX):
        return None
    return value


def sanitize_html(html: str) -> str:
    """The HTML a person typed, reduced to the formatting the editor offers; everything else is dropped."""
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_attribute_filter,
        strip_comments=True,
    )
    return cleaned.strip()


_BREAKS = re.compile(r"<br\s*/?>|</(p|li|h3|h4|blockquote|pre)>", re.IGNORECASE)


def html_to_text(html: str) -> str:
    """Plain text of sanitized HTML, for e-mail text parts and search: line breaks kept, entities decoded."""
    with_breaks = _BREAKS.sub("\n", html)
    text = html_lib.unescape(nh3.clean(with_breaks, tags=set()))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_IMG = re.compile(r"<img\b[^>]*>")
_SRC = re.compile(r'\ssrc="([^"]*)"')


def _src(tag: str) -> str:
    found = _SRC.search(tag)
    return found.group(1) if found else ""


def image_sources(html: str) -> list[str]:
    """The ``src`` of every image of sanitized HTML, in order."""
    return [_src(tag) for tag in _IMG.findall(html)]


def replace_images(html: str, new_src: Callable[[str], str | None]) -> str:
    """Sanitized HTML with each image's ``src`` replaced by ``new_src(src)``, or the image dropped when that is
    None. Only for sanitized HTML: nh3 writes every tag the same way, with the attribute in double quotes."""

    def replace(match: re.Match[str]) -> str:
        tag = match.group(0)
        src = _src(tag)
        replacement = new_src(src)
        return "" if replacement is None else tag.replace(f'src="{src}"', f'src="{replacement}"', 1)

    return _IMG.sub(replace, html)
