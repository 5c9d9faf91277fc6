"""The case work page: one page per case where an advisor reads everything and acts (the admin's change view).

Reading goes through the case page's selector (the same one the district's page uses, with the internal notes an
advisor may see); every action posts to its own URL and goes through a service in one transaction, after
``require_unchanged`` has checked that nobody else changed the case since the page was opened. A refusal
shows the page again with the typed values and the reason; nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    QueryDict,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.html import linebreaks
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from cases import services
from cases.admin.devissues import LinkIssueForm, link_issue_action
from cases.admin.opening import TransferForm, offers_transfer, transfer
from cases.admin.work_forms import (
    AssignForm,
    ButtonForm,
    ComposerForm,
    EscalateForm,
    ImpactForm,
    PriorityForm,
    SeenForm,
)
from cases.attachments import AttachmentLimitHandler
from cases.casetypes import Team
from cases.models import Case, CaseEvent, DevIssue, Priority, SavedReply
from cases.selectors import reopen
from cases.selectors.case_page import CasePage, case_page
from cases.selectors.events import label_events
from cases.selectors.queues import duration_label, first_response_label, whose_move_label
from cases.services.common import StalePage, require_unchanged
from cases.services.qualification import suggested_priority
from cases.workflow import STATUS_MEANINGS, Status, WorkflowError
from contacts.access import is_advisor
from contacts.models import User
from portal.forms import add_service_errors
from portal.lib import businesstime

# The timeline shows every change but the posts themselves, which the conversation shows.
TIMELINE_HIDDEN = {CaseEvent.Kind.POST_ADDED}


def business_hours(seconds: int | None) -> str:
    """A stored business duration as advisors read it: "26 h 05 min of business hours"."""
    if seconds is None:
        return "-"
    return f"{duration_label(timedelta(seconds=seconds))} of business hours"


@dataclass(frozen=True)
class Due:
    """The first-response promise as the workbench shows it: met, or due / overdue by a business-time span
    (clock time for a Critical case's on-call hour)."""

    text: str
    overdue: bool = False
    explanation: str = ""  # how the promised target was computed (``Case.first_response_explained``)


def first_response_due(case: Case, now: datetime) -> Due:
    """The queue's words (``first_response_label``) with the moment: "Overdue by 3 h 00 min (was due …)", or
    for an answered case when and after how much business time."""
    answer = case.first_response(now)
    if answer.at is None:
        return Due("No first response (closed)")
    when = date_format(timezone.localtime(answer.at), "D M j, g:i A")
    explanation = case.first_response_explained
    if answer.state in ("met", "late"):
        took = business_hours(case.first_response_business_seconds)
        late = ""
        if answer.state == "late":
            late = f" (missed by {answer.late_words})" if answer.late_by is not None else " (late)"
        return Due(f"Answered {when}, after {took}{late}", explanation=explanation)
    overdue = answer.state == "overdue"
    label = first_response_label(case, now)
    text = f"{label[0].upper()}{label[1:]} ({'was due' if overdue else 'due'} {when})"
    return Due(text, overdue=overdue, explanation=explanation)


# The services' names for what the work page's forms call otherwise.
SERVICE_FIELDS = {"internal": "kind", "details": "body", "resolution": "body"}


class WorkPageMixin(admin.ModelAdmin):
    """The change view of a case is its work page; the actions post to ``<pk>/work/<action>/``."""

    def get_urls(self) -> list[URLPattern]:
        action = path(
            "<path:object_id>/work/<slug:action>/",
            self.admin_site.admin_view(self._limited_uploads),
            name="cases_case_work",
        )
        return [action, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The change form never saves: every change goes through the work page's actions and their services.
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET"])
        advisor = _advisor(request)
        case = _case(advisor, object_id)
        return self._render(request, case)

    @method_decorator(csrf_exempt)
    def _limited_uploads(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        """Upload limits first: files beyond the count, and bytes beyond the size, are skipped while the body
        is read. The CSRF check reads the body, so it runs after (``csrf_protect`` on the action view)."""
        request.upload_handlers.insert(0, AttachmentLimitHandler(request))
        return self.work_action_view(request, object_id, action)

    @method_decorator(csrf_protect)
    def work_action_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        advisor = _advisor(request)
        case = _case(advisor, object_id)
        handler = ACTIONS.get(action)
        if handler is None:
            raise Http404("No such action.")
        form_class, act = handler
        form = _bound(form_class, request, case, prefix=action)
        if "insert_saved" in request.POST and isinstance(form, ComposerForm):
            return self._render(request, case, forms={action: _with_saved_reply(form, request, case)})
        if form.is_valid():
            try:
                with transaction.atomic():
                    locked = require_unchanged(case, advisor, form.cleaned_data.get("seen"))
                    done = act(advisor, locked, form)
            except StalePage as stale:
                # Shown again as typed, now acknowledging the changes listed: sent again, it goes through.
                form = _fresh_token(form, seen=stale.events[-1].pk)
                return self._render(request, case, forms={action: form}, stale=stale.events)
            except ValidationError as error:
                add_service_errors(form, error, SERVICE_FIELDS)
            except WorkflowError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, done)
                anchor = "composer" if action == "respond" else action
                return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.pk]) + f"#{anchor}")
        return self._render(request, case, forms={action: _fresh_token(form)}, status=400)

    def _render(
        self,
        request: HttpRequest,
        case: Case,
        *,
        forms: dict[str, forms.Form] | None = None,
        stale: list[CaseEvent] | None = None,
        status: int = 200,
    ) -> HttpResponse:
        advisor = _advisor(request)
        now = timezone.now()
        events = list(
            CaseEvent.objects.filter(case=case).select_related("actor").order_by("-created_at", "-pk")
        )
        page = case_page(
            advisor,
            case.number,
            show_all=request.GET.get("feed") == "all",
            now=now,
            case=case,
            every_event=events,
            offer_contacts=False,
        )
        case = page.case
        timeline = label_events(
            [event for event in events if event.kind not in TIMELINE_HIDDEN],
            {person.pk: person for person in page.recipients},
        )
        # The newest change the page shows (a post included): what a save checks nobody changed since.
        seen = max((event.pk for event in events), default=None)
        bound = forms or {}
        initial = {"seen": seen}
        impact = page.impact
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Case #{case.number}",
            "subtitle": case.subject,
            "case": case,
            "page": page,
            "details": page.details,
            "status_meaning": STATUS_MEANINGS[Status(case.status)],
            "due": first_response_due(case, now),
            "whose_move": whose_move_label(case, now) if case.status != Status.CLOSED else "Nobody: closed",
            "resolution": business_hours(case.resolution_business_seconds)
            if case.resolution_business_seconds is not None
            else "",
            "timeline": timeline,
            "stale": label_events(stale) if stale else None,
            "composer": bound.get("respond") or ComposerForm(initial=initial, case=case, prefix="respond"),
            "assign_form": bound.get("assign") or AssignForm(initial=initial, prefix="assign"),
            "take_form": bound.get("take") or ButtonForm(initial=initial, prefix="take"),
            "permission_form": bound.get("permission") or ButtonForm(initial=initial, prefix="permission"),
            "impact_form": bound.get("impact")
            or ImpactForm(initial={**initial, **_impact_initial(impact)}, prefix="impact"),
            "priority_form": bound.get("priority")
            or PriorityForm(
                initial={**initial, "priority": _suggestion(case, page) or case.priority}, prefix="priority"
            ),
            "escalate_form": bound.get("escalate")
            or EscalateForm(initial=initial, case=case, prefix="escalate"),
            "link_issue_form": bound.get("link_issue") or LinkIssueForm(initial=initial, prefix="link_issue"),
            "transfer_form": (
                bound.get("transfer") or TransferForm(initial=initial, case=case, prefix="transfer")
            )
            if offers_transfer(case)
            else None,
            "suggested": _suggestion(case, page),
            "advisors": User.objects.advisors().order_by("first_name", "last_name", "email"),
            "dev_issues": DevIssue.objects.filter(fixed_in__isnull=True).order_by("-created_at")[:100],
            "saved_replies": SavedReply.objects.filter(is_active=True),
            "calendar": _calendar(case, now),
            # A Modify Support Contacts case: whether its change was applied (the card links to the preview).
            "contacts_changed": next(
                (event for event in events if event.kind == CaseEvent.Kind.CONTACTS_CHANGED), None
            ),
        }
        context["urls"] = {name: reverse("admin:cases_case_work", args=[case.pk, name]) for name in ACTIONS}
        return TemplateResponse(request, "admin/cases/case/work.html", context, status=status)


def _advisor(request: HttpRequest) -> User:
    """The person acting: an advisor. A staff account without the role sees no district data (403)."""
    user = request.user
    if not is_advisor(user):
        raise PermissionDenied("Only a support advisor can work cases.")
    return user  # type: ignore[return-value]


def _case(advisor: User, object_id: str) -> Case:
    try:
        return Case.objects.visible_to(advisor).select_related("district", "module").get(pk=int(object_id))
    except (Case.DoesNotExist, ValueError):
        raise Http404("No such case.") from None


def _bound(form_class: type[forms.Form], request: HttpRequest, case: Case, *, prefix: str) -> forms.Form:
    kwargs: dict[str, Any] = {"data": request.POST, "files": request.FILES, "prefix": prefix}
    if form_class in (ComposerForm, EscalateForm, TransferForm):
        kwargs["case"] = case
    return form_class(**kwargs)


def _fresh_token(form: forms.Form, *, seen: int | None = None) -> forms.Form:
    """The form as sent, for showing again: the typed values kept, a new token for the next try and, after a
    refusal for a stale page, the newest event the page now shows."""
    data = cast(QueryDict, form.data).copy()
    if isinstance(form, ComposerForm):
        data[form.add_prefix("token")] = str(uuid.uuid4())
    if seen is not None:
        data[form.add_prefix("seen")] = str(seen)
    form.data = data
    return form


def _with_saved_reply(form: ComposerForm, request: HttpRequest, case: Case) -> ComposerForm:
    """Without JavaScript, "Insert" sends the composer: it comes back with the saved reply added to the text."""
    data = cast(QueryDict, form.data).copy()
    reply = SavedReply.objects.filter(is_active=True, pk=request.POST.get("saved_reply") or 0).first()
    if reply is not None:
        name = form.add_prefix("body")
        typed = data.get(name, "").rstrip()
        data[name] = f"{typed}\n\n{reply.body}" if typed else reply.body
    return ComposerForm(data=data, case=case, prefix=form.prefix)


def _impact_initial(impact: Any) -> dict[str, Any]:
    if impact is None:
        return {}
    names = ("disruption", "cannot_perform_daily_functions", "workaround_exists", "multiple_districts")
    return {name: getattr(impact, name) for name in (*names, "multiple_users")}


def _suggestion(case: Case, page: CasePage) -> Priority | None:
    impact = page.impact
    if impact is None:
        return None
    return suggested_priority(
        outage=case.type_spec.outage,
        disruption=impact.disruption,
        cannot_perform_daily_functions=impact.cannot_perform_daily_functions,
        workaround_exists=impact.workaround_exists,
        multiple_districts=impact.multiple_districts,
        multiple_users=impact.multiple_users,
    )


@dataclass(frozen=True)
class Calendar:
    """What the business calendar will do after an action, shown before it is taken."""

    followups: list[datetime]
    auto_close_at: datetime
    reopen_until: datetime
    next_business_day: Any


def _calendar(case: Case, now: datetime) -> Calendar:
    schedule = businesstime.followup_schedule(now)
    return Calendar(
        followups=[followup.due_at for followup in schedule.followups],
        auto_close_at=schedule.auto_close_at,
        reopen_until=reopen.window_end(now),
        next_business_day=businesstime.nth_business_day_after(timezone.localdate(now), 1),
    )


# ---------------------------------------------------------------------------------------------------------------
# The actions: each calls one service with the form's values and says what was done.


def _respond(advisor: User, case: Case, form: ComposerForm) -> str:
    data = form.cleaned_data
    target = data["status"]
    post = services.case_respond(
        actor=advisor,
        case=case,
        body=form.rich_text("body"),
        internal=form.internal,
        attachments=data["attachments"],
        status=target,
        dev_issue=data["dev_issue"],
        release_name=data["release_name"],
        scheduled_for=data["scheduled_for"],
        client_token=data["token"],
    )
    said = "Internal note added" if post is not None and post.is_internal else "Reply sent" if post else ""
    moved = f"status set to {Status(target).label}" if target else ""
    return (f"{said}; {moved}." if said and moved else f"{said or moved.capitalize()}.").replace("..", ".")


def _assign(advisor: User, case: Case, form: forms.Form) -> str:
    assignee = form.cleaned_data["assignee"]
    services.case_assign(actor=advisor, case=case, assignee=assignee)
    note = form.cleaned_data["note"].strip()
    if note:
        services.post_create(author=advisor, case=case, body=linebreaks(note, autoescape=True), internal=True)
    return f"Case #{case.number} assigned to {assignee.get_full_name() or assignee.email}."


def _take(advisor: User, case: Case, form: forms.Form) -> str:
    services.case_assign(actor=advisor, case=case, assignee=advisor)
    return f"You took case #{case.number}."


def _permission(advisor: User, case: Case, form: forms.Form) -> str:
    services.permission_grant(actor=advisor, case=case)
    return "Written permission recorded: support may test on and change the district's site for this case."


def _impact(advisor: User, case: Case, form: forms.Form) -> str:
    data = form.cleaned_data
    services.impact_assess(
        actor=advisor,
        case=case,
        disruption=data["disruption"],
        cannot_perform_daily_functions=data["cannot_perform_daily_functions"],
        workaround_exists=data["workaround_exists"],
        multiple_districts=data["multiple_districts"],
        multiple_users=data["multiple_users"],
    )
    suggested = suggested_priority(
        outage=case.type_spec.outage, **{k: v for k, v in data.items() if k != "seen"}
    )
    if suggested != case.priority:
        return (
            f"Impact assessed. It suggests {suggested.label} priority; the case is "
            f"{Priority(case.priority).label}."
        )
    return "Impact assessed."


def _priority(advisor: User, case: Case, form: forms.Form) -> str:
    data = form.cleaned_data
    services.case_set_priority(actor=advisor, case=case, priority=data["priority"], reason=data["reason"])
    return f"Priority set to {Priority(data['priority']).label}; the district sees the change and the reason."


def _escalate(advisor: User, case: Case, form: EscalateForm) -> str:
    team = Team(form.cleaned_data["team"])
    note = form.cleaned_data["note"]
    services.case_escalate(actor=advisor, case=case, team=team, note=linebreaks(note, autoescape=True))
    return f"Case #{case.number} escalated to {team.label}; the district was told."


Action = Callable[[User, Case, Any], str]
ACTIONS: dict[str, tuple[type[forms.Form], Action]] = {
    "respond": (ComposerForm, _respond),
    "assign": (AssignForm, _assign),
    "take": (ButtonForm, _take),
    "permission": (ButtonForm, _permission),
    "impact": (ImpactForm, _impact),
    "priority": (PriorityForm, _priority),
    "escalate": (EscalateForm, _escalate),
    "link_issue": (LinkIssueForm, link_issue_action),
    "transfer": (TransferForm, transfer),
}

__all__ = ["ACTIONS", "SeenForm", "WorkPageMixin"]
