"""``{% status_banner %}``: the banner below the header on every portal page (SPEC §6)."""

from typing import Any

from django import template

from notifications.selectors import banner_for

register = template.Library()


@register.inclusion_tag("notifications/banner.html", takes_context=True)
def status_banner(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    if request is None:
        return {"banner": None}
    return {"banner": banner_for(request)}
