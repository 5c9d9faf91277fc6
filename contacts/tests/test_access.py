"""The access chokepoint, checked for every persona (DESIGN §2 rule 1, RELIABILITY §1)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from contacts.access import (
    ROLE_CAPABILITIES,
    Capability,
    get_district_for_viewer,
    has_capability,
    require_capability,
    visible_districts,
)
from contacts.models import Membership, Role

pytestmark = pytest.mark.django_db

EXPECTED_VISIBLE = {
    "support": {"maple-grove"},
    "technical": {"maple-grove"},
    "implementation": {"maple-grove"},
    "read_only": {"maple-grove"},
    "other_district": {"cedar-falls"},
    "advisor": {"maple-grove", "cedar-falls"},
    "deactivated": set(),
}


@pytest.mark.parametrize("persona", sorted(EXPECTED_VISIBLE))
def test_each_persona_sees_exactly_their_districts(personas, persona):
    user = personas.all()[persona]
    assert set(visible_districts(user).values_list("slug", flat=True)) == EXPECTED_VISIBLE[persona]


@pytest.mark.parametrize("persona", sorted(EXPECTED_VISIBLE))
def test_the_list_queryset_and_the_getter_agree(personas, persona):
    user = personas.all()[persona]
    visible = set(visible_districts(user).values_list("slug", flat=True))
    for district in (personas.district_a, personas.district_b):
        if district.slug in visible:
            assert get_district_for_viewer(user, district.slug) == district
        else:
            with pytest.raises(Http404):
                get_district_for_viewer(user, district.slug)


def test_anonymous_sees_nothing(personas):
    assert not visible_districts(AnonymousUser()).exists()
    with pytest.raises(Http404):
        get_district_for_viewer(AnonymousUser(), "maple-grove")


def test_a_missing_and_a_foreign_district_answer_the_same(personas):
    with pytest.raises(Http404) as foreign:
        get_district_for_viewer(personas.other_district, "maple-grove")
    with pytest.raises(Http404) as missing:
        get_district_for_viewer(personas.other_district, "no-such-district")
    assert str(foreign.value) == str(missing.value)


ALLOWED = {
    "support": set(Capability) - {Capability.SUBMIT_SERVER},
    "technical": set(Capability),
    "implementation": set(Capability) - {Capability.SUBMIT_SERVER},
    "read_only": {Capability.VIEW, Capability.MANAGE_OWN_NOTIFICATIONS},
    "other_district": set(),
    "advisor": set(Capability),
    "deactivated": set(),
}


@pytest.mark.parametrize("persona", sorted(ALLOWED))
@pytest.mark.parametrize("capability", list(Capability), ids=lambda c: c.name)
def test_role_capabilities_in_district_a(personas, persona, capability):
    user = personas.all()[persona]
    allowed = capability in ALLOWED[persona]
    assert has_capability(user, personas.district_a, capability) is allowed
    if allowed:
        require_capability(user, personas.district_a, capability)
    else:
        with pytest.raises(PermissionDenied):
            require_capability(user, personas.district_a, capability)


def test_every_role_has_a_row_in_the_capability_table():
    assert set(ROLE_CAPABILITIES) == set(Role)


def test_removing_a_membership_removes_access_at_once(personas):
    Membership.objects.filter(user=personas.support).delete()
    assert not visible_districts(personas.support).exists()
    assert not has_capability(personas.support, personas.district_a, Capability.VIEW)


def test_turning_a_membership_off_removes_access_at_once(personas):
    Membership.objects.filter(user=personas.support).update(is_active=False)
    with pytest.raises(Http404):
        get_district_for_viewer(personas.support, "maple-grove")


@pytest.mark.urls("contacts.tests.probe_urls")
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("support", 200),
        ("technical", 200),
        ("implementation", 200),
        ("read_only", 403),
        ("other_district", 404),
        ("advisor", 200),
    ],
)
def test_a_view_answers_404_for_outsiders_and_403_for_a_role_that_may_not_act(
    client, personas, persona, status
):
    client.force_login(personas.all()[persona])
    response = client.get("/probe/maple-grove/submit/")
    assert response.status_code == status
    if status == 403:
        assert "does not allow you to submit cases" in response.text
