"""Template filters for what a case shows differently to advisors and to the district's contacts."""

from __future__ import annotations

from typing import Any

from django import template

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
