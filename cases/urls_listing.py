"""URLs of the case list."""

from django.urls import path

from cases.views import listing

urlpatterns = [
    path("", listing.case_list, name="list"),
    path("export.csv", listing.export_csv, name="export"),
    path("contacts/", listing.contact_suggestions, name="contact-suggestions"),
]
