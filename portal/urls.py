from django.contrib import admin
from django.urls import include, path

from cases.views import detail as case_detail
from portal import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("cases/", include("cases.urls")),
    path("notifications/", include("notifications.urls")),
    path("survey/", include("surveys.urls")),
    # Case attachments, only through the authorized view; the prefix is sanitize.ATTACHMENT_URL_PREFIX.
    path("attachments/<uuid:key>/<str:name>", case_detail.download, name="attachment"),
    path("", include("contacts.urls")),
]

handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
