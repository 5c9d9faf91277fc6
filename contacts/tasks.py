"""Celery tasks of accounts: thin interfaces over ``contacts`` functions."""

from celery import shared_task

from contacts import passwords


@shared_task(name="contacts.tasks.send_password_reset", acks_late=True)
def send_password_reset(email: str, request_id: str) -> int:
    """Look the address up and queue its reset link (``contacts.passwords``); idempotent per request."""
    return passwords.send_password_reset(email=email, request_id=request_id)
