"""Transferring a case to an authorized contact (SPEC §3.6): an emergency case an advisor opened for an
unauthorized caller becomes a case of one of the district's authorized contacts."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from cases.models import Case, CaseEvent, Recipient
from cases.services.common import lock_case, modified, record_event, require_advisor, resolve_now
from contacts.models import District, Membership, Role, User, current_membership
from outbox.services import enqueue_email


def contact_refusal(district: District, contact: User) -> str | None:
    """Why ``contact`` cannot own a case of ``district``, in the words the advisor reads; None if they can.
    Only a person who may act for the district owns its cases: a read-only contact, a switched-off
    membership, a deactivated account or a contact of another district is refused by name."""
    name = contact.get_full_name() or contact.email
    memberships = Membership.objects.filter(user=contact, district=district)
    membership = memberships.filter(current_membership()).first()
    if membership is None:
        if memberships.exists():
            return f"{name} is no longer an active contact of {district.name}: choose an authorized contact."
        return (
            f"{name} is not a contact of {district.name}: choose one of the district's authorized contacts."
        )
    if membership.role not in Role.authorized():
        return (
            f"{name} is a read-only contact of {district.name} and cannot own a case: choose an authorized "
            "contact."
        )
    return None


def transfer_refusal(case: Case, contact: User) -> str | None:
    """Why ``contact`` cannot become the case's contact (``contact_refusal``, or they are already); None if
    they can."""
    if case.contact_id == contact.pk:
        name = contact.get_full_name() or contact.email
        return f"{name} is already the contact of case #{case.number}."
    return contact_refusal(case.district, contact)


@transaction.atomic
def case_transfer(*, actor: User, case: Case, contact: User, now: datetime | None = None) -> Case:
    """Make ``contact`` the case's contact: recorded as an event, the new contact added to the recipients and
    e-mailed (after the commit, through the outbox). The caller's name and phone stay on the case for the
    record. Refused with nothing written (``ValidationError`` on ``contact``) when the person is not an
    authorized contact of the case's district today, or is its contact already."""
    require_advisor(actor)
    case = lock_case(case)
    now = resolve_now(now)  # after the lock: the order of events is the order of the locks
    refusal = transfer_refusal(case, contact)
    if refusal is not None:
        raise ValidationError({"contact": refusal})
    previous = case.contact_id
    case.contact = contact
    case.save(update_fields=["contact", *modified(case, now)])
    event = record_event(
        case,
        CaseEvent.Kind.CONTACT_CHANGED,
        actor,
        now,
        old=previous,
        new=contact.pk,
        caller_name=case.caller_name,
    )
    # The contact of a case is always one of its recipients (SPEC §5).
    Recipient.objects.get_or_create(case=case, user=contact, defaults={"added_by": actor})
    enqueue_email(
        recipient=contact,
        template="case_transferred",
        context={"case": case, "advisor_name": actor.get_full_name() or actor.email},
        key=f"case-{case.pk}-transferred-{event.pk}",
    )
    return case
