"""The access chokepoint, checked for every persona (DESIGN §2 rule 1, RELIABILITY §1)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from contacts.access import (
    ROLE_CAPABILITIES,
    Capability,
    _memberships_query,
    active_memberships,
    get_district_for_viewer,
    has_capability,
    load_active_memberships,
    require_capability,
    visible_districts,
)
from contacts.models import District, Membership, Role
from contacts.tests.factories import DistrictFactory, MembershipFactory

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


def _fields(membership: Membership) -> tuple[dict, dict]:
    district = membership.district
    return (
        {f.attname: getattr(membership, f.attname) for f in Membership._meta.concrete_fields},
        {f.attname: getattr(district, f.attname) for f in District._meta.concrete_fields},
    )


def test_the_fast_membership_loader_gives_what_the_queryset_gives(personas, django_assert_num_queries):
    """Every page reads the viewer's memberships with ``load_active_memberships`` (SQL built once per process);
    it must give the same objects as ``active_memberships``: the same rows in the same order, every field equal,
    the district loaded with each one, inactive memberships left out."""
    user = personas.support
    zeta = DistrictFactory(name="Zeta Unified", slug="zeta", state="IA", is_active=False)
    MembershipFactory(user=user, district=zeta, role=Role.READ_ONLY)
    # Created last, listed first: the order is the districts' names, not the rows' ids.
    MembershipFactory(
        user=user, district=DistrictFactory(name="Aspen Valley", slug="aspen"), role=Role.TECHNICAL
    )
    MembershipFactory(
        user=user, district=DistrictFactory(name="Alpha Schools", slug="alpha"), is_active=False
    )
    for person in [*personas.all().values(), AnonymousUser()]:
        expected = list(active_memberships(person))
        with django_assert_num_queries(1 if person.is_authenticated and person.is_active else 0):
            loaded = load_active_memberships(person)
        assert [_fields(m) for m in loaded] == [_fields(m) for m in expected]
        assert [type(m) for m in loaded] == [Membership] * len(expected)
    loaded = load_active_memberships(user)
    assert [m.district.slug for m in loaded] == ["aspen", "maple-grove", "zeta"]
    with django_assert_num_queries(0):  # the district came with the membership
        assert loaded[2].district.state == "IA"
        assert loaded[2].district.is_active is False
    assert not loaded[0]._state.adding
    assert loaded[0]._state.db == "default"


def test_the_fast_membership_loader_applies_what_a_field_converts_on_reading(personas, monkeypatch):
    """A field that converts what the database returns (``from_db_value``) is converted as the ORM does."""
    name = District._meta.get_field("name")
    monkeypatch.setattr(
        name, "get_db_converters", lambda connection: [lambda value, expression, conn: value.upper()]
    )
    _memberships_query.cache_clear()
    try:
        assert [m.district.name for m in active_memberships(personas.support)] == [
            "MAPLE GROVE PUBLIC SCHOOLS"
        ]
        assert [m.district.name for m in load_active_memberships(personas.support)] == [
            "MAPLE GROVE PUBLIC SCHOOLS"
        ]
    finally:
        _memberships_query.cache_clear()
