from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Status notifications (SPEC §6): incident and maintenance banners, the public Notifications page, cases linked
    to an incident, maintenance calendars. (The e-mail outbox that once lived here moved to the ``outbox`` app,
    notifications migration 0002.)"""

    name = "notifications"
    verbose_name = "Notifications"
