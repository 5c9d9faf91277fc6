"""The case model's own guarantees: case numbers, the module list, database constraints, visibility."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cases.casetypes import CaseType
from cases.models import Case, Module, Priority
from cases.selectors import get_case_for_viewer
from cases.tests.factories import CaseFactory, ModuleFactory, put_in_status
from cases.workflow import Status
from contacts.models import Membership, Role
from contacts.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


# --- case numbers -------------------------------------------------------------------------------------------


def test_case_numbers_are_sequential_and_never_reused(personas):
    first, second, third = (
        CaseFactory(district=personas.district_a, contact=personas.support) for _ in range(3)
    )
    assert [second.number - first.number, third.number - second.number] == [1, 1]
    number = third.number
    third.delete()
    after = CaseFactory(district=personas.district_a, contact=personas.support)
    assert after.number > number
    assert not Case.objects.filter(number=number).exists()


def test_case_numbers_are_unique_in_the_database(personas):
    case = CaseFactory(district=personas.district_a, contact=personas.support)
    other = CaseFactory(district=personas.district_a, contact=personas.support)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Case.objects.filter(pk=other.pk).update(number=case.number)


def test_the_number_is_known_right_after_creation(personas):
    case = CaseFactory(district=personas.district_a, contact=personas.support)
    assert case.number == Case.objects.get(pk=case.pk).number
    assert str(case) == f"#{case.number} {case.subject}"


# --- modules --------------------------------------------------------------------------------------------------


def test_modules_are_alphabetical_with_not_applicable_last(db):
    names = ["Scheduling", Module.NOT_APPLICABLE, "Attendance", "Zz Last Letter", "Grade Book"]
    for name in names:
        ModuleFactory(name=name)
    listed = list(Module.objects.filter(name__in=names).values_list("name", flat=True))
    assert listed == ["Attendance", "Grade Book", "Scheduling", "Zz Last Letter", Module.NOT_APPLICABLE]


def test_the_form_offers_active_modules_in_order_and_hides_inactive_ones(client, personas):
    Module.objects.all().delete()
    for name in ["Scheduling", Module.NOT_APPLICABLE, "Attendance"]:
        ModuleFactory(name=name)
    ModuleFactory(name="Legacy Scheduler", is_active=False)
    client.force_login(personas.support)
    html = client.get(reverse("cases:submit", args=["ask-a-question"])).text
    select = html[html.index('name="module"') :].split("</select>")[0]
    offered = [line.split(">", 1)[1].split("<", 1)[0] for line in select.split("<option")[2:]]
    assert offered == ["Attendance", "Scheduling", Module.NOT_APPLICABLE]


def test_the_seeded_module_list_is_realistic(db):
    # Run the seeding migration's function again (a transaction=True test flushes the seeded rows).
    seed = importlib.import_module("cases.migrations.0002_modules")
    Module.objects.all().delete()
    seed.add_modules(django_apps, None)
    names = list(Module.objects.values_list("name", flat=True))
    assert len(names) >= 20
    assert names[-1] == Module.NOT_APPLICABLE
    assert names[:-1] == sorted(names[:-1])
    assert {"Attendance", "Grade Book", "Scheduling", "Census"} <= set(names)


# --- database constraints ----------------------------------------------------------------------------------


@pytest.fixture
def case(personas):
    return CaseFactory(district=personas.district_a, contact=personas.support)


def raw_update_fails(case: Case, **values) -> None:
    with transaction.atomic(), pytest.raises(IntegrityError):
        Case.objects.filter(pk=case.pk).update(**values)


@pytest.mark.parametrize("case_type", [t for t in CaseType if t != CaseType.REPORT_OUTAGE])
def test_critical_is_refused_by_the_database_except_for_outages(case, case_type):
    raw_update_fails(case, case_type=case_type, priority=Priority.CRITICAL)


def test_an_outage_may_be_critical(case):
    Case.objects.filter(pk=case.pk).update(case_type=CaseType.REPORT_OUTAGE, priority=Priority.CRITICAL)
    assert Case.objects.get(pk=case.pk).priority == Priority.CRITICAL


def test_a_closed_case_without_closed_at_is_refused_by_the_database(case):
    raw_update_fails(case, status=Status.CLOSED, closed_at=None)


@pytest.mark.parametrize("status", [s for s in Status if s != Status.CLOSED])
def test_an_open_case_with_closed_at_is_refused_by_the_database(case, status):
    raw_update_fails(case, status=status, closed_at=timezone.now())


def test_a_closed_case_with_closed_at_is_accepted(case, personas):
    case = put_in_status(case, Status.CLOSED, advisor=personas.advisor)
    assert case.closed_at is not None


# --- the access chokepoint: the list and the getter agree for every persona --------------------------------

EXPECTED_VISIBLE = {
    "support": {"maple-grove"},
    "technical": {"maple-grove"},
    "implementation": {"maple-grove"},
    "read_only": {"maple-grove"},
    "other_district": {"cedar-falls"},
    "advisor": {"maple-grove", "cedar-falls"},
    "deactivated": set(),
}


@pytest.fixture
def one_case_per_district(personas) -> dict[str, Case]:
    return {
        "maple-grove": CaseFactory(district=personas.district_a, contact=personas.support),
        "cedar-falls": CaseFactory(district=personas.district_b, contact=personas.other_district),
    }


@pytest.mark.parametrize("persona", sorted(EXPECTED_VISIBLE))
def test_the_case_list_and_the_case_getter_agree_for_every_persona(personas, one_case_per_district, persona):
    user = personas.all()[persona]
    visible = set(Case.objects.visible_to(user).values_list("district__slug", flat=True))
    assert visible == EXPECTED_VISIBLE[persona]
    assert Case.objects.visible_to(user).count() == len(visible)  # no duplicate rows from the join
    for slug, case in one_case_per_district.items():
        if slug in visible:
            assert get_case_for_viewer(user, case.number) == case
        else:
            with pytest.raises(Http404):
                get_case_for_viewer(user, case.number)


def test_a_contact_with_several_districts_sees_each_case_once(personas, one_case_per_district):
    MembershipFactory(user=personas.support, district=personas.district_b, role=Role.READ_ONLY)
    visible = list(Case.objects.visible_to(personas.support))
    assert sorted(c.pk for c in visible) == sorted(c.pk for c in one_case_per_district.values())


def test_a_turned_off_membership_hides_the_districts_cases(personas, one_case_per_district):
    Membership.objects.filter(user=personas.support).update(is_active=False)
    assert not Case.objects.visible_to(personas.support).exists()
    with pytest.raises(Http404):
        get_case_for_viewer(personas.support, one_case_per_district["maple-grove"].number)


def test_a_missing_and_a_foreign_case_answer_the_same(personas, one_case_per_district):
    with pytest.raises(Http404) as foreign:
        get_case_for_viewer(personas.other_district, one_case_per_district["maple-grove"].number)
    with pytest.raises(Http404) as missing:
        get_case_for_viewer(personas.other_district, 10**12)
    assert str(foreign.value) == str(missing.value)
