import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from contacts.models import District, Membership, Role, User
from contacts.tests.factories import DistrictFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_email_is_the_login_and_is_stored_lower_case():
    user = User.objects.create_user(
        " Dana.Whitfield@Example.ORG ", "a-long-password-1", first_name="Dana", last_name="Whitfield"
    )
    assert user.email == "dana.whitfield@example.org"
    assert User.objects.get_by_natural_key("DANA.WHITFIELD@example.org") == user


def test_two_accounts_cannot_share_an_address_in_any_case():
    UserFactory(email="someone@example.org")
    with pytest.raises(ValidationError) as excinfo:
        User.objects.create_user("SOMEONE@example.org", "a-long-password-1", first_name="S", last_name="O")
    assert "Another account already uses this email address." in str(excinfo.value)
    with transaction.atomic(), pytest.raises(IntegrityError):
        User(email="Someone@Example.org").save()


def test_one_membership_per_person_and_district():
    membership = MembershipFactory(role=Role.SUPPORT)
    duplicate = Membership(user=membership.user, district=membership.district, role=Role.READ_ONLY)
    with pytest.raises(ValidationError, match="already has a membership"):
        duplicate.full_clean()
    with transaction.atomic(), pytest.raises(IntegrityError):
        duplicate.save()


def test_a_contact_may_belong_to_several_districts():
    user = UserFactory()
    MembershipFactory(user=user, role=Role.SUPPORT)
    MembershipFactory(user=user, role=Role.READ_ONLY)
    assert user.memberships.count() == 2


def test_at_most_one_active_technical_contact_per_district():
    district = DistrictFactory()
    MembershipFactory(district=district, role=Role.TECHNICAL)
    second = Membership(user=UserFactory(), district=district, role=Role.TECHNICAL)
    with pytest.raises(ValidationError, match="already has an active technical contact"):
        second.full_clean()
    with transaction.atomic(), pytest.raises(IntegrityError):
        second.save()


def test_an_inactive_technical_membership_does_not_block_a_new_technical_contact():
    district = DistrictFactory()
    MembershipFactory(district=district, role=Role.TECHNICAL, is_active=False)
    replacement = Membership(user=UserFactory(), district=district, role=Role.TECHNICAL)
    replacement.full_clean()
    replacement.save()
    assert district.memberships.filter(role=Role.TECHNICAL).count() == 2


def test_staffing_counts_only_active_people_and_flags_deviation():
    as_recommended = DistrictFactory()
    MembershipFactory.create_batch(2, district=as_recommended, role=Role.SUPPORT)
    MembershipFactory(district=as_recommended, role=Role.TECHNICAL)
    MembershipFactory(district=as_recommended, role=Role.READ_ONLY)

    short = DistrictFactory()
    MembershipFactory(district=short, role=Role.SUPPORT)
    MembershipFactory(district=short, role=Role.SUPPORT, is_active=False)
    MembershipFactory(district=short, role=Role.TECHNICAL, user=UserFactory(is_active=False))

    rows = {d.pk: d for d in District.objects.with_staffing()}
    assert (rows[as_recommended.pk].support_count, rows[as_recommended.pk].technical_count) == (2, 1)
    assert rows[as_recommended.pk].staffing_deviates is False
    assert (rows[short.pk].support_count, rows[short.pk].technical_count) == (1, 0)
    assert rows[short.pk].staffing_deviates is True


def test_three_support_contacts_also_deviate():
    district = DistrictFactory()
    MembershipFactory.create_batch(3, district=district, role=Role.SUPPORT)
    MembershipFactory(district=district, role=Role.TECHNICAL)
    assert District.objects.with_staffing().get(pk=district.pk).staffing_deviates is True
