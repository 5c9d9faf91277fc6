"""The scheduled jobs of accounts (SPEC §8), found by ``jobs.registry``'s autodiscovery."""

from __future__ import annotations

from datetime import datetime

from django.utils.timezone import localtime

from contacts.models import User
from contacts.services import account_flag_inactive, inactive_contacts_due
from jobs.registry import Job, register


def _describe(user: User, now: datetime) -> str:
    since = localtime(user.inactive_from) if user.inactive_from else None
    return f"would flag {user.email} as inactive (inactive since {since:%Y-%m-%d %H:%M %Z}) and e-mail them"


register(
    Job(
        name="inactivity",
        title="Inactivity",
        summary="Flags contacts with no login and no case activity for 180 days and tells them by e-mail, once.",
        due=inactive_contacts_due,
        due_field="inactive_from",
        handle=lambda pk, now: account_flag_inactive(user_id=pk, now=now),
        describe=_describe,
    )
)
