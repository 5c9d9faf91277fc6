"""A URLconf for tests: a view that runs the role check exactly as later case views will."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from contacts.access import Capability, get_district_for_viewer, require_capability
from portal.urls import handler403, handler404

__all__ = ["handler403", "handler404", "urlpatterns"]


def submit_probe(request: HttpRequest, slug: str) -> HttpResponse:
    district = get_district_for_viewer(request.user, slug)
    require_capability(request.user, district, Capability.SUBMIT)
    return HttpResponse("allowed")


urlpatterns = [
    path("probe/<slug:slug>/submit/", submit_probe),
    path("", include("portal.urls")),
]
