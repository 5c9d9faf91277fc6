"""Maintenance as iCalendar (RFC 5545) events, built with the ``icalendar`` library: one event per maintenance
notification, its window as start and end, its dated updates (newest first) in the description."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from notifications.selectors import Entry

CONTENT_TYPE = "text/calendar; charset=utf-8"


def _description(entry: Entry) -> str:
    lines = []
    for update in entry.updates:
        when = timezone.localtime(update.created_at)
        lines.append(f"{update.get_kind_display()}, {when:%b} {when.day}, {when:%Y %H:%M %Z}:\n{update.body}")
    return "\n\n".join(lines)


def _event(entry: Entry) -> Event:
    notification = entry.notification
    url = settings.SITE_URL + reverse("notifications:detail", kwargs={"pk": notification.pk})
    event = Event()
    event.add("uid", f"notification-{notification.pk}@{urlsplit(settings.SITE_URL).hostname or 'portal'}")
    event.add("dtstamp", notification.updated_at)
    event.add("last-modified", notification.updated_at)
    event.add("sequence", notification.revision)
    event.add("dtstart", notification.starts_at)
    event.add("dtend", notification.ends_at)
    event.add("summary", f"Maintenance: {notification.title}")
    event.add("description", f"{_description(entry)}\n\nUpdates: {url}")
    event.add("url", url)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def calendar_bytes(entries: Iterable[Entry], *, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Support Case Portal//Maintenance//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for entry in entries:
        calendar.add_component(_event(entry))
    return calendar.to_ical()
