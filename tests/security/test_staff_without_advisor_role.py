"""A staff account is not an advisor: without the advisor role it reads no district data and writes nothing.

Being an advisor means holding the advisor permission (through the Advisors group, directly, or as an
administrator), checked in one place (``User.objects.advisors()``), never staff status alone.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from cases.models import Case
from cases.tests.factories import CaseFactory
from cases.tests.helpers import row_counts
from cases.tests.page_helpers import post_data
from contacts.access import is_advisor, visible_districts
from contacts.models import District, User
from contacts.tests.factories import AdvisorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bare_staff() -> User:
    """A staff account with no group and no permission: it can log in to the admin and nothing more."""
    return UserFactory(email="new.hire@support.example.com", is_staff=True)


def test_staff_status_alone_is_not_the_advisor_role(personas, bare_staff: User) -> None:
    assert not is_advisor(bare_staff)
    assert not visible_districts(bare_staff).exists()
    assert not Case.objects.visible_to(bare_staff).exists()
    assert list(User.objects.advisors()) == [personas.advisor]


def test_the_advisor_role_comes_from_the_group_a_direct_permission_or_administrator_status(personas) -> None:
    direct = UserFactory(email="direct@support.example.com", is_staff=True)
    direct.user_permissions.add(Permission.objects.get(codename="work_cases"))
    administrator = UserFactory(email="root@support.example.com", is_staff=True, is_superuser=True)
    former = AdvisorFactory(is_active=False)
    no_staff = UserFactory(email="not.staff@support.example.com")
    no_staff.user_permissions.add(Permission.objects.get(codename="work_cases"))
    assert set(User.objects.advisors()) == {personas.advisor, direct, administrator}
    for person in (personas.advisor, direct, administrator):
        assert is_advisor(User.objects.get(pk=person.pk))
    for person in (former, no_staff):
        assert not is_advisor(User.objects.get(pk=person.pk))


def test_a_staff_account_without_the_role_reads_no_case_list_case_page_or_export(
    client: Client, personas, bare_staff: User
) -> None:
    case = CaseFactory(district=personas.district_a, contact=personas.support, subject="Grades vanished")
    client.force_login(bare_staff)
    listing = client.get(reverse("cases:list"))
    assert b"Grades vanished" not in listing.content
    assert client.get(reverse("cases:detail", args=[case.number])).status_code == 404
    assert client.get(reverse("cases:feed", args=[case.number]), HTTP_HX_REQUEST="true").status_code == 404
    export = client.get(reverse("cases:export"))
    assert b"Grades vanished" not in b"".join(
        export.streaming_content if export.streaming else [export.content]
    )
    assert client.get(reverse("district-detail", args=[personas.district_a.slug])).status_code == 404
    assert client.get(reverse("admin:cases_case_changelist")).status_code == 403


def test_a_staff_account_without_the_role_cannot_write_an_internal_note(
    client: Client, personas, bare_staff: User
) -> None:
    case = CaseFactory(district=personas.district_a, contact=personas.support)
    before = row_counts()
    client.force_login(bare_staff)
    response = client.post(
        reverse("cases:post", args=[case.number]), post_data("<p>Internal</p>", internal="on")
    )
    assert response.status_code == 404
    assert row_counts() == before


def test_a_case_cannot_be_assigned_to_a_staff_account_without_the_role(personas, bare_staff: User) -> None:
    field = Case._meta.get_field("assigned_to")
    choices = User.objects.complex_filter(field.get_limit_choices_to())
    assert personas.advisor in choices
    assert bare_staff not in choices
    assert District.objects.visible_to(personas.advisor).count() == District.objects.count()
