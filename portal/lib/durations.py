"""Durations in words, as a person says them."""

from datetime import timedelta


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def in_words(value: timedelta) -> str:
    """``15 minutes``, ``1 hour``, ``2 hours and 30 minutes``, ``45 seconds``, ``1 day``: the two largest
    units that are not zero, rounded up to the whole second, never "0"."""
    seconds = max(1, int(-(-value.total_seconds() // 1)))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [
        _count(n, unit)
        for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute"), (seconds, "second"))
        if n
    ][:2]
    return " and ".join(parts)
