"""Template filters for text people read."""

from datetime import timedelta

from django import template

from portal.lib.durations import in_words

register = template.Library()


@register.filter
def duration_words(value: timedelta | None) -> str:
    """``{{ cooloff|duration_words }}`` → ``15 minutes``."""
    return in_words(value) if isinstance(value, timedelta) else ""
