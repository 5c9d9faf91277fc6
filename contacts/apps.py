from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = "Contacts and districts"

    def ready(self) -> None:
        from contacts.roles import sync_advisor_group

        # Once per migrate (and per test-database flush); the handler creates every app's permissions first.
        post_migrate.connect(sync_advisor_group, sender=self, dispatch_uid="contacts.sync_advisor_group")
