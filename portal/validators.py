"""Validators shared by forms, models and services."""

from __future__ import annotations

from django.core.exceptions import ValidationError

# Every character Python's str.splitlines() breaks on: a "one line" field holds none of them.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")

SINGLE_LINE_MESSAGE = "Keep this on one line: remove the line breaks."


def is_single_line(value: object) -> bool:
    """Whether a one-line value (a subject, a name, a phone number) holds no line break: a pasted one would be
    stored as typed and break every list, e-mail subject and CSV row that shows the value."""
    return not isinstance(value, str) or LINE_BREAKS.isdisjoint(value)


def single_line(value: str) -> None:
    """The validator of ``is_single_line`` for form and model fields."""
    if not is_single_line(value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="line_break")


def one_line_text_error(value: str, *, name: str, max_length: int, missing: str) -> str | None:
    """What is wrong with a required one-line text (already trimmed), as its field's message; None if nothing.
    For services, which check what every caller sends (pages, the admin, jobs), not only a form's."""
    if not value:
        return missing
    if len(value) > max_length:
        return f"Keep the {name} under {max_length} characters."
    if not is_single_line(value):
        return SINGLE_LINE_MESSAGE
    return None


def ascii_digits(value: str) -> bool:
    """Whether the text is a number written with 0-9 only (Python's int() also reads full-width and other
    scripts' digits, which no case number is written with)."""
    return value.isascii() and value.isdigit()
