"""A case's notification recipients (SPEC §5)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from cases.models import (
    Case,
    CaseEvent,
    Recipient,
)
from cases.services.common import (
    lock_case,
    record_event,
    resolve_now,
)
from contacts.access import Capability, has_capability, is_advisor, require_capability
from contacts.models import User
from contacts.selectors import authorized_contacts


def _check_recipient_change(actor: User, case: Case, users: Sequence[User]) -> None:
    """Authorized contacts and advisors change anyone eligible; read-only contacts only themselves."""
    if is_advisor(actor):
        return
    if has_capability(actor, case.district, Capability.MANAGE_RECIPIENTS):
        return
    require_capability(actor, case.district, Capability.MANAGE_OWN_NOTIFICATIONS)
    if any(user.pk != actor.pk for user in users):
        raise PermissionDenied("Read-only contacts can only add or remove themselves.")


@transaction.atomic
def recipients_add(
    *, actor: User, case: Case, users: Sequence[User], now: datetime | None = None
) -> list[Recipient]:
    """Add people to the case's notification recipients; each addition is an event. Someone already on the
    list is skipped. Authorized contacts add authorized contacts of the district (themselves included);
    a read-only contact adds only themselves."""
    case = lock_case(case)
    now = resolve_now(now)  # after the lock: the order of events is the order of the locks
    _check_recipient_change(actor, case, users)
    if not users:
        raise ValidationError({"users": "Choose at least one contact to add."})
    eligible = set(authorized_contacts(case.district).values_list("pk", flat=True))
    for user in users:
        if user.pk == actor.pk and not is_advisor(actor) and user.is_active:
            continue  # a contact of the district (checked above) may always follow the case themselves
        if user.pk not in eligible:
            raise ValidationError(
                {"users": f"{user.get_full_name()} is not an authorized contact of {case.district.name}."}
            )
    present = set(Recipient.objects.filter(case=case).values_list("user_id", flat=True))
    added = [Recipient(case=case, user=u, added_by=actor) for u in users if u.pk not in present]
    Recipient.objects.bulk_create(added)
    for recipient in added:
        record_event(
            case,
            CaseEvent.Kind.RECIPIENT_ADDED,
            actor,
            now,
            new=recipient.user.pk,
        )
    return added


@transaction.atomic
def recipients_remove(*, actor: User, case: Case, users: Sequence[User], now: datetime | None = None) -> int:
    """Remove people from the case's notification recipients; each removal is an event. The case's contact
    (its owner), when it has one, is always a recipient and cannot be removed. A read-only contact removes only
    themselves."""
    case = lock_case(case)
    now = resolve_now(now)  # after the lock: the order of events is the order of the locks
    _check_recipient_change(actor, case, users)
    if not users:
        raise ValidationError({"users": "Choose at least one recipient to remove."})
    # A case phoned in without a contact (SPEC §3.6) has no owner: each of its recipients can be removed.
    owner = next((user for user in users if case.contact_id and user.pk == case.contact_id), None)
    if owner is not None:
        raise ValidationError(
            {"users": f"{owner.get_full_name()} owns the case and always receives its notifications."}
        )
    removed = 0
    for user in users:
        deleted, _ = Recipient.objects.filter(case=case, user=user).delete()
        if deleted:
            removed += 1
            record_event(case, CaseEvent.Kind.RECIPIENT_REMOVED, actor, now, old=user.pk)
    return removed
