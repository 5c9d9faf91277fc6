"""Password reset without telling anyone which addresses have an account.

The request does the same work for every address: it hands the address to a task and shows "Check your
e-mail". The task, in a worker, looks the address up and queues the link through the outbox for each active
account with a usable password (Django's rule, ``PasswordResetForm.get_users``). Had the request looked the address
up and queued the e-mail itself, a known address would answer measurably slower than an unknown one
(bench/password_reset_timing.py).
"""

from __future__ import annotations

import logging
import uuid
from functools import partial

from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from outbox.services import enqueue_email

logger = logging.getLogger(__name__)


def request_password_reset(*, email: str) -> None:
    """What the reset page does for any address: queue ``send_password_reset`` once the request commits.

    A broker outage must not answer differently (or fail): it is logged, and the person, who sees the same page
    as always, can ask again.
    """
    transaction.on_commit(partial(_schedule, email, uuid.uuid4().hex), robust=True)


def _schedule(email: str, request_id: str) -> None:
    from contacts.tasks import send_password_reset  # the tasks module imports this one

    try:
        send_password_reset.delay(email, request_id)
    except Exception:
        logger.warning("Could not queue password reset %s (broker unavailable?).", request_id, exc_info=True)


def send_password_reset(*, email: str, request_id: str) -> int:
    """Queue a reset link to every active account with this address and a usable password; return how many.

    The outbox key names the request, so a redelivered task queues nothing twice, while asking again sends a
    new link (each works until one is used). The key holds no secret: advisors see keys in the admin.
    """
    queued = 0
    with transaction.atomic():
        for user in PasswordResetForm().get_users(email):
            row = enqueue_email(
                recipient=user,
                template="password_reset",
                context={
                    "uid": urlsafe_base64_encode(force_bytes(user.pk)),
                    "token": default_token_generator.make_token(user),
                },
                key=f"password-reset-{request_id}-user-{user.pk}",
            )
            queued += row is not None
    return queued
