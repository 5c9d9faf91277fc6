from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Scheduled jobs"

    def ready(self) -> None:
        # Each app declares its scheduled jobs in its own jobs.py (register(...) at import time).
        autodiscover_modules("jobs")
