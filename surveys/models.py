"""Satisfaction surveys (SPEC §9): one survey per closed case, sent by the "survey" job to the case's contact at
most once in 30 days, answered without logging in through an unguessable link.

* ``Survey`` is created in the transaction that closes the case (``surveys.services.case_closed``): it is the
  stored, indexed "eligible" state the job reads (pending surveys by the moment the case closed).
* The job decides each pending survey once, holding the contact's row lock: sent, or skipped with the reason.
* ``SurveyResponse`` is the one answer to a sent survey (unique per survey).
* ``SurveyOptOut`` is a contact's "no more surveys", from the survey page or the e-mail's one-click header.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cases.casetypes import Team

RATING_CHOICES = [(value, str(value)) for value in range(1, 6)]
# SPEC §9: the five questions, in the order the seed lists them; the field name and the question's label.
QUESTIONS = [
    ("courtesy", "Courtesy"),
    ("knowledge", "Knowledge"),
    ("timeliness", "Timeliness"),
    ("quality", "Quality"),
    ("overall", "Overall Service"),
]


class Survey(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Waiting for the survey job"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Not sent"

    class SkipReason(models.TextChoices):
        RECENT = "recent", "The contact was sent a survey in the last 30 days"
        OPTED_OUT = "opted_out", "The contact opted out of surveys"
        INACTIVE = "inactive", "The contact's account is deactivated"
        NOT_A_CONTACT = "not_a_contact", "No longer a contact of the district"
        REOPENED = "reopened", "The case was re-opened before the survey was sent"

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="survey")
    contact = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="surveys")
    # The team and advisor the reports group by: the case's when it was closed, kept with the survey so that a
    # later reassignment does not move an answer to another advisor.
    team = models.CharField(max_length=32, choices=Team.choices)
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(help_text="When the case was closed: the survey is due from then.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    skip_reason = models.CharField(max_length=20, choices=SkipReason.choices, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # SHA-256 of the link's random token: the token itself is only in the e-mail. NULL until sent, so that the
    # unique constraint ignores the surveys not sent.
    token_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    expires_at = models.DateTimeField(null=True, blank=True, help_text="The link takes no answer after this.")

    class Meta:
        indexes = [
            # The survey job's due rows: WHERE state = 'pending' AND closed_at <= now ORDER BY closed_at.
            models.Index(fields=["closed_at"], condition=Q(state="pending"), name="survey_pending_due"),
            # The 30-day rule: was this contact sent a survey after a moment?
            models.Index(
                fields=["contact", "sent_at"], condition=Q(state="sent"), name="survey_contact_sent"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["token_hash"], name="survey_token_once"),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "sent", "skipped"]), name="survey_state_valid"
            ),
            # A sent survey has its moment, its link and its expiry; nothing else has them.
            models.CheckConstraint(
                condition=Q(
                    state="sent", sent_at__isnull=False, token_hash__isnull=False, expires_at__isnull=False
                )
                | (~Q(state="sent") & Q(sent_at__isnull=True, token_hash__isnull=True)),
                name="survey_sent_has_link",
            ),
            models.CheckConstraint(
                condition=Q(state="skipped") & ~Q(skip_reason="") | ~Q(state="skipped") & Q(skip_reason=""),
                name="survey_skipped_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Survey for case {self.case_id} ({self.get_state_display()})"


class SurveyResponse(models.Model):
    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="response")
    courtesy = models.PositiveSmallIntegerField(choices=RATING_CHOICES)
    knowledge = models.PositiveSmallIntegerField(choices=RATING_CHOICES)
    timeliness = models.PositiveSmallIntegerField(choices=RATING_CHOICES)
    quality = models.PositiveSmallIntegerField(choices=RATING_CHOICES)
    overall = models.PositiveSmallIntegerField("overall service", choices=RATING_CHOICES)
    comment = models.TextField(blank=True, max_length=4000)
    submitted_at = models.DateTimeField()

    class Meta:
        verbose_name = "survey response"
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["submitted_at"], name="surveyresponse_submitted")]
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{name}__gte": 1, f"{name}__lte": 5}), name=f"surveyresponse_{name}_1_to_5"
            )
            for name, _ in QUESTIONS
        ]

    def __str__(self) -> str:
        return f"Response to survey {self.survey_id}: overall {self.overall}"

    @property
    def satisfied(self) -> bool:
        return self.overall >= 4


class SurveyOptOut(models.Model):
    class Via(models.TextChoices):
        PAGE = "page", "Opt-out page"
        ONE_CLICK = "one_click", "One-click unsubscribe (mail program)"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_opt_out"
    )
    created_at = models.DateTimeField()
    via = models.CharField(max_length=10, choices=Via.choices)
    survey = models.ForeignKey(Survey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "survey opt-out"

    def __str__(self) -> str:
        return f"Opt-out of {self.user_id}"
