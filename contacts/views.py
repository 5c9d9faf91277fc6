"""Contact pages: the home page, a district's page, and the district switcher."""

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from cases.selectors.devissues import RECENT_RELEASE_DAYS, fixed_in_recent_releases
from contacts.access import get_district_for_viewer, is_advisor, request_memberships
from contacts.districts import choose_district
from contacts.models import RECOMMENDED_SUPPORT_CONTACTS, RECOMMENDED_TECHNICAL_CONTACTS, District
from contacts.selectors import contact_memberships
from contacts.staffing import staffing_advice


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A contact's districts with their role in each; an advisor is pointed to the workbench."""
    if is_advisor(request.user):
        return render(request, "contacts/home_advisor.html")
    return render(request, "contacts/home.html", {"memberships": request_memberships(request)})


@require_GET
@login_required
def district_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The district's contacts and how its staffing compares with the recommendation."""
    district = get_district_for_viewer(request.user, slug)
    staffing: Any = District.objects.with_staffing().only("pk").get(pk=district.pk)  # counts annotated in SQL
    contacts = list(
        contact_memberships([district.pk])
        .select_related("user")
        .order_by("role", "user__last_name", "user__first_name")
    )
    return render(
        request,
        "contacts/district_detail.html",
        {
            "district": district,
            "contacts": contacts,
            "staffing_advice": staffing_advice(staffing.support_count, staffing.technical_count),
            "recommended_support": RECOMMENDED_SUPPORT_CONTACTS,
            "recommended_technical": RECOMMENDED_TECHNICAL_CONTACTS,
            "fixed_cases": fixed_in_recent_releases(request.user, district.pk),  # type: ignore[arg-type]
            "recent_release_days": RECENT_RELEASE_DAYS,
        },
    )


class LogoutView(auth_views.LogoutView):
    """Log out, and say so on the page the person lands on (the login page)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        # After the session is gone: the message travels in the messages cookie to the next page.
        messages.success(request, "You have logged out.")
        return response


@require_POST
@login_required
def switch_district(request: HttpRequest) -> HttpResponse:
    """Change the district the contact works in (or all of them) and go back to where they were."""
    value = request.POST.get("district", "")
    try:
        district = choose_district(request, value)
    except LookupError:
        messages.error(request, "That district is not one of yours.")
    else:
        label = district.name if district else "all your districts"
        messages.success(request, f"You are now working in {label}.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("home")
    return HttpResponseRedirect(_without_district_choice(target))


# Query parameters that pin a page to a district (the case list's Account filter) or to a place in its results:
# after a switch the page must show the district just chosen, from its first page.
_DISTRICT_PARAMETERS = ("account", "page")


def _without_district_choice(url: str) -> str:
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _DISTRICT_PARAMETERS
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))
