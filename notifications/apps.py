from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Status notifications: incident and maintenance banners (DESIGN §1). No models yet; the e-mail outbox
    that lived here moved to the ``outbox`` app (notifications migration 0002)."""

    name = "notifications"
    verbose_name = "Notifications"
