"""The advisors' queue table: the admin's own table template, with rows drawn by ``QueueAdminMixin.queue_rows``."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.admin.views.main import ChangeList

register = template.Library()


@register.inclusion_tag("admin/change_list_results.html")
def queue_result_list(cl: ChangeList) -> dict[str, Any]:
    """``{% queue_result_list cl %}`` in place of the admin's ``{% result_list cl %}``: the same headers (sorting
    links included), each row one ready string of cells."""
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
        "results": [[row] for row in cl.model_admin.queue_rows(cl)],  # type: ignore[attr-defined]
    }
