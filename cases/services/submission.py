"""Submitting a case (SPEC §3.1)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases import search
from cases.casetypes import CASE_TYPES, CaseType, clean_details
from cases.models import (
    Case,
    CaseEvent,
    Category,
    Module,
    Priority,
    Recipient,
)
from cases.services import slawatch
from cases.services.common import (
    record_event,
    resolve_now,
)
from cases.services.notify import notify_oncall_of_critical_case
from cases.workflow import (
    Status,
)
from contacts.access import Capability, is_advisor, require_capability
from contacts.models import District, User
from contacts.selectors import authorized_contacts
from notifications.models import Notification
from notifications.services import incident_link_case
from outbox.services import enqueue_email
from portal.lib import businesstime
from portal.validators import one_line_text_error

SUBJECT_MAX = 255
CRITICAL_ONLY_FOR_OUTAGES = (
    "Critical priority is only for Report an Outage cases (the product is not operational). "
    "Choose High if a time-sensitive task cannot be done."
)


CALLER_NAME_MAX = 200
CALLER_PHONE_MAX = 40


def caller_errors(name: str, phone: str) -> dict[str, str]:
    """What is wrong with a caller's name and phone: support must be able to name and call them back."""
    errors: dict[str, str] = {}
    if problem := one_line_text_error(
        name, name="caller's name", max_length=CALLER_NAME_MAX, missing="Enter the caller's name."
    ):
        errors["caller_name"] = problem
    if problem := one_line_text_error(
        phone, name="caller's phone", max_length=CALLER_PHONE_MAX, missing="Enter the caller's phone number."
    ):
        errors["caller_phone"] = problem
    elif not any(c.isdigit() for c in phone):
        errors["caller_phone"] = "Enter a phone number support can call back, with its digits."
    return errors


def _case_with_token(client_token: uuid.UUID | None) -> Case | None:
    return None if client_token is None else Case.objects.filter(client_token=client_token).first()


def submitted_with_token(submitter: User, client_token: uuid.UUID | None) -> Case | None:
    """The case this person already submitted from the form load with this token, if any."""
    case = _case_with_token(client_token)
    return case if case is not None and case.submitted_by_id == submitter.pk else None


@transaction.atomic
def case_submit(
    *,
    submitter: User,
    district: District,
    contact: User | None,
    case_type: CaseType | str,
    subject: str,
    description: str,
    priority: Priority | int = Priority.MEDIUM,
    module: Module | None = None,
    details: dict[str, Any] | None = None,
    category: Category = Category.PORTAL,
    follows_case: Case | None = None,
    client_token: uuid.UUID | None = None,
    caller_name: str = "",
    caller_phone: str = "",
    incident: Notification | None = None,
    now: datetime | None = None,
) -> Case:
    """Store a new case exactly as submitted, compute its first-response target and confirm it by e-mail; a
    Critical case (an outage) is also e-mailed to support's on-call address at once.

    ``client_token`` comes from the submission form (new on every form load): a form sent again, by a second
    click or by Back and Submit, returns the case it created the first time and stores nothing.

    An advisor may open a case with no contact for an unauthorized caller in an emergency (SPEC §3.6):
    ``contact`` is then ``None`` and the caller's name and phone are required and stored on the case. Nobody of
    the district is e-mailed (the caller has no account); the district's contacts see the case in their list,
    and an advisor later transfers it to one of them (``cases.services.transfer.case_transfer``).

    ``incident``: the open incident notification the case reports ("same symptoms", SPEC §2); it must be open
    for the district, else nothing is stored.
    """
    now = resolve_now(now)
    spec = CASE_TYPES[CaseType(case_type)]
    require_capability(submitter, district, Capability.SUBMIT)
    if spec.technical_only and not is_advisor(submitter):
        require_capability(submitter, district, Capability.SUBMIT_SERVER)
    earlier = _case_with_token(client_token)
    if earlier is not None:
        if earlier.submitted_by_id == submitter.pk:
            return earlier
        client_token = None  # another person's token, so not a form this person loaded: no protection to give
    errors: dict[str, str] = {}
    if not district.is_active:
        errors["district"] = "This district can no longer submit cases. Please contact support by phone."
    caller_name, caller_phone = caller_name.strip(), caller_phone.strip()
    if contact is None:
        # Only support takes a phone call from someone who is not a contact; a contact submits for themself.
        if not is_advisor(submitter):
            raise PermissionDenied("Only a support advisor can open a case for a caller.")
        errors.update(caller_errors(caller_name, caller_phone))
    else:
        # A case for a contact is theirs: a caller's details belong to cases that have no contact.
        caller_name = caller_phone = ""
        if not authorized_contacts(district).filter(pk=contact.pk).exists():
            errors["contact"] = "Choose an authorized contact of this district."
    priority = Priority(int(priority))
    if spec.outage and priority != Priority.CRITICAL:
        errors["priority"] = "An outage is always Critical."
    elif not spec.outage and priority == Priority.CRITICAL:
        errors["priority"] = CRITICAL_ONLY_FOR_OUTAGES
    if not spec.uses_module and module is not None:
        errors["module"] = f"{spec.label} cases have no module."
    elif spec.module_required and module is None:
        errors["module"] = "Choose a module, or Not Applicable."
    elif module is not None and not module.is_active:
        errors["module"] = "This module is no longer offered; choose another."
    subject, description = subject.strip(), description.strip()
    if problem := one_line_text_error(
        subject, name="subject", max_length=SUBJECT_MAX, missing="Enter a subject."
    ):
        errors["subject"] = problem
    if not description:
        errors["description"] = "Describe the issue or request."
    try:
        stored_details = clean_details(spec, details or {}, today=timezone.localdate(now))
    except ValidationError as exc:
        stored_details = {}
        for field_name, messages in exc.message_dict.items():
            errors.setdefault(field_name, messages[0])
    if follows_case is not None and follows_case.district_id != district.pk:
        errors["follows_case"] = "A follow-up case must belong to the same district."
    if errors:
        raise ValidationError(errors)

    permission = stored_details.get("written_permission") is True
    values: dict[str, Any] = {
        "district": district,
        "contact": contact,
        "caller_name": caller_name,
        "caller_phone": caller_phone,
        "submitted_by": submitter,
        "case_type": spec.key,
        "category": category,
        "team": spec.team,
        "priority": priority,
        "module": module,
        "subject": subject,
        "description": description,
        "details": stored_details,
        "follows_case": follows_case,
        "written_permission_at": now if permission else None,
        "written_permission_by": submitter if permission else None,
        "first_response_due_at": businesstime.sla_due(now, priority.business),
        "oncall_due_at": businesstime.oncall_due(now) if priority == Priority.CRITICAL else None,
        "created_at": now,
        "updated_at": now,
        "public_updated_at": now,
        "status_changed_at": now,
        "client_token": client_token,
    }
    # The SLA watch's moments go in with the target they watch.
    draft = Case(**values)
    values.update({field: getattr(draft, field) for field in slawatch.plan(draft)})
    if client_token is None:
        case = Case.objects.create(**values)
    else:
        try:
            with transaction.atomic():
                case = Case.objects.create(**values)
        except IntegrityError:
            # The same form sent twice at the same moment: the other request stored the case first.
            earlier = submitted_with_token(submitter, client_token)
            if earlier is None:
                raise
            return earlier
    search.index_case(case)
    if incident is not None:
        incident_link_case(case=case, notification=incident, now=now)
    if contact is None:
        recipients = []
    elif submitter == contact or is_advisor(submitter):
        recipients = [contact]
    else:
        recipients = [contact, submitter]
    Recipient.objects.bulk_create([Recipient(case=case, user=u, added_by=submitter) for u in recipients])
    record_event(
        case, CaseEvent.Kind.CREATED, submitter, now, new=Status.NEW, type=spec.key, priority=priority.value
    )
    for user in recipients:
        enqueue_email(
            recipient=user,
            template="case_submitted",
            context={"case": case, "spec": spec},
            key=f"case-{case.pk}-submitted-{user.pk}",
        )
    if priority == Priority.CRITICAL:
        notify_oncall_of_critical_case(case, now=now)
    return case
