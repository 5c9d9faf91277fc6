"""Cases in the admin: the queues (``queues``) and the work page (``work``). Advisors act through the same
services as everyone else; nothing here writes a case."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from cases.admin.queues import QueueAdminMixin
from cases.admin.work import WorkPageMixin
from cases.models import Case


@admin.register(Case)
class CaseAdmin(QueueAdminMixin, WorkPageMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        # Submitting on behalf of a contact goes through the same service as the portal (advisors' workbench).
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
