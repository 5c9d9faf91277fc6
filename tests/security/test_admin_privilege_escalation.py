"""An advisor cannot make any account, their own included, an administrator, nor delete anything.

Administrators (superusers) alone manage staff accounts, groups, permissions and deletions; advisors get exactly
the permissions that working cases needs (contacts/roles.py). A field the form does not offer is not saved,
whatever the POST holds.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from cases.tests.factories import CaseFactory
from contacts.models import User
from contacts.roles import ADVISORS_GROUP
from contacts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def change_form_post(user: User, **overrides: object) -> dict[str, object]:
    """What the user change form posts for this person, with some fields forged."""
    data: dict[str, object] = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "title": "Forged title",
        "phone": "",
        "last_district": "",
        "is_active": "on",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def forged_fields() -> dict[str, object]:
    every_permission = list(Permission.objects.values_list("pk", flat=True))
    return {
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [Group.objects.get(name=ADVISORS_GROUP).pk],
        "user_permissions": every_permission,
    }


def test_an_advisor_posting_superuser_groups_or_permissions_for_a_contact_changes_none_of_them(
    client: Client, personas
) -> None:
    contact = personas.support
    client.force_login(personas.advisor)
    response = client.post(
        reverse("admin:contacts_user_change", args=[contact.pk]), change_form_post(contact, **forged_fields())
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.title == "Forged title"  # the advisor may edit a contact's own details
    assert (contact.is_staff, contact.is_superuser) == (False, False)
    assert not contact.groups.exists()
    assert not contact.user_permissions.exists()


def test_an_advisor_cannot_change_their_own_or_another_staff_account(client: Client, personas) -> None:
    advisor = personas.advisor
    administrator = UserFactory(email="root@support.example.com", is_staff=True, is_superuser=True)
    client.force_login(advisor)
    for person in (advisor, administrator):
        change_url = reverse("admin:contacts_user_change", args=[person.pk])
        page = client.get(change_url)
        assert page.status_code == 200  # view only
        assert b'name="is_superuser"' not in page.content
        assert b'name="_save"' not in page.content
        response = client.post(change_url, change_form_post(person, **forged_fields()))
        assert response.status_code == 403
        password = client.post(
            reverse("admin:auth_user_password_change", args=[person.pk]),
            {"password1": "Forged-pass-2026!", "password2": "Forged-pass-2026!"},
        )
        assert password.status_code == 403
    advisor.refresh_from_db()
    assert not advisor.is_superuser
    assert list(advisor.groups.values_list("name", flat=True)) == [ADVISORS_GROUP]
    assert not advisor.user_permissions.exists()
    assert not advisor.check_password("Forged-pass-2026!")


def test_an_advisor_is_offered_no_delete_action_and_reaches_no_delete_page(client: Client, personas) -> None:
    case = CaseFactory(district=personas.district_a, contact=personas.support)
    client.force_login(personas.advisor)
    objects = {
        "contacts.district": personas.district_a,
        "contacts.user": personas.support,
        "contacts.membership": personas.support.memberships.get(),
        "cases.case": case,
    }
    for model in admin.site._registry:
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        info = (model._meta.app_label, model._meta.model_name)
        changelist = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        if changelist.status_code == 200:
            assert b'value="delete_selected"' not in changelist.content, label
        assert changelist.status_code in (200, 403), label
        obj = objects.get(label)
        if obj is not None:
            delete_url = reverse("admin:{}_{}_delete".format(*info), args=[obj.pk])
            assert client.get(delete_url).status_code == 403, label
            assert client.post(delete_url, {"post": "yes"}).status_code == 403, label
            assert model.objects.filter(pk=obj.pk).exists(), label
    deleted = client.post(
        reverse("admin:contacts_district_changelist"),
        {"action": "delete_selected", "_selected_action": [personas.district_a.pk], "post": "yes"},
    )
    assert deleted.status_code in (200, 302)
    assert type(personas.district_a).objects.filter(pk=personas.district_a.pk).exists()


def test_an_advisor_cannot_see_groups_or_permissions(client: Client, personas) -> None:
    client.force_login(personas.advisor)
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403
    group = Group.objects.get(name=ADVISORS_GROUP)
    assert client.get(reverse("admin:auth_group_change", args=[group.pk])).status_code == 403


def test_an_administrator_still_manages_staff_accounts_and_permissions(client: Client, personas) -> None:
    administrator = UserFactory(email="root@support.example.com", is_staff=True, is_superuser=True)
    contact = personas.support
    client.force_login(administrator)
    response = client.post(
        reverse("admin:contacts_user_change", args=[contact.pk]),
        change_form_post(contact, is_staff="on", groups=[Group.objects.get(name=ADVISORS_GROUP).pk]),
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.is_staff
    assert contact.is_advisor
    changelist = client.get(reverse("admin:contacts_district_changelist"))
    assert b'value="delete_selected"' in changelist.content


def test_the_advisors_group_is_kept_to_the_list_in_code(personas) -> None:
    from contacts.roles import advisor_permissions, sync_advisor_group

    group = Group.objects.get(name=ADVISORS_GROUP)
    group.permissions.add(Permission.objects.get(codename="delete_case"))
    group.permissions.add(Permission.objects.get(codename="change_group"))
    sync_advisor_group()
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert codenames == set(
        Permission.objects.filter(advisor_permissions()).values_list("codename", flat=True)
    )
    assert "work_cases" in codenames
    assert not {c for c in codenames if c.startswith("delete_")}
    assert not codenames & {"add_group", "change_group", "view_group", "change_permission", "view_permission"}
