"""The advisors' workbench is Django's admin site with the portal's titles; its list of applications (the menu
on the left and the index) is built only on the pages that show it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


class PortalAdminSite(admin.AdminSite):
    site_header = "Support Case Portal — advisors' workbench"
    site_title = "Support Case Portal admin"
    index_title = "Workbench"

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> Any:
        # Every admin page's context carries the list (``each_context``), but the queues and the case work page
        # leave the menu out: building it checks each model's permissions and reverses its addresses.
        return SimpleLazyObject(lambda: admin.AdminSite.get_app_list(self, request, app_label))


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"
