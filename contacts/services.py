"""Every change to a person's access goes through one of these functions (DESIGN §1, §2 rules 2 and 3):
memberships added, their role changed, switched off or on, and accounts deactivated or reactivated.

Shape of each: only advisors and administrators act (``PermissionDenied`` otherwise); lock the rows in a fixed
order (the district, then the membership; the user's row for an account); check the rule; write; record an
``AccountEvent`` in the same transaction. A refused change raises ``ValidationError`` (keyed by field) or
``PermissionDenied`` and writes nothing. The database constraints on ``Membership`` stay as the last guard; the
district's row lock makes two simultaneous changes of one district's contacts take turns, so the second is
answered with a message, not an integrity error.

Whoever loses access to a district stops being a notification recipient of its cases: the rows are removed
through the cases service (one case event each), so the case page lists only people who still get its e-mail.
The case's owner (its contact) stays on its list: ownership moves with a contact-change case.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from cases.models import Case, CaseEvent
from cases.services import recipients_remove
from contacts.access import is_advisor
from contacts.models import AccountEvent, District, Membership, Role, User
from outbox.services import enqueue_email
from portal.lib.businesstime import INACTIVITY_PERIOD, inactivity_flag_at


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def _require_advisor(actor: User) -> None:
    if not is_advisor(actor):
        raise PermissionDenied("Only a support advisor or an administrator can change people's access.")


def _event(
    kind: AccountEvent.Kind,
    *,
    actor: User,
    user: User,
    now: datetime,
    district: District | None = None,
    old: str = "",
    new: str = "",
    **data: Any,
) -> AccountEvent:
    return AccountEvent.objects.create(
        kind=kind, actor=actor, user=user, district=district, old=old, new=new, data=data, created_at=now
    )


def _lock_district(district_id: int) -> District:
    """The district's row is the turn-taking point for changes of its contacts. ``FOR NO KEY UPDATE`` does not
    block a case being submitted for the district meanwhile (an insert only takes a key-share lock)."""
    return District.objects.select_for_update(no_key=True).get(pk=district_id)


def _lock_membership(membership_id: int) -> Membership:
    return (
        Membership.objects.select_for_update(no_key=True, of=("self",))
        .select_related("user", "district")
        .get(pk=membership_id)
    )


def _person(user: User) -> str:
    name = user.get_full_name() or user.email
    return name if user.is_active else f"{name} (deactivated account)"


def membership_rule_errors(
    *, user: User, district: District, role: Role | str, is_active: bool, membership_pk: int | None = None
) -> dict[str, str]:
    """What a membership with these values would break, by field (SPEC §1): a person belongs to a district once,
    and a district has at most one active technical contact (a deactivated person's membership still holds the
    place until it is switched off or changed). The services ask it under the district's lock; the admin's forms
    ask it first so the advisor sees the message next to the field."""
    errors: dict[str, str] = {}
    others = Membership.objects.filter(district=district)
    if membership_pk is not None:
        others = others.exclude(pk=membership_pk)
    if others.filter(user=user).exists():
        errors["user"] = (
            f"{_person(user)} already has a membership in {district.name}; change that one instead."
        )
    if role == Role.TECHNICAL and is_active:
        current = others.filter(role=Role.TECHNICAL, is_active=True).select_related("user").first()
        if current is not None:
            errors["role"] = (
                f"{district.name} already has an active technical contact: {_person(current.user)}. "
                "Change their role or switch their membership off first."
            )
    return errors


def _why(for_case: int | None) -> dict[str, Any]:
    """What asked for the change, kept on its event: the number of the case (a contact-change case)."""
    return {} if for_case is None else {"case": for_case}


def _areas_data(areas: list[str]) -> dict[str, Any]:
    """Areas of responsibility on an added membership's event, when any were given."""
    return {"areas": areas} if areas else {}


def _check(**values: Any) -> None:
    errors = membership_rule_errors(**values)
    if errors:
        raise ValidationError(errors)


def _remove_from_recipients(
    *, actor: User, user: User, now: datetime, district: District | None = None
) -> list[int]:
    """Take the person off the notification lists of the district's cases (every district's when
    ``district`` is None), except the cases they own; the numbers of the cases changed. Case rows are locked
    in a fixed order (by id), after the district's or user's row."""
    cases = Case.objects.filter(recipients__user=user).exclude(contact=user).order_by("pk")
    if district is not None:
        cases = cases.filter(district=district)
    numbers = []
    for case in cases.select_related("district", "contact"):
        if recipients_remove(actor=actor, case=case, users=[user], now=now):
            numbers.append(case.number)
    return numbers


@transaction.atomic
def membership_add(
    *,
    actor: User,
    user: User,
    district: District,
    role: Role | str,
    active: bool = True,
    areas: Sequence[str] = (),
    now: datetime | None = None,
    for_case: int | None = None,
) -> Membership:
    """Give a person a role (and areas of responsibility) in a district. ``for_case``: the number of the case
    that asked for the change, kept on the event (as in every service below)."""
    _require_advisor(actor)
    role = Role(role)
    district = _lock_district(district.pk)
    now = _now(now)  # after the lock: the order of events is the order of the locks
    _check(user=user, district=district, role=role, is_active=active)
    areas = _clean_areas(areas)
    membership = Membership.objects.create(
        user=user, district=district, role=role, is_active=active, areas=areas
    )
    _event(
        AccountEvent.Kind.MEMBERSHIP_ADDED,
        actor=actor,
        user=user,
        district=district,
        now=now,
        new=role,
        membership=membership.pk,
        active=active,
        **_areas_data(areas),
        **_why(for_case),
    )
    return membership


@transaction.atomic
def membership_change_role(
    *,
    actor: User,
    membership: Membership,
    role: Role | str,
    now: datetime | None = None,
    for_case: int | None = None,
) -> Membership:
    """Change a person's role in a district. Their notification lists stay: every role may follow a case."""
    _require_advisor(actor)
    role = Role(role)
    _lock_district(membership.district_id)
    membership = _lock_membership(membership.pk)
    now = _now(now)
    if membership.role == role:
        return membership
    _check(
        user=membership.user,
        district=membership.district,
        role=role,
        is_active=membership.is_active,
        membership_pk=membership.pk,
    )
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    _event(
        AccountEvent.Kind.MEMBERSHIP_ROLE_CHANGED,
        actor=actor,
        user=membership.user,
        district=membership.district,
        now=now,
        old=old,
        new=role,
        membership=membership.pk,
        **_why(for_case),
    )
    return membership


@transaction.atomic
def membership_set_active(
    *,
    actor: User,
    membership: Membership,
    active: bool,
    now: datetime | None = None,
    for_case: int | None = None,
) -> Membership:
    """Switch a membership off (the person loses access to the district at once and leaves its cases'
    notification lists) or on again (access comes back; the notification lists do not)."""
    _require_advisor(actor)
    _lock_district(membership.district_id)
    membership = _lock_membership(membership.pk)
    now = _now(now)
    if membership.is_active == active:
        return membership
    if active:
        _check(
            user=membership.user,
            district=membership.district,
            role=membership.role,
            is_active=True,
            membership_pk=membership.pk,
        )
    membership.is_active = active
    membership.save(update_fields=["is_active", "updated_at"])
    data: dict[str, Any] = {"membership": membership.pk, "role": membership.role, **_why(for_case)}
    if not active:
        data["recipient_of_cases_removed"] = _remove_from_recipients(
            actor=actor, user=membership.user, district=membership.district, now=now
        )
    _event(
        AccountEvent.Kind.MEMBERSHIP_REACTIVATED if active else AccountEvent.Kind.MEMBERSHIP_DEACTIVATED,
        actor=actor,
        user=membership.user,
        district=membership.district,
        now=now,
        **data,
    )
    return membership


def _clean_areas(areas: Sequence[str]) -> list[str]:
    from cases.casetypes import AREAS  # the list the Modify Support Contacts form offers

    known = [code for code, _ in AREAS]
    unknown = sorted(set(areas) - set(known))
    if unknown:
        raise ValidationError({"areas": f"Unknown area of responsibility: {', '.join(unknown)}."})
    return [code for code in known if code in set(areas)]  # stored in the form's order, once each


@transaction.atomic
def membership_set_areas(
    *,
    actor: User,
    membership: Membership,
    areas: Sequence[str],
    now: datetime | None = None,
    for_case: int | None = None,
) -> Membership:
    """Change the areas of the product a person is the district's contact for (they grant no access)."""
    _require_advisor(actor)
    _lock_district(membership.district_id)
    membership = _lock_membership(membership.pk)
    now = _now(now)
    new = _clean_areas(areas)
    if new == list(membership.areas or []):
        return membership
    old = list(membership.areas or [])
    membership.areas = new
    membership.save(update_fields=["areas", "updated_at"])
    _event(
        AccountEvent.Kind.MEMBERSHIP_AREAS_CHANGED,
        actor=actor,
        user=membership.user,
        district=membership.district,
        now=now,
        membership=membership.pk,
        old_areas=old,
        new_areas=new,
        **_why(for_case),
    )
    return membership


def same_name(user: User, first_name: str, last_name: str) -> bool:
    """Whether a typed name is the account's name, ignoring case and surrounding spaces."""
    return (user.first_name.strip().casefold(), user.last_name.strip().casefold()) == (
        first_name.strip().casefold(),
        last_name.strip().casefold(),
    )


@transaction.atomic
def person_create(
    *,
    actor: User,
    email: str,
    first_name: str,
    last_name: str,
    title: str = "",
    phone: str = "",
    district: District | None = None,
    now: datetime | None = None,
    for_case: int | None = None,
) -> User:
    """Create a contact's account. Its password is random and never shown or sent: the person chooses their
    own through the password-reset link (which works for any account with a usable password, so "Forgot your
    password?" also works for them later). An address already used by another account is refused."""
    _require_advisor(actor)
    email = email.strip().lower()
    now = _now(now)
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": f"Another account already uses {email}."})
    user = User(
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        title=title.strip(),
        phone=phone.strip(),
        date_joined=now,
    )
    user.set_password(secrets.token_urlsafe(32))
    user.full_clean(exclude=["password"])
    try:
        with (
            transaction.atomic()
        ):  # the address taken meanwhile by another request: a message, not an error page
            user.save()
    except IntegrityError:
        raise ValidationError({"email": f"Another account already uses {email}."}) from None
    _event(
        AccountEvent.Kind.ACCOUNT_CREATED,
        actor=actor,
        user=user,
        district=district,
        now=now,
        **_why(for_case),
    )
    return user


@transaction.atomic
def account_set_active(*, actor: User, user: User, active: bool, now: datetime | None = None) -> User:
    """Deactivate an account (the person can no longer log in, gets no e-mail and leaves every case's
    notification list) or reactivate it (memberships as they were; notification lists not restored).
    Advisors change contacts' accounts; staff accounts are administrators' alone; nobody deactivates their own."""
    _require_advisor(actor)
    if user.pk == actor.pk and not active:
        raise ValidationError({"is_active": "You cannot deactivate your own account."})
    user = User.objects.select_for_update(no_key=True).get(pk=user.pk)
    now = _now(now)
    if (user.is_staff or user.is_superuser) and not actor.is_superuser:
        raise PermissionDenied("Only an administrator can change a staff account.")
    if user.is_active == active:
        return user
    _set_active(actor=actor, user=user, active=active, now=now)
    return user


def _set_active(*, actor: User, user: User, active: bool, now: datetime, **reason: Any) -> None:
    """Write an account's change of state on its locked row, with its event (``reason``: kept on the event)."""
    user.is_active = active
    fields = ["is_active"]
    if active:
        # An advisor vouched for the person: the inactivity clock starts again from now, with no flag.
        user.inactive_from = inactivity_flag_at(now)
        user.inactivity_flagged_at = None
        fields += ["inactive_from", "inactivity_flagged_at"]
    user.save(update_fields=fields)
    data: dict[str, Any] = dict(reason)
    if not active:
        data["recipient_of_cases_removed"] = _remove_from_recipients(actor=actor, user=user, now=now)
    _event(
        AccountEvent.Kind.ACCOUNT_REACTIVATED if active else AccountEvent.Kind.ACCOUNT_DEACTIVATED,
        actor=actor,
        user=user,
        now=now,
        **data,
    )


# ---------------------------------------------------------------------------------------------------------------
# Inactivity (SPEC §8): a contact with no login and no case activity for 180 days is flagged for deactivation
# and told by e-mail, once; using the portal again clears the flag; advisors deactivate flagged accounts.
#
# ``User.inactive_from`` is the moment the person becomes inactive if nothing happens: moved on by every use of
# the portal (the middleware calls ``account_record_activity``; a login and every case action are requests).
# The job reads it as its due moment and re-checks inside the row lock against the person's own case events,
# so an action that did not pass the middleware still counts. The row lock orders a flag and a login: the
# login's write waits for the flag and clears it (with an event), or the flag's re-check sees the login.


def inactive_contacts_due(now: datetime) -> QuerySet[User]:
    """Active contacts not yet flagged who have become inactive at ``now``, longest inactive first (the
    partial index ``user_inactivity_due``)."""
    return User.objects.filter(
        is_active=True, is_staff=False, inactivity_flagged_at__isnull=True, inactive_from__lte=now
    ).order_by("inactive_from")


def latest_activity(user: User) -> datetime:
    """The person's latest login, use of the portal or case action (post, submission, close, re-open,
    permission, recipient change: every case event they are the actor of), or when they joined."""
    latest_case_event = CaseEvent.objects.filter(actor_id=user.pk).aggregate(latest=Max("created_at"))[
        "latest"
    ]
    return max(moment for moment in (user.latest_activity(), latest_case_event) if moment)


def account_flag_inactive(*, user_id: int, now: datetime) -> str | None:
    """The inactivity job's work on one contact: flag them and queue the warning, once. Claims the row (one
    another process holds is skipped and stays due), re-checks that the person is still due and really
    inactive; otherwise corrects the due moment and does nothing. ``None`` when nothing was done."""
    with transaction.atomic(durable=True):
        user = (
            inactive_contacts_due(now)
            .select_for_update(skip_locked=True, no_key=True)
            .filter(pk=user_id)
            .first()
        )
        if user is None:
            return None  # held by a request or another run, flagged already, or active again
        last = latest_activity(user)
        became_inactive = inactivity_flag_at(last)
        if became_inactive > now:
            # An activity the stored moment missed: the person is not inactive; they become so later.
            user.inactive_from = became_inactive
            user.save(update_fields=["inactive_from"])
            return None
        user.inactive_from = became_inactive
        user.inactivity_flagged_at = now
        user.save(update_fields=["inactive_from", "inactivity_flagged_at"])
        period = became_inactive.astimezone(UTC).isoformat()
        AccountEvent.objects.create(
            kind=AccountEvent.Kind.INACTIVITY_FLAGGED,
            actor=None,
            user=user,
            new=period,
            data={"last_activity": last.isoformat()},
            created_at=now,
        )
        enqueue_email(
            recipient=user,
            template="inactivity_warning",
            context={"last_activity": last, "days": INACTIVITY_PERIOD.days},
            key=f"user-{user.pk}-inactive-from-{period}",
        )
        return f"flagged {user.email}: no activity since {last:%Y-%m-%d}"


def account_record_activity(*, user: User, now: datetime | None = None) -> None:
    """Record that the person used the portal at ``now``: their inactivity clock starts again, and a flag is
    cleared (with an event). One UPDATE when the person is not flagged, the usual case."""
    now = _now(now)
    moved = {"last_activity_at": now, "inactive_from": inactivity_flag_at(now)}
    if User.objects.filter(pk=user.pk, inactivity_flagged_at__isnull=True).update(**moved):
        return
    with transaction.atomic():
        flagged_at = (
            User.objects.select_for_update(no_key=True)
            .filter(pk=user.pk)
            .values_list("inactivity_flagged_at", flat=True)
            .first()
        )
        User.objects.filter(pk=user.pk).update(**moved, inactivity_flagged_at=None)
        if flagged_at is not None:
            AccountEvent.objects.create(
                kind=AccountEvent.Kind.INACTIVITY_CLEARED,
                actor=user,
                user=user,
                data={"flagged_at": flagged_at.isoformat()},
                created_at=now,
            )


@dataclass
class InactiveDeactivation:
    deactivated: list[User]
    kept: list[User]  # no longer flagged (they came back meanwhile), already deactivated, or staff


def accounts_deactivate_inactive(
    *, actor: User, users: Iterable[User], now: datetime | None = None
) -> InactiveDeactivation:
    """Deactivate the flagged contacts among ``users`` (the admin's bulk action), each in its own transaction
    like ``account_set_active``: the person leaves every case's notification list, and the event records that
    inactivity was the reason. A person who used the portal since the list was shown is no longer flagged and
    is kept."""
    _require_advisor(actor)
    result = InactiveDeactivation([], [])
    for pk in sorted({user.pk for user in users}):
        with transaction.atomic():
            user = User.objects.select_for_update(no_key=True).get(pk=pk)
            flagged_at = user.inactivity_flagged_at
            if not user.is_active or flagged_at is None or user.is_staff or user.is_superuser:
                result.kept.append(user)
                continue
            _set_active(
                actor=actor,
                user=user,
                active=False,
                now=_now(now),
                reason="inactivity",
                flagged_at=flagged_at.isoformat(),
            )
            result.deactivated.append(user)
    return result
