"""The Notifications page (Open and Closed tabs, SPEC §6), one notification's page, the maintenance calendars and
the submission form's "known issues" partial.

Global notifications are readable without logging in, and the page must stay up when everything else is down:
an anonymous visitor's page costs one query and touches neither Redis nor Celery.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cases.models import Module
from contacts.access import is_advisor, request_memberships
from contacts.models import User
from notifications import calendar
from notifications.models import CalendarFeed, Notification
from notifications.selectors import (
    Entry,
    get_notification_for_viewer,
    known_issues,
    maintenance_for_calendar,
    page_entries,
    updates_of,
)
from notifications.services import calendar_feed_reset


@require_GET
def notification_list(request: HttpRequest, closed: bool = False) -> HttpResponse:
    feed = None
    if request.user.is_authenticated:
        feed = CalendarFeed.objects.filter(user=cast(User, request.user)).first()
    return render(
        request,
        "notifications/list.html",
        {"entries": page_entries(request.user, closed=closed), "closed": closed, "feed": feed},
    )


def _notification(request: HttpRequest, pk: int) -> Notification | HttpResponse:
    """Visibility first: a visitor who is not logged in is asked to log in for anything but a global notification
    (whether it exists or not), a logged-in person gets a 404 for another district's."""
    try:
        return get_notification_for_viewer(request.user, pk)
    except Http404:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise


@require_GET
def notification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notification = _notification(request, pk)
    if isinstance(notification, HttpResponse):
        return notification
    entry = Entry(notification=notification, updates=updates_of(notification))
    return render(request, "notifications/detail.html", {"entry": entry, "notification": notification})


def _ics(entries: list[Entry], *, name: str, filename: str) -> HttpResponse:
    response = HttpResponse(calendar.calendar_bytes(entries, name=name), content_type=calendar.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
def notification_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Add to calendar": one maintenance window as an iCalendar file."""
    notification = _notification(request, pk)
    if isinstance(notification, HttpResponse):
        return notification
    if notification.kind != Notification.Kind.MAINTENANCE:
        raise Http404("Only maintenance has a calendar event.")
    entry = Entry(notification=notification, updates=updates_of(notification))
    return _ics([entry], name=notification.title, filename=f"maintenance-{notification.pk}.ics")


@require_GET
def public_feed(request: HttpRequest) -> HttpResponse:
    """Every global maintenance: the same for everyone, no login."""
    return _ics(
        maintenance_for_calendar(AnonymousUser()),
        name="Support Case Portal maintenance",
        filename="maintenance.ics",
    )


@require_GET
def contact_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A person's feed behind their secret address: global maintenance and their districts'. A reset or unknown
    address, or a deactivated account, is a 404."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404("No such calendar.")
    return _ics(
        maintenance_for_calendar(feed.user),
        name="Support Case Portal maintenance",
        filename="maintenance.ics",
    )


@require_POST
@login_required
def reset_feed(request: HttpRequest) -> HttpResponse:
    had_one = CalendarFeed.objects.filter(user=cast(User, request.user)).exists()
    calendar_feed_reset(user=cast(User, request.user))
    messages.success(
        request,
        "Your calendar has a new address; the old one no longer works. Subscribe to the new one."
        if had_one
        else "Your calendar address is ready: subscribe to it in your calendar program.",
    )
    return redirect("notifications:list")


@require_GET
@login_required
def known_issues_partial(request: HttpRequest) -> HttpResponse:
    """Open incidents and maintenance whose titles match what the contact types on the submission form, for the
    district they chose (one of theirs; advisors any)."""
    district_id: int | None = None
    raw = request.GET.get("district", "")
    if raw.isascii() and raw.isdigit() and len(raw) < 18:
        wanted = int(raw)
        if is_advisor(request.user) or any(m.district_id == wanted for m in request_memberships(request)):
            district_id = wanted
    text = request.GET.get("subject", "")[:300]
    module = request.GET.get("module", "")
    if module.isascii() and module.isdigit() and len(module) < 18:
        # The module's name counts as words typed, but for "Not Applicable", which says nothing of the issue.
        name = (
            Module.objects.filter(pk=int(module))
            .exclude(name=Module.NOT_APPLICABLE)
            .values_list("name", flat=True)
        )
        text = " ".join([*name, text])
    matches = known_issues(request.user, district_id=district_id, text=text)
    return render(request, "notifications/known_issues.html", {"matches": matches})
