import pytest
from django.urls import reverse

from cases.models import Recipient
from cases.tests.factories import CaseFactory
from contacts.models import AccountEvent, Membership, Role
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


# --- memberships and accounts change through the services ---------------------------------------------------------


@pytest.fixture
def advisor_client(client, personas):
    client.force_login(personas.advisor)
    return client


def district_form(district, rows=(), changes=None) -> dict[str, str]:
    """What the district change form posts: its stored memberships (with ``changes`` by user) and new rows."""
    changes = changes or {}
    memberships = list(district.memberships.order_by("pk"))
    data = {
        "name": district.name,
        "slug": district.slug,
        "state": district.state,
        "is_active": "on",
        "memberships-TOTAL_FORMS": str(len(memberships) + len(rows)),
        "memberships-INITIAL_FORMS": str(len(memberships)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, m in enumerate(memberships):
        row = {"role": m.role, "is_active": m.is_active, **changes.get(m.user, {})}
        data |= {
            f"memberships-{i}-id": str(m.pk),
            f"memberships-{i}-district": str(district.pk),
            f"memberships-{i}-user": str(m.user_id),
            f"memberships-{i}-role": row["role"],
        }
        if row["is_active"]:
            data[f"memberships-{i}-is_active"] = "on"
    for j, (user, role) in enumerate(rows, start=len(memberships)):
        data |= {
            f"memberships-{j}-district": str(district.pk),
            f"memberships-{j}-user": str(user.pk),
            f"memberships-{j}-role": role,
            f"memberships-{j}-is_active": "on",
        }
    return data


def user_form(user, changes=None, **fields) -> dict[str, str]:
    """What the user change form posts for a contact, with their memberships (``changes`` by district)."""
    changes = changes or {}
    memberships = list(user.memberships.order_by("pk"))
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "title": user.title,
        "phone": user.phone,
        "last_district": "",
        "memberships-TOTAL_FORMS": str(len(memberships)),
        "memberships-INITIAL_FORMS": str(len(memberships)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    if user.is_active:
        data["is_active"] = "on"
    for i, m in enumerate(memberships):
        row = {"role": m.role, "is_active": m.is_active, **changes.get(m.district, {})}
        data |= {
            f"memberships-{i}-id": str(m.pk),
            f"memberships-{i}-user": str(user.pk),
            f"memberships-{i}-district": str(m.district_id),
            f"memberships-{i}-role": row["role"],
        }
        if row["is_active"]:
            data[f"memberships-{i}-is_active"] = "on"
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_adding_a_membership_in_the_admin_records_an_event(advisor_client, personas):
    person = UserFactory()
    response = advisor_client.post(
        reverse("admin:contacts_membership_add"),
        {"user": person.pk, "district": personas.district_a.pk, "role": Role.SUPPORT, "is_active": "on"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=person)
    event = AccountEvent.objects.get(user=person)
    assert (event.kind, event.actor, event.district, event.new) == (
        "membership.added",
        personas.advisor,
        personas.district_a,
        "support",
    )
    assert response.url == reverse("admin:contacts_membership_changelist")
    assert membership.role == Role.SUPPORT


def test_the_membership_admin_refuses_a_second_technical_contact_next_to_the_role(advisor_client, personas):
    person = UserFactory()
    response = advisor_client.post(
        reverse("admin:contacts_membership_add"),
        {"user": person.pk, "district": personas.district_a.pk, "role": Role.TECHNICAL, "is_active": "on"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "already has an active technical contact" in errors["role"][0]
    assert not Membership.objects.filter(user=person).exists()
    assert not AccountEvent.objects.exists()


def test_changing_a_role_in_the_membership_admin_records_an_event_and_keeps_person_and_district(
    advisor_client, personas
):
    membership = personas.support.memberships.get()
    response = advisor_client.post(
        reverse("admin:contacts_membership_change", args=[membership.pk]),
        # A forged person and district are ignored: a stored membership keeps both.
        {"user": personas.other_district.pk, "district": personas.district_b.pk, "role": Role.READ_ONLY},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.user, membership.district, membership.role, membership.is_active) == (
        personas.support,
        personas.district_a,
        Role.READ_ONLY,
        False,
    )
    assert list(AccountEvent.objects.values_list("kind", "old", "new")) == [
        ("membership.deactivated", "", ""),
        ("membership.role_changed", "support", "read_only"),
    ]


def test_memberships_cannot_be_deleted_in_the_admin(admin_client_, personas):
    membership = personas.support.memberships.get()
    url = reverse("admin:contacts_membership_delete", args=[membership.pk])
    assert admin_client_.post(url, {"post": "yes"}).status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_adding_a_contact_on_the_district_page_goes_through_the_service(advisor_client, personas):
    district = personas.district_a
    person = UserFactory()
    response = advisor_client.post(
        reverse("admin:contacts_district_change", args=[district.pk]),
        district_form(district, rows=[(person, Role.IMPLEMENTATION)]),
    )
    assert response.status_code == 302
    assert person.memberships.get().role == Role.IMPLEMENTATION
    event = AccountEvent.objects.get()
    assert (event.kind, event.user, event.actor) == ("membership.added", person, personas.advisor)


def test_two_new_technical_contacts_on_one_district_page_are_refused_together(admin_client_, personas):
    district = DistrictFactory(name="Willow Creek Schools")
    first, second = UserFactory(), UserFactory()
    response = admin_client_.post(
        reverse("admin:contacts_district_change", args=[district.pk]),
        district_form(district, rows=[(first, Role.TECHNICAL), (second, Role.TECHNICAL)]),
    )
    assert response.status_code == 200
    assert "Willow Creek Schools can have only one active technical contact." in response.text
    assert not Membership.objects.filter(district=district).exists()


def test_a_role_change_on_the_district_page_records_an_event(advisor_client, personas):
    district = personas.district_a
    response = advisor_client.post(
        reverse("admin:contacts_district_change", args=[district.pk]),
        district_form(district, changes={personas.support: {"role": Role.IMPLEMENTATION}}),
    )
    assert response.status_code == 302
    assert personas.support.memberships.get().role == Role.IMPLEMENTATION
    assert list(AccountEvent.objects.values_list("kind", "user")) == [
        ("membership.role_changed", personas.support.pk)
    ]
    page = advisor_client.get(reverse("admin:contacts_user_change", args=[personas.support.pk])).text
    assert "Role changed in Maple Grove Public Schools (Support contact → Implementation contact)" in page


def test_switching_off_a_membership_on_the_person_page_takes_them_off_the_districts_cases(
    advisor_client, personas
):
    person = personas.implementation
    case = CaseFactory(district=personas.district_a, contact=personas.support)
    Recipient.objects.create(case=case, user=person)
    response = advisor_client.post(
        reverse("admin:contacts_user_change", args=[person.pk]),
        user_form(person, changes={personas.district_a: {"is_active": False}}),
    )
    assert response.status_code == 302
    assert person.memberships.get().is_active is False
    assert not Recipient.objects.filter(case=case, user=person).exists()
    assert AccountEvent.objects.get().kind == "membership.deactivated"


def test_deactivating_an_account_in_the_admin_goes_through_the_service(advisor_client, personas):
    person = personas.implementation
    case = CaseFactory(district=personas.district_a, contact=personas.support)
    Recipient.objects.create(case=case, user=person)
    response = advisor_client.post(
        reverse("admin:contacts_user_change", args=[person.pk]),
        user_form(person, is_active=None, title="Clerk"),
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.is_active, person.title) == (False, "Clerk")
    assert not Recipient.objects.filter(case=case, user=person).exists()
    event = AccountEvent.objects.get()
    assert (event.kind, event.actor, event.data["recipient_of_cases_removed"]) == (
        "account.deactivated",
        personas.advisor,
        [case.number],
    )
    page = advisor_client.get(reverse("admin:contacts_user_change", args=[person.pk])).text
    assert "Account deactivated" in page  # the person's access history


def test_saving_a_person_without_changing_active_records_nothing(advisor_client, personas):
    person = personas.implementation
    response = advisor_client.post(
        reverse("admin:contacts_user_change", args=[person.pk]), user_form(person, title="Clerk")
    )
    assert response.status_code == 302
    assert not AccountEvent.objects.exists()


def test_an_administrator_deactivating_their_own_account_gets_a_message_and_nothing_changes(client, personas):
    root = UserFactory(email="root@support.example.com", is_staff=True, is_superuser=True, title="Admin")
    client.force_login(root)
    url = reverse("admin:contacts_user_change", args=[root.pk])
    response = client.post(
        url, user_form(root, is_active=None, title="Changed", is_staff="on", is_superuser="on")
    )
    assert response.status_code == 302
    assert response.url == url
    root.refresh_from_db()
    assert (root.is_active, root.title) == (True, "Admin")
    page = client.get(url).text
    assert "Nothing was saved. You cannot deactivate your own account." in page


def test_a_refusal_at_save_time_is_a_message_not_a_server_error(advisor_client, personas, monkeypatch):
    # As when a colleague made someone technical contact between the form's check and the save.
    monkeypatch.setattr("contacts.admin.membership_rule_errors", lambda **kwargs: {})
    person = UserFactory()
    url = reverse("admin:contacts_membership_add")
    response = advisor_client.post(
        url,
        {"user": person.pk, "district": personas.district_a.pk, "role": Role.TECHNICAL, "is_active": "on"},
    )
    assert response.status_code == 302
    assert response.url == url
    assert not Membership.objects.filter(user=person).exists()
    assert not AccountEvent.objects.exists()
    assert "already has an active technical contact" in advisor_client.get(url).text
