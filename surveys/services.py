"""Every write of the surveys app (SPEC §9).

* ``case_closed``: the case-close service calls it in its transaction; the case becomes eligible (a pending
  ``Survey``).
* ``send_survey``: the "survey" job's handling of one pending survey: sent, or skipped with the reason.
* ``survey_respond`` and ``survey_opt_out``: what the person does with the e-mailed link.

The 30-day rule is about a contact, not a row, so no unique constraint can hold it: the job locks the contact's
user row (``FOR NO KEY UPDATE``) while it decides, so two workers deciding surveys of one contact take turns, and
the second sees the first one's sent survey. The e-mail's outbox key is the case's, so a survey is mailed once
even if a decision were ever repeated.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from contacts.models import Membership, User
from outbox.services import enqueue_email
from surveys.models import QUESTIONS, Survey, SurveyOptOut, SurveyResponse

if TYPE_CHECKING:
    from cases.models import Case

# SPEC §9: a contact gets at most one survey per 30 days (calendar days, clock time).
THROTTLE = timedelta(days=30)
DEFAULT_RESPONSE_DAYS = 30  # settings.SURVEY_RESPONSE_DAYS overrides


def response_window() -> timedelta:
    return timedelta(days=int(getattr(settings, "SURVEY_RESPONSE_DAYS", DEFAULT_RESPONSE_DAYS)))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_key(case_pk: int) -> str:
    return f"case-{case_pk}-survey"


# --- eligibility ------------------------------------------------------------------------------------------


def case_closed(case: Case, now: datetime) -> None:
    """The locked case was just closed: it is eligible for a survey to its contact (one per case). A case
    re-opened before its survey was decided, and closed again, is eligible again from the new close; a case
    whose survey was already sent or skipped for another reason is not asked about twice."""
    if case.contact_id is None:
        return  # a caller's case (SPEC §3.6): nobody to ask
    values = {
        "contact_id": case.contact_id,
        "team": case.team,
        "advisor_id": case.assigned_to_id,
        "closed_at": now,
    }
    waiting = Survey.objects.filter(
        Q(state=Survey.State.PENDING) | Q(state=Survey.State.SKIPPED, skip_reason=Survey.SkipReason.REOPENED),
        case=case,
    )
    if waiting.update(**values, state=Survey.State.PENDING, skip_reason="", decided_at=None):
        return
    # The case's row lock makes this the only close of the case in flight; ON CONFLICT for safety all the same.
    Survey.objects.bulk_create([Survey(case=case, **values)], ignore_conflicts=True)


# --- the job ----------------------------------------------------------------------------------------------


def due_surveys(now: datetime) -> Any:
    return Survey.objects.filter(state=Survey.State.PENDING, closed_at__lte=now).order_by("closed_at", "pk")


def skip_reason(survey: Survey, contact: User, now: datetime) -> str:
    """Why the survey must not be sent now ("" when it may be). Reads under the contact's lock."""
    from cases.workflow import Status

    if survey.case.status != Status.CLOSED:
        return Survey.SkipReason.REOPENED
    if not contact.is_active:
        return Survey.SkipReason.INACTIVE
    if SurveyOptOut.objects.filter(user=contact).exists():
        return Survey.SkipReason.OPTED_OUT
    if not Membership.objects.filter(
        user=contact, district_id=survey.case.district_id, is_active=True
    ).exists():
        return Survey.SkipReason.NOT_A_CONTACT
    if Survey.objects.filter(contact=contact, state=Survey.State.SENT, sent_at__gt=now - THROTTLE).exists():
        return Survey.SkipReason.RECENT
    return ""


def describe(survey: Survey, now: datetime) -> str:
    contact = survey.contact
    reason = skip_reason(survey, contact, now)
    if reason:
        return (
            f"would not send case #{survey.case.number}'s survey: {Survey.SkipReason(reason).label.lower()}"
        )
    return f"would send case #{survey.case.number}'s survey to {contact.email}"


def send_survey(pk: int, now: datetime) -> str | None:
    """Decide one pending survey in its own transaction: send it to the case's contact, or record why not.
    Returns what was done, or None when another worker holds the survey or already decided it."""
    with transaction.atomic(durable=True):
        survey = (
            Survey.objects.filter(pk=pk, state=Survey.State.PENDING, closed_at__lte=now)
            .select_for_update(skip_locked=True, no_key=True)
            .first()
        )
        if survey is None:
            return None
        # The contact's row is the turn-taking point of every decision about this contact's surveys: a second
        # worker with another of the contact's cases waits here, then sees this one's sent survey.
        contact = User.objects.select_for_update(no_key=True).get(pk=survey.contact_id)
        survey.contact = contact
        reason = skip_reason(survey, contact, now)
        survey.decided_at = now
        if reason:
            survey.state = Survey.State.SKIPPED
            survey.skip_reason = reason
            survey.save(update_fields=["state", "skip_reason", "decided_at"])
            return f"case #{survey.case.number}: not sent ({Survey.SkipReason(reason).label.lower()})"
        token = secrets.token_urlsafe(32)
        survey.state = Survey.State.SENT
        survey.sent_at = now
        survey.token_hash = hash_token(token)
        survey.expires_at = now + response_window()
        survey.save(update_fields=["state", "decided_at", "sent_at", "token_hash", "expires_at"])
        links = survey_links(token)
        enqueue_email(
            recipient=contact,
            template="survey",
            context={"case": survey.case, "links": links, "expires_at": survey.expires_at},
            key=survey_key(survey.case_id),
            # RFC 8058: the mail program's own "Unsubscribe" button POSTs to this address, without a page.
            headers={
                "List-Unsubscribe": f"<{links['one_click']}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        return f"case #{survey.case.number}: survey sent to {contact.email}"


def survey_links(token: str) -> dict[str, str]:
    return {
        name: settings.SITE_URL + reverse(f"surveys:{name}", args=[token])
        for name in ("answer", "opt_out", "one_click")
    }


# --- the person with the link -----------------------------------------------------------------------------


class LinkProblem(Exception):
    """The link cannot be used for this: unknown (or altered), expired, or the survey already answered."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    ANSWERED = "answered"

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def find_survey(token: str, *, lock: bool = False) -> Survey:
    """The sent survey the link's token belongs to. Looked up by the token's SHA-256, so the stored value says
    nothing usable and no comparison leaks how much of a guess was right. Raises ``LinkProblem(UNKNOWN)``."""
    queryset = Survey.objects.filter(state=Survey.State.SENT, token_hash=hash_token(token))
    if lock:
        queryset = queryset.select_for_update(no_key=True)
    survey = queryset.select_related("case", "contact").first()
    if survey is None:
        raise LinkProblem(LinkProblem.UNKNOWN)
    return survey


def check_answerable(survey: Survey, now: datetime) -> None:
    if SurveyResponse.objects.filter(survey=survey).exists():
        raise LinkProblem(LinkProblem.ANSWERED)
    if survey.expires_at is not None and now >= survey.expires_at:
        raise LinkProblem(LinkProblem.EXPIRED)


@dataclass
class Ratings:
    courtesy: int
    knowledge: int
    timeliness: int
    quality: int
    overall: int
    comment: str = ""


def survey_respond(*, token: str, ratings: Ratings, now: datetime | None = None) -> SurveyResponse:
    """Store the one response to a survey. Raises ``LinkProblem`` (nothing stored) for an unknown, expired or
    answered survey; the survey's row lock makes a second, simultaneous answer wait and then be refused."""
    now = now or timezone.now()
    with transaction.atomic():
        survey = find_survey(token, lock=True)
        check_answerable(survey, now)
        values = {name: getattr(ratings, name) for name, _ in QUESTIONS}
        for name, value in values.items():
            if value not in range(1, 6):
                raise ValueError(f"{name} must be 1 to 5.")
        return SurveyResponse.objects.create(
            survey=survey, **values, comment=ratings.comment.strip(), submitted_at=now
        )


def survey_opt_out(*, token: str, via: str, now: datetime | None = None) -> User:
    """The survey's contact gets no more surveys. Works with any link the portal sent, answered or expired: an
    opt-out is always honoured. A second opt-out changes nothing. Raises ``LinkProblem(UNKNOWN)``."""
    now = now or timezone.now()
    with transaction.atomic():
        survey = find_survey(token)
        # The same turn-taking point as the job: a survey being decided right now sees the opt-out, or was
        # decided before it.
        contact = User.objects.select_for_update(no_key=True).get(pk=survey.contact_id)
        SurveyOptOut.objects.get_or_create(
            user=contact, defaults={"created_at": now, "via": via, "survey": survey}
        )
        return contact


def opted_out(user: User) -> bool:
    return SurveyOptOut.objects.filter(user=user).exists()
