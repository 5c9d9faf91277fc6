"""The portal's URLs plus the floor of the benchmark: a hello-world page behind the same middleware (session,
authentication, CSRF, CSP, htmx, last activity) and the same login check as the case list."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


@login_required
def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello, world\n", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("bench/hello/", hello, name="bench-hello"),
    path("", include("portal.urls")),
]

handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
