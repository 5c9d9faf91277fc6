"""Keeps ``User.last_activity_at`` current for the inactivity rule (SPEC §8)."""

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from contacts.models import User
from contacts.services import account_record_activity


class LastActivityMiddleware:
    """Records that a logged-in person used the portal.

    Writes at most once per ``LAST_ACTIVITY_RESOLUTION`` seconds per person, normally with a single conditional
    UPDATE (which also starts the inactivity clock again and clears an inactivity flag); requests in between
    cost no query because the loaded user row already carries the timestamp. A flagged person's last activity
    is always older than the resolution, so their first request clears the flag.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if isinstance(user, User) and user.is_active:
            now = timezone.now()
            threshold = now - timedelta(seconds=settings.LAST_ACTIVITY_RESOLUTION)
            if user.last_activity_at is None or user.last_activity_at < threshold:
                account_record_activity(user=user, now=now)
                user.last_activity_at = now
        return response
