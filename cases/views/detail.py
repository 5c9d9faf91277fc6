"""The case page: reading the case, posting with attachments, closing and re-opening, written
permission, notification recipients, the feed search partial and attachment downloads.

Every action is a POST with CSRF (GET answers 405 and changes nothing); each view fetches the case through the
visibility chokepoint first (404 for another district's case, the same page as a missing one) and then calls
the service, which checks the role (403) and the workflow, writes, records the event and queues the e-mail.
Domain errors come back as messages on the page; bad input re-renders the page with the typed text kept.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import push_url

from cases import services
from cases.attachments import AttachmentLimitHandler, max_bytes, max_per_post
from cases.forms import MoreTimeForm, PostForm, ReopenForm
from cases.models import Case
from cases.selectors import get_case_for_viewer
from cases.selectors.case_page import CasePage, attachment_for_viewer, case_page, feed_for
from cases.workflow import WorkflowError
from contacts.access import Capability, is_advisor, request_memberships, require_capability
from contacts.models import User
from portal.forms import add_service_errors
from portal.lib.sanitize import sanitize_html

_PENDING_IMAGE = re.compile(r"<img\b[^>]*src=\"/attachments/new/[^\"]*\"[^>]*>")


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)  # login_required


def _page_context(
    request: HttpRequest,
    page: CasePage,
    *,
    post_form: PostForm | None = None,
    reopen_form: ReopenForm | None = None,
) -> dict[str, Any]:
    return {
        "page": page,
        "case": page.case,
        "post_form": post_form or PostForm(advisor=page.advisor),
        "reopen_form": reopen_form or ReopenForm(),
        "more_time_form": MoreTimeForm(),
        "detail_url": reverse("cases:detail", kwargs={"number": page.case.number}),
        "urls": _action_urls(page.case),
        "viewer_is_recipient": page.is_recipient(request.user),
        # who gets an e-mail about the viewer's post: every active recipient but the viewer
        "notified": sum(1 for p in page.recipients if p.pk != request.user.pk and p.is_active),
        "limits": {"max_files": max_per_post(), "max_bytes": max_bytes()},
    }


ACTIONS = [
    "close",
    "reopen",
    "post",
    "feed",
    "permission-grant",
    "permission-withdraw",
    "recipients-add",
    "recipients-remove",
    "followup-more-time",
]


def _action_urls(case: Case) -> dict[str, str]:
    """The case's action URLs, reversed once per page (the template uses some of them many times)."""
    return {
        name.replace("-", "_"): reverse(f"cases:{name}", kwargs={"number": case.number}) for name in ACTIONS
    }


def _load(request: HttpRequest, number: int, **kwargs: Any) -> CasePage:
    return case_page(request.user, number, memberships=request_memberships(request), **kwargs)


def _feed_args(request: HttpRequest) -> dict[str, Any]:
    return {"query": request.GET.get("q", ""), "show_all": request.GET.get("feed") == "all"}


@require_GET
@login_required
def detail(request: HttpRequest, number: int) -> HttpResponse:
    page = _load(request, number, **_feed_args(request))
    return render(request, "cases/detail.html", _page_context(request, page))


@require_GET
@login_required
def feed(request: HttpRequest, number: int) -> HttpResponse:
    """The feed partial for "Search this feed" and "Show all" (htmx). Without htmx: the full page."""
    args = _feed_args(request)
    detail_url = reverse("cases:detail", kwargs={"number": number})
    params = urlencode(
        [(k, v) for k, v in (("q", args["query"].strip()), ("feed", request.GET.get("feed", ""))) if v]
    )
    page_url = detail_url + (f"?{params}" if params else "")
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect(page_url)
    case = get_case_for_viewer(request.user, number)
    context = {
        "case": case,
        "feed": feed_for(case, request.user, **args),
        "detail_url": detail_url,
        "urls": _action_urls(case),
    }
    html = render_to_string("cases/detail.html#feed", context, request=request)
    html += render_to_string("cases/detail.html#feed-count", {**context, "oob": True}, request=request)
    return push_url(HttpResponse(html), page_url)


def _done(request: HttpRequest, case: Case, message: str, anchor: str = "") -> HttpResponse:
    messages.success(request, message)
    return redirect(reverse("cases:detail", kwargs={"number": case.number}) + anchor)


def _refused(request: HttpRequest, case: Case, error: Exception) -> HttpResponse:
    text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    messages.error(request, text)
    return redirect("cases:detail", number=case.number)


# --- posting ----------------------------------------------------------------------------------------------


@csrf_exempt  # the CSRF check runs in _post_checked, after the upload limits are installed
@require_POST
def post(request: HttpRequest, number: int) -> HttpResponseBase:
    # Limits first: files beyond the count, and bytes beyond the size, are skipped while the body is read.
    request.upload_handlers.insert(0, AttachmentLimitHandler(request))
    return _post_checked(request, number)


@csrf_protect
@login_required
def _post_checked(request: HttpRequest, number: int) -> HttpResponse:
    user = _user(request)
    case = get_case_for_viewer(user, number)
    if not is_advisor(user):
        require_capability(user, case.district, Capability.POST)
    advisor = is_advisor(user)
    form = PostForm(request.POST, request.FILES, advisor=advisor)
    refusals: list[str] = getattr(request, "upload_refusals", [])
    if form.is_valid() and not refusals:
        data = form.cleaned_data
        try:
            created = services.post_create(
                author=user,
                case=case,
                body=form.rich_text("body"),
                internal=bool(data.get("internal")),
                attachments=data["attachments"],
                pasted=request.FILES.getlist("pasted"),
                client_token=data["token"],
            )
        except WorkflowError as error:
            return _refused(request, case, error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            note = "Your internal note was added." if created.is_internal else "Your post was shared."
            return _done(request, case, note, f"#post-{created.pk}")
    for refusal in refusals:
        form.add_error("attachments", refusal)
    if form.files.getlist("attachments") or form.files.getlist("pasted") or refusals:
        form.add_error(
            "attachments", "Nothing was posted. Your text is kept below; please choose the files again."
        )
    return _invalid(request, number, post_form=_keep_text(form, "body", advisor=advisor))


def _keep_text(form: PostForm | ReopenForm, name: str, *, advisor: bool = False) -> Any:
    """The form as sent, with the typed text cleaned for showing again in the editor (pasted images cannot
    come back: the browser does not send files twice), a new token for the next try, and the errors of the
    attempt next to their fields."""
    data = cast(QueryDict, form.data).copy()
    if data.get("format") == "html":
        data[name] = _PENDING_IMAGE.sub("", sanitize_html(data.get(name, "")))
    data["token"] = str(uuid.uuid4())
    kept = PostForm(data, advisor=advisor) if isinstance(form, PostForm) else ReopenForm(data)
    for field, errors in form.errors.items():
        existing = kept.errors.get(field)
        known = [str(error) for error in existing] if existing else []
        new = [error for error in errors if error not in known]
        if new:
            kept.add_error(None if field == NON_FIELD_ERRORS else field, new)
    return kept


def _invalid(request: HttpRequest, number: int, **forms: Any) -> HttpResponse:
    page = _load(request, number)
    return render(request, "cases/detail.html", _page_context(request, page, **forms), status=400)


# --- closing and re-opening --------------------------------------------------------------------------------


@require_POST
@login_required
def close(request: HttpRequest, number: int) -> HttpResponse:
    case = get_case_for_viewer(request.user, number)
    try:
        services.case_close(actor=_user(request), case=case)
    except WorkflowError as error:
        return _refused(request, case, error)
    return _done(
        request,
        case,
        f"Case #{case.number} is closed. If the issue comes back, you can re-open it within 60 days.",
    )


@require_POST
@login_required
def reopen(request: HttpRequest, number: int) -> HttpResponse:
    user = _user(request)
    case = get_case_for_viewer(user, number)
    if not is_advisor(user):
        require_capability(user, case.district, Capability.CLOSE_REOPEN)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.case_reopen(
                actor=user,
                case=case,
                details=form.rich_text("details"),
                client_token=form.cleaned_data["token"],
            )
        except WorkflowError as error:
            return _refused(request, case, error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _done(request, case, f"Case #{case.number} is re-opened. An advisor will pick it up.")
    return _invalid(request, number, reopen_form=_keep_text(form, "details"))


# --- the 3x10 follow-up ------------------------------------------------------------------------------------


@require_POST
@login_required
def followup_more_time(request: HttpRequest, number: int) -> HttpResponse:
    """ "I need more time": the remaining follow-ups and the automatic close move later, once per resolution."""
    case = get_case_for_viewer(request.user, number)
    form = MoreTimeForm(request.POST)
    if not form.is_valid():
        return _refused(request, case, ValidationError(list(form.errors["days"])))
    try:
        sequence = services.followup_more_time(
            actor=_user(request), case=case, days=form.cleaned_data["days"]
        )
    except (WorkflowError, ValidationError) as error:
        return _refused(request, case, error)
    days = sequence.more_time_days
    return _done(
        request,
        case,
        f"You have {days} more business day{'s' if days != 1 else ''}: the case now closes automatically on "
        f"{date_format(timezone.localtime(sequence.close_at), 'l j F')} unless you reply.",
        "#followup",
    )


# --- written permission ------------------------------------------------------------------------------------


@require_POST
@login_required
def permission_grant(request: HttpRequest, number: int) -> HttpResponse:
    case = get_case_for_viewer(request.user, number)
    try:
        services.permission_grant(actor=_user(request), case=case)
    except WorkflowError as error:
        return _refused(request, case, error)
    return _done(request, case, "Written permission granted. Thank you.", "#permission")


@require_POST
@login_required
def permission_withdraw(request: HttpRequest, number: int) -> HttpResponse:
    case = get_case_for_viewer(request.user, number)
    services.permission_withdraw(actor=_user(request), case=case)
    return _done(request, case, "Written permission withdrawn.", "#permission")


# --- notification recipients -------------------------------------------------------------------------------


def _chosen_ids(request: HttpRequest) -> list[int]:
    try:
        return sorted({int(value) for value in request.POST.getlist("users")})
    except ValueError:
        return []


@require_POST
@login_required
def recipients_add(request: HttpRequest, number: int) -> HttpResponse:
    user = _user(request)
    case = get_case_for_viewer(user, number)
    ids = _chosen_ids(request)
    # Only people of the case's district can be named: an id from elsewhere reveals nothing, not even a name.
    users = list(
        User.objects.filter(
            pk__in=ids, memberships__district=case.district, memberships__is_active=True
        ).distinct()
    )
    if len(users) != len(ids):
        if not is_advisor(user):
            require_capability(user, case.district, Capability.MANAGE_OWN_NOTIFICATIONS)
        return _refused(request, case, ValidationError("Choose contacts from the list."))
    try:
        added = services.recipients_add(actor=user, case=case, users=users)
    except ValidationError as error:
        return _refused(request, case, error)
    if [u.pk for u in users] == [user.pk]:
        message = "You will get an e-mail about every update of this case."
    else:
        names = ", ".join(r.user.get_full_name() for r in added) or "Nobody new"
        message = f"Added to the notification recipients: {names}."
    return _done(request, case, message, "#recipients")


@require_POST
@login_required
def recipients_remove(request: HttpRequest, number: int) -> HttpResponse:
    user = _user(request)
    case = get_case_for_viewer(user, number)
    ids = _chosen_ids(request)
    users = list(User.objects.filter(pk__in=ids, case_subscriptions__case=case))
    if len(users) != len(ids):
        if not is_advisor(user):
            require_capability(user, case.district, Capability.MANAGE_OWN_NOTIFICATIONS)
        return _refused(request, case, ValidationError("Choose recipients from the list."))
    try:
        services.recipients_remove(actor=user, case=case, users=users)
    except ValidationError as error:
        return _refused(request, case, error)
    if [u.pk for u in users] == [user.pk]:
        message = "You will no longer get e-mail about this case."
    else:
        message = (
            "Removed from the notification recipients: " + ", ".join(u.get_full_name() for u in users) + "."
        )
    return _done(request, case, message, "#recipients")


# --- downloads ---------------------------------------------------------------------------------------------


@require_GET
@login_required
@never_cache
def download(request: HttpRequest, key: uuid.UUID, name: str) -> FileResponse:
    """An attachment, to whoever may see its case (404 otherwise, as for a missing file). Always a download
    (``Content-Disposition: attachment``) with the type chosen when it was checked, ``nosniff``, and a sandbox
    policy, so even a file a browser would render cannot run anything on our origin."""
    attachment = attachment_for_viewer(request.user, str(key))
    if name != attachment.name:
        raise Http404("No such file.")
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("No such file.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
