import pytest
from django.urls import reverse

from contacts.models import Role
from contacts.tests.factories import DistrictFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, db):
    client.force_login(UserFactory(email="root@support.example.com", is_staff=True, is_superuser=True))
    return client


def test_district_list_shows_contacts_and_flags_staffing(admin_client_, personas):
    page = admin_client_.get(reverse("admin:contacts_district_changelist")).text
    assert "Maple Grove Public Schools" in page
    assert "1 support contact (2 recommended)" in page
    assert "no technical contacts (1 recommended)" in page  # district B
    assert personas.technical.get_full_name() in page


def test_staffing_filter_separates_deviating_districts(admin_client_, personas):
    good = DistrictFactory(name="Well Staffed Schools")
    MembershipFactory.create_batch(2, district=good, role=Role.SUPPORT)
    MembershipFactory(district=good, role=Role.TECHNICAL)
    url = reverse("admin:contacts_district_changelist")
    deviating = admin_client_.get(url, {"staffing": "deviates"}).text
    assert "Maple Grove" in deviating
    assert "Well Staffed Schools" not in deviating
    ok = admin_client_.get(url, {"staffing": "ok"}).text
    assert "Well Staffed Schools" in ok
    assert "As recommended" in ok


def test_admin_refuses_a_second_technical_contact_with_a_message(admin_client_, personas):
    district = personas.district_a
    url = reverse("admin:contacts_district_change", args=[district.pk])
    memberships = list(district.memberships.order_by("pk"))
    data = {
        "name": district.name,
        "slug": district.slug,
        "state": district.state,
        "is_active": "on",
        "memberships-TOTAL_FORMS": str(len(memberships) + 1),
        "memberships-INITIAL_FORMS": str(len(memberships)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, m in enumerate(memberships):
        data |= {
            f"memberships-{i}-id": str(m.pk),
            f"memberships-{i}-district": str(district.pk),
            f"memberships-{i}-user": str(m.user_id),
            f"memberships-{i}-role": m.role,
            f"memberships-{i}-is_active": "on" if m.is_active else "",
        }
    n = len(memberships)
    newcomer = UserFactory()
    data |= {
        f"memberships-{n}-district": str(district.pk),
        f"memberships-{n}-user": str(newcomer.pk),
        f"memberships-{n}-role": Role.TECHNICAL,
        f"memberships-{n}-is_active": "on",
    }
    response = admin_client_.post(url, data)
    assert response.status_code == 200
    assert "already has an active technical contact" in response.text
    assert not newcomer.memberships.exists()


@pytest.mark.parametrize("extra", [0, 20])
def test_district_list_queries_do_not_grow_with_districts(
    admin_client_, personas, django_assert_max_num_queries, extra
):
    for _ in range(extra):
        MembershipFactory(district=DistrictFactory(), role=Role.SUPPORT)
    with django_assert_max_num_queries(12):
        assert admin_client_.get(reverse("admin:contacts_district_changelist")).status_code == 200


def test_user_admin_lists_people_with_their_districts(admin_client_, personas):
    page = admin_client_.get(reverse("admin:contacts_user_changelist")).text
    assert "support@a.example.org" in page
    assert "Maple Grove Public Schools (Support contact)" in page


def test_a_name_with_a_line_break_is_refused_in_the_admin_and_nothing_is_saved(client, personas):
    client.force_login(personas.advisor)
    contact = personas.support
    response = client.post(
        reverse("admin:contacts_user_change", args=[contact.pk]),
        {
            "email": contact.email,
            "first_name": "Dana\r\nBcc: everyone@example.org",
            "last_name": contact.last_name,
            "title": "",
            "phone": "",
            "last_district": "",
            "is_active": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200
    assert "Keep this on one line: remove the line breaks." in response.text
    contact.refresh_from_db()
    assert "Bcc" not in contact.first_name
