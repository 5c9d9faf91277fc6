"""Submitting a case: choosing a case type, the submission form, the confirmation."""

from __future__ import annotations

import uuid
from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods

from cases.casetypes import BY_SLUG, CASE_TYPES, CaseType, CaseTypeSpec
from cases.forms import CaseForm
from cases.models import Case, Category, Priority
from cases.selectors import get_case_for_viewer
from cases.services import case_submit, submitted_with_token
from cases.workflow import Status
from contacts.access import ROLE_CAPABILITIES, Capability, request_memberships
from contacts.districts import current_district, remember_district
from contacts.models import District, Membership, Role, User
from notifications.models import IncidentReport
from notifications.selectors import incidents_by_district


def _submittable(request: HttpRequest, spec: CaseTypeSpec | None = None) -> list[District]:
    """The viewer's districts where they may submit (this type of) case."""
    needed = Capability.SUBMIT_SERVER if spec is not None and spec.technical_only else Capability.SUBMIT
    return [m.district for m in request_memberships(request) if needed in ROLE_CAPABILITIES[Role(m.role)]]


def _default_district(request: HttpRequest, districts: list[District]) -> District | None:
    current = current_district(request)
    if current in districts:
        return current
    user = request.user
    last = getattr(user, "last_district_id", None)
    return next((d for d in districts if d.pk == last), districts[0] if districts else None)


def _technical_contacts(districts: list[District]) -> dict[int, User]:
    rows = Membership.objects.filter(
        district__in=districts, role=Role.TECHNICAL, is_active=True, user__is_active=True
    ).select_related("user")
    return {m.district_id: m.user for m in rows}


@require_GET
@login_required
def choose_type(request: HttpRequest) -> HttpResponse:
    """The ten case types with their descriptions and examples (seed 002, "Case Types")."""
    districts = _submittable(request)
    if not districts:
        raise PermissionDenied("Your role does not allow you to submit cases.")
    district = _default_district(request, districts)
    can_submit_server = bool(_submittable(request, CASE_TYPES[CaseType.SERVER_ISSUE]))
    technical = _technical_contacts([district]).get(district.pk) if district else None
    specs = list(CASE_TYPES.values())
    return render(
        request,
        "cases/choose_type.html",
        {
            "included": [s for s in specs if not s.billable],
            "billable": [s for s in specs if s.billable],
            "can_submit_server": can_submit_server,
            "technical_contact": technical,
            "district": district,
            "modify_contacts": CASE_TYPES[CaseType.MODIFY_CONTACTS],
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def submit(request: HttpRequest, slug: str) -> HttpResponse:
    spec = BY_SLUG.get(slug)
    if spec is None:
        raise Http404("No such case type.")
    if not _submittable(request):
        raise PermissionDenied("Your role does not allow you to submit cases.")
    districts = _submittable(request, spec)
    if not districts:
        raise PermissionDenied(
            f"{spec.label} cases are submitted by your district's Technical contact, who manages the server."
        )
    default = _default_district(request, districts)
    user = cast(User, request.user)  # login_required
    initial: dict[str, object] = {"district": default, "contact": user, "priority": Priority.MEDIUM}
    follows = _follow_up_of(request, districts)
    if isinstance(follows, HttpResponse):
        return follows
    if follows is not None:
        initial.update(_follow_up_initial(follows, spec))
        _follow_up_note(request, follows)
    if request.method == "POST":
        earlier = submitted_with_token(user, _token(request))
        if earlier is not None:
            # The same form load sent again (Back, then Submit): show the case it filed, file nothing.
            messages.info(
                request, f"This form was already submitted as case #{earlier.number}; nothing new was filed."
            )
            return redirect("cases:submitted", number=earlier.number)
    incidents = incidents_by_district(user, [d.pk for d in districts])
    form = CaseForm(
        request.POST or None, spec=spec, districts=districts, initial=initial, incidents=incidents
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = case_submit(
                submitter=user,
                district=data["district"],
                contact=data["contact"],
                case_type=spec.key,
                priority=form.priority_fixed or data["priority"],
                subject=data["subject"],
                description=data["description"],
                module=data.get("module"),
                details=form.detail_values(),
                category=Category.PORTAL if follows is None else Category.PORTAL_FOLLOW_UP,
                follows_case=follows,
                client_token=data.get("token"),
                incident=form.chosen_incident(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            remember_district(request, case.district, switch=False)
            return redirect("cases:submitted", number=case.number)
    return render(
        request, "cases/submit.html", {"form": form, "spec": spec}, status=400 if form.errors else 200
    )


def _token(request: HttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get("token", ""))
    except ValueError:
        return None


def _follow_up_of(request: HttpRequest, districts: list[District]) -> Case | HttpResponse | None:
    """The closed case a new case references ("Submit a new case referencing #N" on a case closed more than
    60 days ago), from ``?follows=N``; visibility first (404), then the district must be one the person may
    submit for (403). A case that is not closed is continued on its own page instead."""
    raw = request.GET.get("follows")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise Http404("No such case.")
    case = get_case_for_viewer(request.user, int(raw))
    if case.status != Status.CLOSED:
        messages.info(request, f"Case #{case.number} is still open: add your information to it.")
        return redirect("cases:detail", number=case.number)
    if case.district not in districts:
        raise PermissionDenied(f"Your role in {case.district.name} does not allow you to submit cases.")
    return case


def _follow_up_initial(case: Case, spec: CaseTypeSpec) -> dict[str, object]:
    closed = timezone.localdate(case.closed_at) if case.closed_at else None
    return {
        "district": case.district,
        "subject": f"Follow-up to #{case.number}: {case.subject}"[:255],
        "description": (
            f"This continues case #{case.number}, “{case.subject}”"
            + (f", closed on {closed:%B} {closed.day}, {closed.year}" if closed else "")
            + ".\n\nWhat happened since:\n"
        ),
        **({"module": case.module} if spec.uses_module and case.module else {}),
        **({"priority": case.priority} if case.priority != Priority.CRITICAL and not spec.outage else {}),
    }


def _follow_up_note(request: HttpRequest, case: Case) -> None:
    link = reverse("cases:detail", kwargs={"number": case.number})
    messages.info(
        request,
        format_html(
            'This new case will reference closed case <a href="{}">#{} {}</a>; support sees its history.',
            link,
            case.number,
            case.subject,
        ),
    )


@require_GET
@login_required
def submitted(request: HttpRequest, number: int) -> HttpResponse:
    """Confirmation after submitting. After an outage, the support phone number (shown nowhere else)."""
    case = get_case_for_viewer(request.user, number)
    spec = case.type_spec
    report = IncidentReport.objects.filter(case=case).select_related("notification").first()
    return render(
        request,
        "cases/submitted.html",
        {
            "case": case,
            "spec": spec,
            "details": spec.display_details(case.details),
            # A case linked to a known incident needs no call: support is already on it (seed 003).
            "support_phone": settings.SUPPORT_PHONE if spec.outage and report is None else None,
            "incident": report.notification if report is not None else None,
        },
    )
