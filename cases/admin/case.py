"""Cases in the admin: the queues (``queues``) and the work page (``work``). Advisors act through the same
services as everyone else; nothing here writes a case."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from cases.admin.contact_changes import ContactChangesMixin
from cases.admin.opening import OpeningMixin
from cases.admin.queues import QueueAdminMixin
from cases.admin.reports import ReportDrilldownFilter, ReportsMixin
from cases.admin.work import WorkPageMixin
from cases.models import Case
from contacts.access import is_advisor


@admin.register(Case)
class CaseAdmin(
    ContactChangesMixin, OpeningMixin, QueueAdminMixin, WorkPageMixin, ReportsMixin, admin.ModelAdmin
):
    # A report figure's link lists the cases it counts (cases/selectors/reports.py).
    list_filter = [*QueueAdminMixin.list_filter, ReportDrilldownFilter]

    # Who may open the case list and the work pages is the advisor role, the check every action makes too. The
    # role's group holds the matching model permissions (contacts/roles.py); asking the role spares each page
    # loading every permission the person holds.
    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return is_advisor(request.user)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return is_advisor(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Advisors open cases on their own page ("Open a case", cases/admin/opening.py), through the portal's
        # service; the admin's add form, which would write the model directly, is not offered.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
