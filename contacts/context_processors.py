"""Template context shared by every page: the viewer's districts and the district switcher."""

from typing import Any

from django.http import HttpRequest

from contacts.access import ROLE_CAPABILITIES, Capability, is_advisor, request_memberships
from contacts.districts import current_district
from contacts.forms import DistrictSwitchForm
from contacts.models import Role


def districts(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or is_advisor(user):
        return {}
    memberships = request_memberships(request)
    current = current_district(request)
    return {
        "can_submit": any(Capability.SUBMIT in ROLE_CAPABILITIES[Role(m.role)] for m in memberships),
        "current_district": current,
        "district_switch_form": DistrictSwitchForm(memberships, current) if len(memberships) > 1 else None,
    }
