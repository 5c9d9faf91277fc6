"""Template filters for what a case shows differently to advisors and to the district's contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from cases.models import Case, CaseEvent
from cases.selectors.events import event_sentence
from contacts.access import is_advisor

register = template.Library()


@register.filter
def contact_label(case: Case, viewer: Any) -> str:
    """``{{ case|contact_label:user }}``: who the case is for, in the viewer's words (``Case.contact_label``)."""
    return case.contact_label(advisor=is_advisor(viewer))


@register.filter
def sentence(event: CaseEvent) -> str:
    """``{{ event|sentence }}``: the event as one sentence (``cases.selectors.events.event_sentence``); the
    event's labels must have been filled in by ``label_events``."""
    return event_sentence(event)


# The work page lists every post and change with its moment: strftime writes a page of them in a fraction of
# the time of Django's per-letter date formatter, in the same English words.


@register.filter
def when(moment: datetime) -> str:
    """``{{ at|when }}``: "Tue 1 Dec 2026, 8:00 AM" in the portal's time zone (the date filter's "D j M Y, g:i A")."""
    return timezone.localtime(moment).strftime("%a %-d %b %Y, %-I:%M %p")


@register.filter
def machine_time(moment: datetime) -> str:
    """``{{ at|machine_time }}``: the moment for a ``<time datetime>`` attribute, to the second."""
    return timezone.localtime(moment).isoformat(timespec="seconds")
