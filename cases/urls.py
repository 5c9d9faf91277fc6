from django.urls import include, path

from cases.views import submit

app_name = "cases"

urlpatterns = [
    path("new/", submit.choose_type, name="choose-type"),
    path("new/<slug:slug>/", submit.submit, name="submit"),
    path("<int:number>/submitted/", submit.submitted, name="submitted"),
    # The case list, filters, search and export (cases/urls_listing.py).
    path("", include("cases.urls_listing")),
    # The case page: feed, posting, attachments, close/reopen, permission, recipients (cases/urls_detail.py).
    path("", include("cases.urls_detail")),
]
