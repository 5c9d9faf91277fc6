"""Mail backends for tests: a mail server that refuses every message."""

import smtplib
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    """Like an SMTP server that is down: every send raises ``smtplib.SMTPException``."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPException("421 4.3.2 Service not available, try again later")
