from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("closed/", views.notification_list, {"closed": True}, name="closed"),
    path("<int:pk>/", views.notification_detail, name="detail"),
    path("<int:pk>/calendar.ics", views.notification_ics, name="ics"),
    path("maintenance.ics", views.public_feed, name="public-feed"),
    path("calendar/<str:token>/maintenance.ics", views.contact_feed, name="contact-feed"),
    path("calendar/reset/", views.reset_feed, name="reset-feed"),
    path("known-issues/", views.known_issues_partial, name="known-issues"),
]
