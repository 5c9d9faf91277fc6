"""A mail backend for the fault tests: the file backend (mail countable across processes), slow after each
message is written, like a mail server that accepted the message and is slow to let the sender go. A worker
killed then has sent a message that its row does not yet record: the duplicate RELIABILITY F7 allows."""

import os
import time
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends import filebased


class SlowFileBackend(filebased.EmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = super().send_messages(email_messages)
        time.sleep(float(os.environ.get("FAULT_MAIL_DELAY", "0")))
        return sent
