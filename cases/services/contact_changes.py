"""Carrying out a Modify Support Contacts case in one step (SPEC §1, §10).

The case's details say what the district asked for: add a person, modify a contact's role or areas of
responsibility, replace one contact with another, or remove one. ``proposed_change`` turns them into the values
an advisor checks (and may correct) on the preview page; ``plan_change`` computes from those values and the
district's memberships exactly what will change, and what would be refused; ``contact_change_apply`` does it in
one transaction through the ``contacts`` services, under the district's lock, so what was previewed is what is
written or nothing is.

A new person gets an account with a random password nobody sees and an e-mail (through the outbox, sent on
commit) with a link to choose their own: a password is never sent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cases.casetypes import AREAS, CaseType
from cases.models import Case, CaseEvent
from cases.services.common import lock_case, modified, record_event, require_advisor, resolve_now
from cases.workflow import Status
from contacts import services as contacts
from contacts.models import (
    RECOMMENDED_SUPPORT_CONTACTS,
    RECOMMENDED_TECHNICAL_CONTACTS,
    District,
    Membership,
    Role,
    User,
)
from contacts.staffing import staffing_advice
from outbox.services import enqueue_email

REQUESTS = (("add", "Add"), ("modify", "Modify"), ("replace", "Replace"), ("remove", "Remove"))
# The request form's "Contact Type" offers three kinds; "Authorized" is the everyday role, a support contact
# (the advisor picks Implementation on the preview when that is what the district meant).
CONTACT_TYPE_ROLES = {"authorized": Role.SUPPORT, "technical": Role.TECHNICAL, "read_only": Role.READ_ONLY}
AREA_LABELS = dict(AREAS)

# The requests that name a person who gets a membership, and those that name an existing contact.
NEW_PERSON = frozenset({"add", "replace"})
EXISTING_CONTACT = frozenset({"modify", "replace", "remove"})


@dataclass(frozen=True)
class ContactChange:
    """The values of the preview form: what to do, to whom. ``target`` is the pk of the district's membership
    that is modified, replaced or removed."""

    request: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    title: str = ""
    phone: str = ""
    role: str = ""
    areas: tuple[str, ...] = ()
    target: int | None = None


@dataclass
class Plan:
    """What applying a change will do, step by step in words, or why it is refused (messages by field)."""

    steps: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    staffing: list[str] = field(default_factory=list)
    person: User | None = None  # the existing account of the person added (None: one is created)
    target: Membership | None = None
    own: Membership | None = None  # the person's existing (switched-off) membership in the district

    @property
    def digest(self) -> str:
        """A fingerprint of the steps shown: applying refuses when the steps are no longer those previewed."""
        return hashlib.sha256("\n".join(self.steps).encode()).hexdigest()[:32]


class PlanChanged(Exception):
    """What applying would do differs from what the page showed (the values were edited, or the district's
    contacts changed meanwhile): nothing was written; the new plan is shown for confirmation."""

    def __init__(self, plan: Plan) -> None:
        super().__init__("What this change does differs from the preview you saw. Check it and apply again.")
        self.plan = plan


def _name(user: User) -> str:
    return user.get_full_name() or user.email


def _areas(codes: Any) -> str:
    return ", ".join(AREA_LABELS.get(code, code) for code in codes) if codes else "none"


def district_memberships(district: District) -> list[Membership]:
    return list(
        Membership.objects.filter(district=district)
        .select_related("user")
        .order_by("-is_active", "user__last_name", "user__first_name", "pk")
    )


def _match(memberships: list[Membership], *, email: str = "", name: str = "") -> Membership | None:
    """The one membership whose person has this address, else this full name (ignoring case); None when
    none or several match (the advisor chooses)."""
    email, name = email.strip().lower(), " ".join(name.split()).casefold()
    if email:
        found = [m for m in memberships if m.user.email == email]
        if len(found) == 1:
            return found[0]
    if name:
        found = [m for m in memberships if " ".join(m.user.get_full_name().split()).casefold() == name]
        if len(found) == 1:
            return found[0]
    return None


def proposed_change(case: Case) -> ContactChange:
    """The change the case asks for, as the preview form's first values: the contact type mapped to a role,
    and the contact concerned found among the district's memberships by e-mail or name."""
    details = case.details or {}
    request = str(details.get("request_type") or "")
    first, last = str(details.get("contact_first_name") or ""), str(details.get("contact_last_name") or "")
    email = str(details.get("contact_email") or "")
    memberships = district_memberships(case.district)
    target = None
    if request == "replace":
        replaced = str(details.get("replacement_name") or "")
        target = _match(memberships, email=replaced if "@" in replaced else "", name=replaced)
    elif request in EXISTING_CONTACT:
        target = _match(memberships, email=email, name=f"{first} {last}")
    role = CONTACT_TYPE_ROLES.get(str(details.get("contact_type") or ""))
    if role is None and target is not None:
        role = Role(target.role)  # a replacement takes over the replaced contact's role unless told otherwise
    areas = details.get("areas") or ([] if target is None or request == "remove" else target.areas)
    phone = str(details.get("primary_phone") or details.get("secondary_phone") or "")
    return ContactChange(
        request=request,
        first_name=first,
        last_name=last,
        email=email,
        title=str(details.get("contact_title") or ""),
        phone=phone,
        role=str(role or ""),
        areas=tuple(areas),
        target=target.pk if target is not None else None,
    )


def plan_change(case: Case, change: ContactChange) -> Plan:
    """Exactly what applying ``change`` to the case's district would do, in the advisor's words, or why it is
    refused (keyed by the preview form's fields). Reads only; the apply service asks it again under the
    district's lock."""
    plan = Plan()
    district = case.district
    request = change.request
    if request not in dict(REQUESTS):
        plan.errors["request"] = "Choose what to do: add, modify, replace or remove a contact."
        return plan
    memberships = district_memberships(district)
    by_pk = {m.pk: m for m in memberships}
    role = Role(change.role) if change.role in Role.values else None

    # The contact concerned.
    target = by_pk.get(change.target) if change.target is not None else None
    if request in EXISTING_CONTACT:
        if target is None:
            plan.errors["target"] = f"Choose the {district.name} contact to {request}."
        elif request in ("replace", "remove") and not target.is_active:
            plan.errors["target"] = f"{_name(target.user)}'s membership is already switched off."
    plan.target = target
    if request in NEW_PERSON | {"modify"} and role is None:
        plan.errors["role"] = "Choose the role."

    # The person added (a new account, or an existing one with the same address and name).
    if request in NEW_PERSON:
        for name, label in (("first_name", "first name"), ("last_name", "last name"), ("email", "e-mail")):
            if not getattr(change, name).strip():
                plan.errors[name] = f"Enter the new contact's {label}."
        email = change.email.strip().lower()
        person = User.objects.filter(email=email).first() if email else None
        if person is not None:
            if not contacts.same_name(person, change.first_name, change.last_name):
                plan.errors["email"] = (
                    f"{email} is already used by {_name(person)}, a different person. Check the address "
                    "with the district."
                )
            elif person.is_staff:
                plan.errors["email"] = f"{email} is a support staff account, not a district contact."
            elif not person.is_active:
                plan.errors["email"] = (
                    f"{_name(person)}'s account is deactivated. Reactivate it (Users) first if they return."
                )
            else:
                own = next((m for m in memberships if m.user_id == person.pk), None)
                if own is not None and own.is_active:
                    plan.errors["email"] = (
                        f"{_name(person)} is already a {own.get_role_display().lower()} of {district.name}: "
                        "use a Modify request to change their role."
                    )
                plan.own = own
            plan.person = person
        if target is not None and person is not None and target.user_id == person.pk:
            plan.errors["email"] = "The new contact is the contact being replaced."

    # One active technical contact per district (SPEC §1), counted as it will be after the change.
    # (A switched-off membership holds no place: modifying one is checked when it is switched on again.)
    switched_off = request == "modify" and target is not None and not target.is_active
    if role == Role.TECHNICAL and "role" not in plan.errors and not switched_off:
        leaving = {target.pk} if target is not None else set()
        if plan.own is not None:
            leaving.add(plan.own.pk)
        holders = [m for m in memberships if m.role == Role.TECHNICAL and m.is_active and m.pk not in leaving]
        if holders:
            plan.errors["role"] = (
                f"{district.name} already has an active technical contact: {_name(holders[0].user)}. "
                "Replace that contact instead, or choose another role."
            )
    unchanged = target is not None and target.role == role and target.areas == _ordered(change.areas)
    if request == "modify" and unchanged and target is not None:
        plan.errors["role"] = (
            f"{_name(target.user)} already is a {target.get_role_display().lower()} with these areas of "
            "responsibility: nothing would change."
        )
    if plan.errors:
        return plan

    plan.steps = _steps(case, change, plan, role)
    plan.staffing = _staffing_after(memberships, change, plan, role)
    return plan


def _ordered(areas: tuple[str, ...] | list[str]) -> list[str]:
    return [code for code, _ in AREAS if code in set(areas)]


def _steps(case: Case, change: ContactChange, plan: Plan, role: Role | None) -> list[str]:
    district, target, steps = case.district.name, plan.target, []
    new_name = " ".join(f"{change.first_name.strip()} {change.last_name.strip()}".split())
    if change.request in ("replace", "remove") and target is not None:
        steps.append(
            f"Switch off {_name(target.user)}'s membership ({target.get_role_display()}) in {district}: they "
            "lose access at once and stop receiving its cases' notifications."
        )
    if change.request in NEW_PERSON and role is not None:
        areas = _areas(_ordered(change.areas))
        if plan.person is None:
            extra = ", ".join(v.strip() for v in (change.title, change.phone) if v.strip())
            steps.append(
                f"Create an account for {new_name} ({change.email.strip().lower()}{', ' + extra if extra else ''})"
                " and e-mail them a link to choose their own password."
            )
        if plan.own is not None:
            steps.append(
                f"Switch {_name(plan.own.user)}'s membership in {district} back on as {role.label}; "
                f"areas of responsibility: {areas}."
            )
        else:
            who = new_name if plan.person is None else f"{_name(plan.person)} (existing account)"
            steps.append(f"Give {who} the role {role.label} in {district}; areas of responsibility: {areas}.")
    if change.request == "modify" and target is not None and role is not None:
        if target.role != role:
            steps.append(
                f"Change {_name(target.user)}'s role in {district} from {target.get_role_display()} to "
                f"{role.label}."
            )
        new_areas = _ordered(change.areas)
        if list(target.areas or []) != new_areas:
            steps.append(
                f"Change {_name(target.user)}'s areas of responsibility from {_areas(target.areas)} to "
                f"{_areas(new_areas)}."
            )
    return steps


def _staffing_after(
    memberships: list[Membership], change: ContactChange, plan: Plan, role: Role | None
) -> list[str]:
    """The district's staffing once the change is made (``contacts.staffing``'s words)."""
    counted = {m.pk: (m.role, m.is_active and m.user.is_active) for m in memberships}
    target = plan.target
    if target is not None and change.request in ("replace", "remove"):
        counted[target.pk] = (target.role, False)
    if target is not None and change.request == "modify" and role is not None:
        counted[target.pk] = (role, counted[target.pk][1])
    if change.request in NEW_PERSON and role is not None:
        counted[plan.own.pk if plan.own is not None else 0] = (role, True)
    support = sum(1 for r, on in counted.values() if on and r == Role.SUPPORT)
    technical = sum(1 for r, on in counted.values() if on and r == Role.TECHNICAL)
    advice = staffing_advice(support, technical)
    if not advice:
        return [
            f"As recommended: {RECOMMENDED_SUPPORT_CONTACTS} support contacts and "
            f"{RECOMMENDED_TECHNICAL_CONTACTS} technical contact."
        ]
    return advice


def applied_event(case: Case) -> CaseEvent | None:
    """The event of the change already applied on this case, if any."""
    return (
        CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.CONTACTS_CHANGED)
        .select_related("actor")
        .order_by("pk")
        .first()
    )


def contact_change_apply(
    *, actor: User, case: Case, change: ContactChange, shown: str | None = None, now: datetime | None = None
) -> Plan:
    """Carry out a Modify Support Contacts case: every step of ``plan_change`` in one transaction, through the
    ``contacts`` services (each records its account event on the district), one event on the case, and the
    set-password e-mail to a new person, sent on commit. ``shown``: the digest of the plan the advisor
    confirmed; a different plan now raises ``PlanChanged``. Refusals raise ``ValidationError`` (by field) or
    ``PermissionDenied`` and write nothing. A case is applied once: a second apply is refused."""
    require_advisor(actor)
    with transaction.atomic():
        # The district first (the contacts services' turn-taking point, and the order they lock in), then the case.
        District.objects.select_for_update(no_key=True).get(pk=case.district_id)
        locked = lock_case(case)
        locked.district = case.district
        case = locked
        now = resolve_now(now)
        if case.case_type != CaseType.MODIFY_CONTACTS:
            raise ValidationError("Only a Modify Support Contacts case changes a district's contacts.")
        if case.status == Status.CLOSED:
            raise ValidationError("The case is closed: re-open it to apply its contact change.")
        done = applied_event(case)
        if done is not None:
            raise ValidationError(
                f"This change was already applied by {_name(done.actor) if done.actor else 'the portal'} "
                f"on {done.created_at:%d %b %Y}."
            )
        plan = plan_change(case, change)
        if plan.errors:
            raise ValidationError(plan.errors)
        if shown is not None and shown != plan.digest:
            raise PlanChanged(plan)
        _carry_out(actor, case, change, plan, now)
    return plan


def _carry_out(actor: User, case: Case, change: ContactChange, plan: Plan, now: datetime) -> None:
    role = Role(change.role) if change.role else None
    target, person, created = plan.target, plan.person, False
    district = case.district
    if (
        role is None and change.request != "remove"
    ):  # plan_change refuses it first; never a change without one
        raise ValidationError({"role": "Choose the role."})
    # Switched off first: a replacement may take the leaving contact's technical place.
    if target is not None and change.request in ("replace", "remove"):
        contacts.membership_set_active(
            actor=actor, membership=target, active=False, now=now, for_case=case.number
        )
    if change.request in NEW_PERSON and role is not None:
        if person is None:
            person = contacts.person_create(
                actor=actor,
                email=change.email,
                first_name=change.first_name,
                last_name=change.last_name,
                title=change.title,
                phone=change.phone,
                district=district,
                now=now,
                for_case=case.number,
            )
            created = True
            _invite(person, case)
        if plan.own is not None:
            # Role and areas while still off, then on: switching on checks the technical rule.
            contacts.membership_change_role(
                actor=actor, membership=plan.own, role=role, now=now, for_case=case.number
            )
            contacts.membership_set_areas(
                actor=actor, membership=plan.own, areas=change.areas, now=now, for_case=case.number
            )
            contacts.membership_set_active(
                actor=actor, membership=plan.own, active=True, now=now, for_case=case.number
            )
        else:
            contacts.membership_add(
                actor=actor,
                user=person,
                district=district,
                role=role,
                areas=change.areas,
                now=now,
                for_case=case.number,
            )
    if change.request == "modify" and target is not None and role is not None:
        contacts.membership_change_role(
            actor=actor, membership=target, role=role, now=now, for_case=case.number
        )
        contacts.membership_set_areas(
            actor=actor, membership=target, areas=change.areas, now=now, for_case=case.number
        )
    old = target.user_id if target is not None and change.request in ("replace", "remove") else None
    new = (
        person.pk
        if person is not None
        else (target.user_id if change.request == "modify" and target else None)
    )
    record_event(
        case,
        CaseEvent.Kind.CONTACTS_CHANGED,
        actor,
        now,
        old=old,
        new=new,
        request=change.request,
        role=str(role or (target.role if target is not None else "")),
        areas=_ordered(change.areas),
        created=created,
    )
    case.save(update_fields=modified(case, now, public=False))


def _invite(person: User, case: Case) -> None:
    """The new person's welcome: a link to choose their own password (the portal's password-reset page)."""
    enqueue_email(
        recipient=person,
        template="contact_welcome",
        context={
            "uid": urlsafe_base64_encode(force_bytes(person.pk)),
            "token": default_token_generator.make_token(person),
            "district": case.district.name,
        },
        key=f"contact-welcome-case-{case.pk}-user-{person.pk}",
    )
