"""Membership and account changes (contacts/services.py): each writes its row and one event; a refused change
writes nothing; losing access to a district takes the person off its cases' notification lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases.models import CaseEvent, Recipient
from cases.tests.factories import CaseFactory
from contacts.models import AccountEvent, Membership, Role, User
from contacts.services import (
    account_set_active,
    membership_add,
    membership_change_role,
    membership_set_active,
)
from contacts.tests.factories import AdvisorFactory, DistrictFactory, MembershipFactory, UserFactory
from tests.helpers import run_together

pytestmark = pytest.mark.django_db


def state() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every membership, account flag and event: a refused change leaves all of it as it was."""
    return (
        list(
            Membership.objects.order_by("pk").values_list("pk", "user_id", "district_id", "role", "is_active")
        ),
        list(User.objects.order_by("pk").values_list("pk", "is_active")),
        list(AccountEvent.objects.order_by("pk").values_list("pk")),
    )


def follow(case, *users: User) -> None:
    Recipient.objects.bulk_create([Recipient(case=case, user=user) for user in users])


def recipients(case) -> set[User]:
    return {r.user for r in Recipient.objects.filter(case=case).select_related("user")}


# --- adding -------------------------------------------------------------------------------------------------------


def test_adding_a_membership_writes_it_and_its_event(personas):
    person = UserFactory()
    membership = membership_add(
        actor=personas.advisor, user=person, district=personas.district_a, role=Role.IMPLEMENTATION
    )
    stored = Membership.objects.get(user=person)
    assert (stored.pk, stored.district, stored.role, stored.is_active) == (
        membership.pk,
        personas.district_a,
        Role.IMPLEMENTATION,
        True,
    )
    event = AccountEvent.objects.get(user=person)
    assert (event.kind, event.actor, event.district, event.old, event.new) == (
        "membership.added",
        personas.advisor,
        personas.district_a,
        "",
        "implementation",
    )
    assert event.data == {"membership": membership.pk, "active": True}


def test_a_second_active_technical_contact_is_refused_with_a_message_naming_the_first(personas):
    newcomer = UserFactory()
    before = state()
    with pytest.raises(ValidationError) as refused:
        membership_add(
            actor=personas.advisor, user=newcomer, district=personas.district_a, role=Role.TECHNICAL
        )
    message = refused.value.message_dict["role"][0]
    assert "Maple Grove Public Schools already has an active technical contact" in message
    assert personas.technical.get_full_name() in message
    assert state() == before


def test_a_deactivated_persons_technical_membership_still_holds_the_place_and_says_so(personas):
    account_set_active(actor=personas.advisor, user=personas.technical, active=False)
    newcomer = UserFactory()
    before = state()
    with pytest.raises(ValidationError, match=r"\(deactivated account\)\. Change their role"):
        membership_add(
            actor=personas.advisor, user=newcomer, district=personas.district_a, role=Role.TECHNICAL
        )
    assert state() == before


def test_a_person_belongs_to_a_district_once(personas):
    before = state()
    with pytest.raises(ValidationError) as refused:
        membership_add(
            actor=personas.advisor, user=personas.support, district=personas.district_a, role=Role.READ_ONLY
        )
    assert "already has a membership in Maple Grove Public Schools" in refused.value.message_dict["user"][0]
    assert state() == before


def test_a_technical_contact_may_be_added_switched_off_beside_the_active_one(personas):
    person = UserFactory()
    membership_add(
        actor=personas.advisor, user=person, district=personas.district_a, role=Role.TECHNICAL, active=False
    )
    assert Membership.objects.get(user=person).is_active is False


# --- who may act --------------------------------------------------------------------------------------------------


def every_change(personas) -> dict[str, Callable[[User], Any]]:
    membership = personas.support.memberships.get()
    newcomer = UserFactory()
    return {
        "add": lambda actor: membership_add(
            actor=actor, user=newcomer, district=personas.district_a, role=Role.SUPPORT
        ),
        "role": lambda actor: membership_change_role(actor=actor, membership=membership, role=Role.READ_ONLY),
        "switch off": lambda actor: membership_set_active(actor=actor, membership=membership, active=False),
        "account": lambda actor: account_set_active(actor=actor, user=personas.implementation, active=False),
    }


@pytest.mark.parametrize("change", ["add", "role", "switch off", "account"])
@pytest.mark.parametrize("who", ["technical", "support", "staff_without_role", "deactivated_advisor"])
def test_only_advisors_change_access(personas, change, who):
    actor = {
        "technical": personas.technical,
        "support": personas.support,
        "staff_without_role": UserFactory(is_staff=True),
        "deactivated_advisor": AdvisorFactory(is_active=False),
    }[who]
    call = every_change(personas)[change]
    before = state()
    with pytest.raises(PermissionDenied):
        call(actor)
    assert state() == before


def test_an_administrator_changes_access_too(personas):
    root = UserFactory(email="root@support.example.com", is_staff=True, is_superuser=True)
    membership_change_role(actor=root, membership=personas.support.memberships.get(), role=Role.READ_ONLY)
    assert AccountEvent.objects.get().actor == root


# --- changing the role --------------------------------------------------------------------------------------------


def test_changing_the_role_writes_it_and_an_event_with_the_codes(personas):
    membership = personas.support.memberships.get()
    membership_change_role(actor=personas.advisor, membership=membership, role=Role.IMPLEMENTATION)
    assert Membership.objects.get(pk=membership.pk).role == Role.IMPLEMENTATION
    event = AccountEvent.objects.get()
    assert (event.kind, event.user, event.district, event.old, event.new) == (
        "membership.role_changed",
        personas.support,
        personas.district_a,
        "support",
        "implementation",
    )


def test_the_same_role_again_changes_nothing(personas):
    membership_change_role(
        actor=personas.advisor, membership=personas.support.memberships.get(), role="support"
    )
    assert not AccountEvent.objects.exists()


def test_a_second_technical_contact_by_role_change_is_refused(personas):
    before = state()
    with pytest.raises(ValidationError, match="already has an active technical contact"):
        membership_change_role(
            actor=personas.advisor, membership=personas.support.memberships.get(), role=Role.TECHNICAL
        )
    assert state() == before


def test_the_technical_place_is_free_once_the_technical_contact_changes_role(personas):
    membership_change_role(
        actor=personas.advisor, membership=personas.technical.memberships.get(), role="support"
    )
    membership_change_role(
        actor=personas.advisor, membership=personas.support.memberships.get(), role="technical"
    )
    assert Membership.objects.get(district=personas.district_a, role=Role.TECHNICAL).user == personas.support


# --- switching a membership off and on ----------------------------------------------------------------------------


def test_switching_a_membership_off_takes_the_person_off_that_districts_cases_only(personas):
    person = personas.implementation
    other = MembershipFactory(user=person, district=personas.district_b, role=Role.SUPPORT)
    followed = CaseFactory(district=personas.district_a, contact=personas.support)
    owned = CaseFactory(district=personas.district_a, contact=person)
    elsewhere = CaseFactory(district=personas.district_b, contact=personas.other_district)
    follow(followed, personas.support, person, personas.technical)
    follow(owned, person)
    follow(elsewhere, personas.other_district, person)

    membership_set_active(
        actor=personas.advisor, membership=person.memberships.get(district=personas.district_a), active=False
    )

    assert person.memberships.get(district=personas.district_a).is_active is False
    assert Membership.objects.get(pk=other.pk).is_active is True
    assert recipients(followed) == {personas.support, personas.technical}
    assert recipients(owned) == {person}  # the owner stays on their own case's list
    assert recipients(elsewhere) == {personas.other_district, person}
    removal = CaseEvent.objects.get(case=followed, kind=CaseEvent.Kind.RECIPIENT_REMOVED)
    assert (removal.actor, removal.old) == (personas.advisor, str(person.pk))
    event = AccountEvent.objects.get()
    assert (event.kind, event.user, event.district, event.actor) == (
        "membership.deactivated",
        person,
        personas.district_a,
        personas.advisor,
    )
    assert event.data["recipient_of_cases_removed"] == [followed.number]
    assert event.data["role"] == "implementation"


def test_switching_a_membership_on_again_restores_access_and_records_it(personas):
    membership = personas.support.memberships.get()
    membership_set_active(actor=personas.advisor, membership=membership, active=False)
    membership_set_active(actor=personas.advisor, membership=membership, active=True)
    assert Membership.objects.get(pk=membership.pk).is_active is True
    assert list(AccountEvent.objects.values_list("kind", flat=True)) == [
        "membership.deactivated",
        "membership.reactivated",
    ]


def test_switching_a_second_technical_contact_on_is_refused(personas):
    person = UserFactory()
    membership = membership_add(
        actor=personas.advisor, user=person, district=personas.district_a, role=Role.TECHNICAL, active=False
    )
    before = state()
    with pytest.raises(ValidationError, match="already has an active technical contact"):
        membership_set_active(actor=personas.advisor, membership=membership, active=True)
    assert state() == before


# --- accounts -----------------------------------------------------------------------------------------------------


def test_deactivating_an_account_takes_the_person_off_every_case_they_follow_but_their_own(personas):
    person = personas.implementation
    MembershipFactory(user=person, district=personas.district_b, role=Role.SUPPORT)
    followed = CaseFactory(district=personas.district_a, contact=personas.support)
    owned = CaseFactory(district=personas.district_a, contact=person)
    elsewhere = CaseFactory(district=personas.district_b, contact=personas.other_district)
    follow(followed, personas.support, person)
    follow(owned, person)
    follow(elsewhere, personas.other_district, person)

    account_set_active(actor=personas.advisor, user=person, active=False)

    person.refresh_from_db()
    assert person.is_active is False
    assert recipients(followed) == {personas.support}
    assert recipients(elsewhere) == {personas.other_district}
    assert recipients(owned) == {person}
    # The memberships stay as they were: reactivating the account gives the same access back.
    assert list(person.memberships.values_list("is_active", flat=True)) == [True, True]
    event = AccountEvent.objects.get()
    assert (event.kind, event.user, event.district, event.actor) == (
        "account.deactivated",
        person,
        None,
        personas.advisor,
    )
    assert sorted(event.data["recipient_of_cases_removed"]) == sorted([followed.number, elsewhere.number])


def test_reactivating_an_account_records_it(personas):
    account_set_active(actor=personas.advisor, user=personas.deactivated, active=True)
    personas.deactivated.refresh_from_db()
    assert personas.deactivated.is_active is True
    assert AccountEvent.objects.get().kind == "account.reactivated"


def test_an_advisor_cannot_deactivate_a_staff_account(personas):
    colleague = AdvisorFactory()
    before = state()
    with pytest.raises(PermissionDenied, match="administrator"):
        account_set_active(actor=personas.advisor, user=colleague, active=False)
    assert state() == before


def test_an_administrator_deactivates_a_staff_account_but_not_their_own(personas):
    root = UserFactory(email="root@support.example.com", is_staff=True, is_superuser=True)
    account_set_active(actor=root, user=personas.advisor, active=False)
    assert User.objects.get(pk=personas.advisor.pk).is_active is False
    before = state()
    with pytest.raises(ValidationError, match="your own account"):
        account_set_active(actor=root, user=root, active=False)
    assert state() == before


# --- two changes at the same moment -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_advisors_making_two_people_technical_contact_at_once_make_one(personas):
    district = DistrictFactory(name="Willow Creek Schools")
    first, second = MembershipFactory.create_batch(2, district=district, role=Role.SUPPORT)
    colleague = AdvisorFactory()
    results = run_together(
        lambda: membership_change_role(actor=personas.advisor, membership=first, role=Role.TECHNICAL),
        lambda: membership_change_role(actor=colleague, membership=second, role=Role.TECHNICAL),
    )
    outcomes = sorted(kind if kind == "ok" else type(value).__name__ for kind, value in results)
    assert outcomes == ["ValidationError", "ok"]
    assert Membership.objects.filter(district=district, role=Role.TECHNICAL, is_active=True).count() == 1
    assert AccountEvent.objects.filter(kind="membership.role_changed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_advisors_adding_the_same_person_at_once_add_them_once(personas):
    person = UserFactory()
    colleague = AdvisorFactory()
    results = run_together(
        lambda: membership_add(
            actor=personas.advisor, user=person, district=personas.district_b, role="support"
        ),
        lambda: membership_add(actor=colleague, user=person, district=personas.district_b, role="read_only"),
    )
    outcomes = sorted(kind if kind == "ok" else type(value).__name__ for kind, value in results)
    assert outcomes == ["ValidationError", "ok"]
    assert Membership.objects.filter(user=person).count() == 1
    assert AccountEvent.objects.filter(user=person).count() == 1
