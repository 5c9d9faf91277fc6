"""Set-up helpers for the survey tests: cases closed through the services, the survey link of a sent survey."""

from __future__ import annotations

import re
from datetime import datetime

from cases.models import Case
from cases.services import case_close
from cases.tests.factories import submit_case
from cases.workflow import Status
from contacts.models import User
from outbox.models import OutboundEmail
from surveys.models import Survey


def closed_case(
    personas, *, contact: User | None = None, at: datetime | None = None, by: User | None = None
) -> Case:
    """A case of district A submitted by ``contact`` (the support contact) and closed by ``by`` (the advisor)
    through the close service, at ``at``."""
    contact = contact or personas.support
    case = submit_case(district=personas.district_a, contact=contact, now=at)
    case = case_close(actor=by or personas.advisor, case=case, now=at)
    assert case.status == Status.CLOSED
    return case


def survey_mails(contact: User) -> list[OutboundEmail]:
    return list(
        OutboundEmail.objects.filter(recipient=contact, key__endswith="-survey").order_by("created_at")
    )


LINK = re.compile(r"/survey/([A-Za-z0-9_-]{20,})/")


def token_of(email: OutboundEmail) -> str:
    found = LINK.search(email.body_text)
    assert found, email.body_text
    return found.group(1)


def sent(case: Case) -> Survey:
    return Survey.objects.get(case=case, state=Survey.State.SENT)
