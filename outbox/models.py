"""The transactional e-mail outbox (DESIGN §2 rule 5, RELIABILITY rule 6).

A change writes its ``OutboundEmail`` rows in the same transaction (``outbox.services.enqueue_email``);
a Celery task delivers each row on commit, and the "email outbox" job (SPEC §8) resends what is still pending
with backoff. A broker or SMTP outage delays mail and loses none.
"""

from __future__ import annotations

import uuid
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboundEmail(models.Model):
    """One e-mail to one person (or one plain address), rendered when it was queued and delivered at least once
    by the outbox."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        DEAD = "dead", "Failed permanently"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.CharField(
        max_length=200,
        help_text='Deduplication key chosen by the caller, e.g. "case-123-submitted-user-45".',
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbound_emails",
    )
    to_address = models.EmailField("to", max_length=254)
    for_account = models.BooleanField(
        default=True,
        db_default=True,
        help_text="Sent to a person's account, and not sent if it is deactivated or deleted before delivery. "
        "Off for a plain address that no account stands behind (a team's queue, the on-call address).",
    )
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(
        default=dict,
        db_default={},
        blank=True,
        help_text='Extra message headers the sender asked for, e.g. a survey\'s "List-Unsubscribe".',
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Delivery attempts so far.")
    next_attempt_at = models.DateTimeField(
        default=timezone.now, help_text="When the outbox sweep tries a pending e-mail next."
    )
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table kept its name when the model moved here from the notifications app: the move changed no
        # table, so existing rows stayed where they were (outbox migration 0001).
        db_table = "notifications_outboundemail"
        verbose_name = "outbound e-mail"
        verbose_name_plural = "outbound e-mails"
        ordering = ["-created_at"]
        indexes = [
            # The "email-outbox" job (outbox/jobs.py → services.due, send_due) claims pending rows
            # that are due, oldest first: WHERE status = 'pending' AND next_attempt_at <= now ORDER BY
            # next_attempt_at. Sent and dead rows, the vast majority, stay out of the index.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="outbox_pending_due_idx",
            ),
            # The admin's outbound e-mail list, newest first.
            models.Index(fields=["-created_at"], name="outbox_created_idx"),
        ]
        constraints = [
            # One e-mail per deduplication key; enqueue_email inserts with ON CONFLICT DO NOTHING. (A named
            # constraint rather than unique=True: no extra LIKE index, the key is only ever matched exactly.)
            models.UniqueConstraint(fields=["key"], name="outbox_key_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent", "dead"]),
                name="outbox_status_valid",
            ),
            # Mail to a plain address has no account behind it.
            models.CheckConstraint(
                condition=Q(for_account=True) | Q(recipient__isnull=True),
                name="outbox_plain_address_no_account",
            ),
            # A sent e-mail records when; nothing else claims to have been sent.
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False)
                | (~Q(status="sent") & Q(sent_at__isnull=True)),
                name="outbox_sent_at_iff_sent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_address}"

    @property
    def message_id(self) -> str:
        """The ``Message-ID`` header: derived from the id, so a resend after a crash between the SMTP server's
        accept and "mark sent" carries the same id and mail clients show one message."""
        return f"<outbox.{self.id}@{message_id_domain()}>"


def message_id_domain() -> str:
    """The domain of ``DEFAULT_FROM_EMAIL``, else the host of ``SITE_URL``."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    domain = address.rpartition("@")[2] if "@" in address else ""
    return domain or urlsplit(settings.SITE_URL).hostname or "localhost"
