"""Written permission to work on the district's site (SPEC §3.6)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from cases.models import (
    Case,
    CaseEvent,
)
from cases.services.common import (
    lock_case,
    modified,
    record_event,
    resolve_now,
)
from cases.workflow import (
    Status,
    WorkflowError,
)
from contacts.access import Capability, is_advisor, require_capability
from contacts.models import User

_PERMISSION_FIELDS = [
    "written_permission_at",
    "written_permission_by",
    "written_permission_withdrawn_at",
    "written_permission_withdrawn_by",
]


@transaction.atomic
def permission_grant(*, actor: User, case: Case, now: datetime | None = None) -> Case:
    """An authorized contact grants support written permission to test on or change the district's site, in
    one click; recorded with who and when (an advisor records a permission given to them)."""
    case = lock_case(case)
    now = resolve_now(now)  # after the lock: the order of events is the order of the locks
    if not is_advisor(actor):
        require_capability(actor, case.district, Capability.GRANT_PERMISSION)
    if case.status == Status.CLOSED:
        raise WorkflowError("This case is closed; re-open it before granting permission.")
    if case.written_permission_at is not None:
        return case
    case.written_permission_at, case.written_permission_by = now, actor
    case.written_permission_withdrawn_at, case.written_permission_withdrawn_by = None, None
    case.save(update_fields=[*_PERMISSION_FIELDS, *modified(case, now)])
    record_event(case, CaseEvent.Kind.PERMISSION_GRANTED, actor, now, new="granted")
    return case


@transaction.atomic
def permission_withdraw(*, actor: User, case: Case, now: datetime | None = None) -> Case:
    """Withdraw a written permission; recorded with who and when, and as an event."""
    case = lock_case(case)
    now = resolve_now(now)  # after the lock: the order of events is the order of the locks
    if not is_advisor(actor):
        require_capability(actor, case.district, Capability.GRANT_PERMISSION)
    if case.written_permission_at is None:
        return case
    case.written_permission_at, case.written_permission_by = None, None
    case.written_permission_withdrawn_at, case.written_permission_withdrawn_by = now, actor
    case.save(update_fields=[*_PERMISSION_FIELDS, *modified(case, now)])
    record_event(case, CaseEvent.Kind.PERMISSION_WITHDRAWN, actor, now, old="granted", new="withdrawn")
    return case
