"""Every read of cases starts here, scoped to the viewer (DESIGN §2 rule 1)."""

from __future__ import annotations

from django.http import Http404

from cases.models import Case
from contacts.access import Viewer


def get_case_for_viewer(user: Viewer, number: int) -> Case:
    """The case with this number if the person may see it; otherwise 404, exactly as for a missing number.
    Every view that shows or changes one case fetches it here, with its district and module."""
    try:
        return Case.objects.visible_to(user).select_related("district", "module").get(number=number)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None
