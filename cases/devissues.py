"""Development issues (SPEC §3.4): advisors record the product defects that cases link to.

Creating or editing one goes through ``dev_issue_save`` (DESIGN §2 rule 2). An issue is not a case and has no
event table of its own; the admin's history records who changed what, and the cases that link an issue record
the link as a case event (``case_set_status``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from cases.models import DevIssue, Module, Release
from contacts.access import is_advisor
from contacts.models import User
from portal.validators import is_single_line, one_line_text_error

# The columns' lengths (cases.models.DevIssue).
NUMBER_MAX = 40
TITLE_MAX = 200


@transaction.atomic
def dev_issue_save(
    *,
    actor: User,
    issue: DevIssue | None = None,
    number: str,
    title: str,
    fixed_in: Release | None = None,
    product_area: Module | None = None,
) -> DevIssue:
    """Create a development issue (``issue`` None) or change one. The number is Development's key, stored
    upper-case and trimmed so ``dev-48213`` and ``DEV-48213 `` are one issue."""
    if not is_advisor(actor):
        raise PermissionDenied("Only a support advisor can record development issues.")
    if issue is not None:
        issue = DevIssue.objects.select_for_update().get(pk=issue.pk)
    number, title = number.strip().upper(), title.strip()
    recorded = DevIssue.objects.filter(number=number)
    if issue is not None:
        recorded = recorded.exclude(pk=issue.pk)
    errors: dict[str, str] = {}
    if not number:
        errors["number"] = "Enter Development's issue number, e.g. DEV-48213."
    elif len(number) > NUMBER_MAX or not is_single_line(number):
        errors["number"] = f"Enter the issue number on one line, at most {NUMBER_MAX} characters."
    elif recorded.exists():
        errors["number"] = f"{number} is already recorded; search for it instead."
    if problem := one_line_text_error(
        title, name="title", max_length=TITLE_MAX, missing="Enter the issue's title."
    ):
        errors["title"] = problem
    if errors:
        raise ValidationError(errors)
    issue = issue or DevIssue()
    issue.number, issue.title, issue.fixed_in = number, title, fixed_in
    issue.product_area = product_area
    try:
        with transaction.atomic():
            issue.save()
    except IntegrityError:
        # Recorded by a colleague a moment ago, between the check and the insert.
        raise ValidationError({"number": f"{number} is already recorded; search for it instead."}) from None
    return issue
