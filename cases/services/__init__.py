"""Every write to a case goes through one of these functions (DESIGN §2 rules 2 and 3).

Shape of each: check who is acting, lock the case row, check the change against the workflow table, write,
record a ``CaseEvent`` in the same transaction, and queue side effects (e-mail) so they happen only on
commit. A refused change raises ``WorkflowError`` (a workflow rule), ``ValidationError`` (bad input, keyed by
field) or ``PermissionDenied`` (the role may not act), and writes nothing.

One module per concern; the service functions are re-exported here so callers import them from
``cases.services``.
"""

from cases.services.followup import followup_more_time
from cases.services.permission import permission_grant, permission_withdraw
from cases.services.posts import post_create
from cases.services.qualification import case_escalate, case_set_priority, impact_assess, suggested_priority
from cases.services.recipients import recipients_add, recipients_remove
from cases.services.respond import case_respond
from cases.services.submission import CRITICAL_ONLY_FOR_OUTAGES, case_submit, submitted_with_token
from cases.services.transfer import case_transfer
from cases.services.workflow import case_assign, case_close, case_reopen, case_set_status

__all__ = [
    "CRITICAL_ONLY_FOR_OUTAGES",
    "case_assign",
    "case_close",
    "case_escalate",
    "case_reopen",
    "case_respond",
    "case_set_priority",
    "case_set_status",
    "case_submit",
    "case_transfer",
    "followup_more_time",
    "impact_assess",
    "permission_grant",
    "permission_withdraw",
    "post_create",
    "recipients_add",
    "recipients_remove",
    "submitted_with_token",
    "suggested_priority",
]
