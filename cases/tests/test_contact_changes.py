"""Applying a Modify Support Contacts case in one step: the preview shows exactly what changes, "Apply" carries
it out through the contacts services in one transaction, or refuses with a message and writes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from cases.casetypes import CaseType
from cases.models import Case, CaseEvent
from cases.selectors.events import event_sentence, label_events
from cases.services.contact_changes import (
    ContactChange,
    PlanChanged,
    contact_change_apply,
    plan_change,
    proposed_change,
)
from cases.tests.factories import put_in_status, submit_case
from cases.workflow import Status
from contacts.models import AccountEvent, District, Membership, Role, User
from contacts.tests.factories import DistrictFactory, MembershipFactory, UserFactory
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def district() -> District:
    return DistrictFactory(name="Birch Lake Schools", slug="birch-lake")


def member(district: District, email: str, first: str, last: str, role: Role, **extra: Any) -> Membership:
    user = UserFactory(email=email, first_name=first, last_name=last)
    return MembershipFactory(user=user, district=district, role=role, **extra)


@pytest.fixture
def staff(district: District) -> dict[str, Membership]:
    """Two support contacts and one technical contact: the recommended staffing."""
    return {
        "ann": member(district, "ann.berg@birch.example.org", "Ann", "Berg", Role.SUPPORT),
        "bo": member(district, "bo.chen@birch.example.org", "Bo", "Chen", Role.SUPPORT),
        "tess": member(district, "tess.dahl@birch.example.org", "Tess", "Dahl", Role.TECHNICAL),
    }


def request_case(district: District, staff: dict[str, Membership], **details: Any) -> Case:
    return submit_case(
        district=district,
        contact=staff["ann"].user,
        case_type=CaseType.MODIFY_CONTACTS,
        subject="Contact change",
        details=details,
    )


def written() -> dict[str, Any]:
    """Everything applying a change may write."""
    return {
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "active memberships": Membership.objects.filter(is_active=True).count(),
        "account events": AccountEvent.objects.count(),
        "case events": CaseEvent.objects.count(),
        "outbox": OutboundEmail.objects.count(),
        "roles": list(Membership.objects.order_by("pk").values_list("role", "areas", "is_active")),
    }


def staffing(district: District) -> tuple[int, int, bool]:
    row = District.objects.with_staffing().get(pk=district.pk)
    return row.support_count, row.technical_count, row.staffing_deviates


def sentence(case: Case) -> str:
    event = CaseEvent.objects.select_related("actor").get(case=case, kind=CaseEvent.Kind.CONTACTS_CHANGED)
    return event_sentence(label_events([event])[0])


def apply(case: Case, advisor: User, change: ContactChange | None = None) -> Any:
    change = change or proposed_change(case)
    plan = plan_change(case, change)
    assert not plan.errors, plan.errors
    return contact_change_apply(actor=advisor, case=case, change=change, shown=plan.digest)


# --- each request type ------------------------------------------------------------------------------------------


def test_add_creates_the_person_and_the_membership_and_invites_them_to_choose_a_password(
    district, staff, personas, django_capture_on_commit_callbacks
):
    case = request_case(
        district,
        staff,
        request_type="add",
        contact_first_name="Robin",
        contact_last_name="Hale",
        contact_email="Robin.Hale@birch.example.org",
        contact_title="SIS Coordinator",
        primary_phone="555-0101",
        contact_type="read_only",
        areas=["finance", "sis"],
    )
    plan = plan_change(case, proposed_change(case))
    assert plan.steps == [
        "Create an account for Robin Hale (robin.hale@birch.example.org, SIS Coordinator, 555-0101) and e-mail "
        "them a link to choose their own password.",
        "Give Robin Hale the role Read-only contact in Birch Lake Schools; areas of responsibility: SIS, Finance.",
    ]
    outbox_before = OutboundEmail.objects.count()
    with django_capture_on_commit_callbacks(execute=False):
        apply(case, personas.advisor)

    robin = User.objects.get(email="robin.hale@birch.example.org")
    assert (robin.first_name, robin.last_name, robin.title, robin.phone) == (
        "Robin",
        "Hale",
        "SIS Coordinator",
        "555-0101",
    )
    membership = robin.memberships.get()
    assert (membership.district, membership.role, membership.areas, membership.is_active) == (
        district,
        Role.READ_ONLY,
        ["sis", "finance"],
        True,
    )
    assert sentence(case) == (
        f"{personas.advisor.get_full_name()} applied the contact change: added Robin Hale (new account) as "
        "read-only contact"
    )
    kinds = list(AccountEvent.objects.filter(user=robin).values_list("kind", "district", "data__case"))
    assert kinds == [
        (AccountEvent.Kind.ACCOUNT_CREATED, district.pk, case.number),
        (AccountEvent.Kind.MEMBERSHIP_ADDED, district.pk, case.number),
    ]

    # One e-mail, to Robin: a link that sets a password, and no password.
    assert OutboundEmail.objects.count() == outbox_before + 1
    mail = OutboundEmail.objects.get(recipient=robin)
    assert mail.subject == "Your Support Case Portal account for Birch Lake Schools"
    link = re.search(r"https?://\S+/accounts/password/reset/(\w+)/([\w-]+)/", mail.body_text)
    assert link is not None, mail.body_text
    assert default_token_generator.check_token(robin, link.group(2))
    assert "password:" not in mail.body_text.lower()
    assert robin.has_usable_password()  # a random one nobody knows: "Forgot your password?" works later

    # The link lets Robin choose a password and log in with it.
    client = Client()
    response = client.get(link.group(0), follow=True)
    assert response.status_code == 200
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "a-Long-chosen-passphrase-42", "new_password2": "a-Long-chosen-passphrase-42"},
    )
    assert response.status_code == 302
    robin.refresh_from_db()
    assert robin.check_password("a-Long-chosen-passphrase-42")


def test_add_an_existing_person_with_the_same_name_reuses_their_account(district, staff, personas):
    other = DistrictFactory(name="Aspen Schools", slug="aspen")
    pat = member(other, "pat.lee@aspen.example.org", "Pat", "Lee", Role.SUPPORT).user
    case = request_case(
        district,
        staff,
        request_type="add",
        contact_first_name="pat",
        contact_last_name="LEE",
        contact_email="pat.lee@aspen.example.org",
        contact_type="authorized",
    )
    plan = apply(case, personas.advisor)
    assert plan.steps == [
        "Give Pat Lee (existing account) the role Support contact in Birch Lake Schools; areas of "
        "responsibility: none."
    ]
    assert set(pat.memberships.values_list("district__slug", "role")) == {
        ("aspen", Role.SUPPORT),
        ("birch-lake", Role.SUPPORT),
    }
    assert not OutboundEmail.objects.filter(recipient=pat, key__startswith="contact-welcome").exists()
    assert staffing(district) == (3, 1, True)


def test_modify_changes_the_role_and_the_areas(client, district, staff, personas):
    case = request_case(
        district,
        staff,
        request_type="modify",
        contact_first_name="Bo",
        contact_last_name="Chen",
        contact_type="read_only",
        areas=["food_service"],
    )
    proposed = proposed_change(case)
    assert proposed.target == staff["bo"].pk  # found by name
    plan = apply(case, personas.advisor)
    assert plan.steps == [
        "Change Bo Chen's role in Birch Lake Schools from Support contact to Read-only contact.",
        "Change Bo Chen's areas of responsibility from none to Food Service.",
    ]
    staff["bo"].refresh_from_db()
    assert (staff["bo"].role, staff["bo"].areas) == (Role.READ_ONLY, ["food_service"])
    assert staffing(district) == (1, 1, True)  # the staffing flag follows at once
    assert sentence(case).endswith(
        "applied the contact change: updated Bo Chen's role or areas of responsibility (read-only contact)"
    )
    assert OutboundEmail.objects.filter(key__startswith="contact-welcome").count() == 0
    client.force_login(personas.advisor)
    district_page = client.get(reverse("admin:contacts_district_change", args=[district.pk])).content.decode()
    assert "Areas of responsibility" in district_page
    assert "Food Service" in district_page


def test_replace_switches_the_old_contact_off_and_the_new_one_takes_the_technical_place(
    district, staff, personas
):
    case = request_case(
        district,
        staff,
        request_type="replace",
        contact_first_name="Uma",
        contact_last_name="Fox",
        contact_email="uma.fox@birch.example.org",
        contact_type="technical",
        replacement_name="tess dahl",
    )
    plan = apply(case, personas.advisor)
    assert plan.steps[0] == (
        "Switch off Tess Dahl's membership (Technical contact) in Birch Lake Schools: they lose access at once "
        "and stop receiving its cases' notifications."
    )
    staff["tess"].refresh_from_db()
    assert staff["tess"].is_active is False
    uma = User.objects.get(email="uma.fox@birch.example.org")
    assert uma.memberships.get(district=district).role == Role.TECHNICAL
    assert staffing(district) == (2, 1, False)
    assert sentence(case).endswith("replaced Tess Dahl with Uma Fox (new account) as technical contact")
    assert OutboundEmail.objects.filter(recipient=uma, key__startswith="contact-welcome").count() == 1


def test_remove_switches_the_membership_off(district, staff, personas):
    case = request_case(
        district,
        staff,
        request_type="remove",
        contact_first_name="Ann",
        contact_last_name="Berg",
        contact_email="ann.berg@birch.example.org",
    )
    plan = apply(case, personas.advisor)
    assert len(plan.steps) == 1
    assert plan.staffing == ["1 support contact (2 recommended)"]
    staff["ann"].refresh_from_db()
    assert staff["ann"].is_active is False
    assert staffing(district) == (1, 1, True)
    assert sentence(case).endswith("applied the contact change: removed Ann Berg")
    assert AccountEvent.objects.filter(
        kind=AccountEvent.Kind.MEMBERSHIP_DEACTIVATED, district=district, data__case=case.number
    ).exists()


def test_the_preview_of_an_add_names_the_staffing_afterwards(district, staff, personas):
    case = request_case(
        district,
        staff,
        request_type="add",
        contact_first_name="Robin",
        contact_last_name="Hale",
        contact_email="robin@birch.example.org",
        contact_type="authorized",
    )
    assert plan_change(case, proposed_change(case)).staffing == ["3 support contacts (2 recommended)"]


# --- refusals write nothing -------------------------------------------------------------------------------------


def refused(case: Case, advisor: User, change: ContactChange) -> dict[str, list[str]]:
    before = written()
    with pytest.raises((ValidationError, PermissionDenied)) as raised:
        contact_change_apply(actor=advisor, case=case, change=change)
    assert written() == before
    error = raised.value
    if isinstance(error, PermissionDenied):
        return {"__all__": [str(error)]}
    return error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}


def test_a_second_technical_contact_is_refused(district, staff, personas):
    case = request_case(
        district,
        staff,
        request_type="add",
        contact_first_name="Uma",
        contact_last_name="Fox",
        contact_email="uma.fox@birch.example.org",
        contact_type="technical",
    )
    errors = refused(case, personas.advisor, proposed_change(case))
    assert errors["role"] == [
        "Birch Lake Schools already has an active technical contact: Tess Dahl. Replace that contact instead, "
        "or choose another role."
    ]
    modify = request_case(
        district,
        staff,
        request_type="modify",
        contact_first_name="Bo",
        contact_last_name="Chen",
        contact_type="technical",
    )
    assert "role" in refused(modify, personas.advisor, proposed_change(modify))


def test_an_address_used_by_a_person_with_another_name_is_refused(district, staff, personas):
    case = request_case(
        district,
        staff,
        request_type="replace",
        contact_first_name="Robin",
        contact_last_name="Hale",
        contact_email="bo.chen@birch.example.org",
        contact_type="authorized",
        replacement_name="Ann Berg",
    )
    errors = refused(case, personas.advisor, proposed_change(case))
    assert errors["email"] == [
        "bo.chen@birch.example.org is already used by Bo Chen, a different person. Check the address with the "
        "district."
    ]


def test_adding_someone_who_already_is_a_contact_and_applying_twice_are_refused(district, staff, personas):
    case = request_case(
        district,
        staff,
        request_type="add",
        contact_first_name="Ann",
        contact_last_name="Berg",
        contact_email="ann.berg@birch.example.org",
        contact_type="authorized",
    )
    assert "use a Modify request" in refused(case, personas.advisor, proposed_change(case))["email"][0]

    remove = request_case(
        district, staff, request_type="remove", contact_first_name="Bo", contact_last_name="Chen"
    )
    apply(remove, personas.advisor)
    assert "already applied" in refused(remove, personas.advisor, proposed_change(remove))["__all__"][0]


def test_a_contact_or_a_closed_case_cannot_apply(district, staff, personas):
    case = request_case(
        district, staff, request_type="remove", contact_first_name="Bo", contact_last_name="Chen"
    )
    assert "Only a support advisor" in refused(case, staff["ann"].user, proposed_change(case))["__all__"][0]
    put_in_status(case, Status.CLOSED, advisor=personas.advisor)
    assert "closed" in refused(case, personas.advisor, proposed_change(case))["__all__"][0]


def test_a_failure_halfway_rolls_back_the_steps_already_taken(district, staff, personas, monkeypatch):
    """Replace: the old contact is switched off first; when adding the new one fails, nothing stays."""
    case = request_case(
        district,
        staff,
        request_type="replace",
        contact_first_name="Uma",
        contact_last_name="Fox",
        contact_email="uma.fox@birch.example.org",
        contact_type="technical",
        replacement_name="Tess Dahl",
    )
    from contacts import services as contacts

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(contacts, "membership_add", broken)
    before = written()
    with pytest.raises(RuntimeError):
        contact_change_apply(actor=personas.advisor, case=case, change=proposed_change(case))
    assert written() == before


def test_a_plan_that_changed_since_the_preview_is_not_applied(district, staff, personas):
    case = request_case(
        district, staff, request_type="remove", contact_first_name="Bo", contact_last_name="Chen"
    )
    change = proposed_change(case)
    shown = plan_change(case, change).digest
    Membership.objects.filter(pk=staff["bo"].pk).update(role=Role.IMPLEMENTATION)
    before = written()
    with pytest.raises(PlanChanged):
        contact_change_apply(actor=personas.advisor, case=case, change=change, shown=shown)
    assert written() == before


# --- the pages --------------------------------------------------------------------------------------------------


def preview_url(case: Case) -> str:
    return reverse("admin:cases_case_contact_changes", args=[case.pk])


def form_data(case: Case, **changes: Any) -> dict[str, Any]:
    change = proposed_change(case)
    data = {
        "request": change.request,
        "target": change.target or "",
        "first_name": change.first_name,
        "last_name": change.last_name,
        "email": change.email,
        "title": change.title,
        "phone": change.phone,
        "role": change.role,
        "areas": list(change.areas),
    }
    data.update(changes)
    data["shown"] = plan_change(
        case,
        ContactChange(
            **{
                **{k: v for k, v in data.items() if k not in ("areas", "target")},
                "areas": tuple(data["areas"]),
                "target": int(data["target"]) if data["target"] else None,
            }
        ),
    ).digest
    return data


def test_the_work_page_card_leads_to_the_preview_and_apply_changes_the_contacts(
    client, district, staff, personas
):
    case = request_case(
        district,
        staff,
        request_type="replace",
        contact_first_name="Uma",
        contact_last_name="Fox",
        contact_email="uma.fox@birch.example.org",
        contact_type="technical",
        replacement_name="Tess Dahl",
    )
    client.force_login(personas.advisor)
    work = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "Contact change" in work
    assert preview_url(case) in work

    page = client.get(preview_url(case)).content.decode()
    assert "What applying will do" in page
    assert "Switch off Tess Dahl&#x27;s membership (Technical contact)" in page
    assert "Create an account for Uma Fox" in page
    assert "Apply these changes" in page

    response = client.post(preview_url(case), {**form_data(case), "apply": "1"})
    assert response.status_code == 302
    assert response["Location"].endswith("#contact-changes")
    assert User.objects.filter(email="uma.fox@birch.example.org").exists()
    work = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert f"Applied by {personas.advisor.get_full_name()}" in work
    assert "replaced Tess Dahl with Uma Fox" in work  # the timeline
    assert "Already applied" in client.get(preview_url(case)).content.decode()


def test_the_advisor_corrects_a_value_and_a_refusal_keeps_what_was_typed(client, district, staff, personas):
    case = request_case(
        district,
        staff,
        request_type="add",
        contact_first_name="Robin",
        contact_last_name="Hale",
        contact_email="robin.hale@birch.example.org",
        contact_type="authorized",
    )
    client.force_login(personas.advisor)
    # The advisor makes Robin the technical contact: refused, the typed values are kept, nothing written.
    before = written()
    data = form_data(case, role=Role.TECHNICAL, title="Network Lead")
    response = client.post(preview_url(case), {**data, "apply": "1"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "already has an active technical contact: Tess Dahl" in page
    assert 'value="Network Lead"' in page
    assert '<option value="technical" selected>' in page
    assert written() == before

    # Corrected to Implementation: "Update the preview" shows the new steps, then Apply does them.
    response = client.post(preview_url(case), {**data, "role": Role.IMPLEMENTATION, "preview": "1"})
    assert response.status_code == 200
    assert "the role Implementation contact" in response.content.decode()
    shown = re.search(r'name="shown" value="(\w+)"', response.content.decode())
    assert shown is not None
    response = client.post(
        preview_url(case), {**data, "role": Role.IMPLEMENTATION, "shown": shown.group(1), "apply": "1"}
    )
    assert response.status_code == 302
    assert (
        User.objects.get(email="robin.hale@birch.example.org").memberships.get().role == Role.IMPLEMENTATION
    )


def test_apply_with_edited_values_not_previewed_shows_the_new_steps_first(client, district, staff, personas):
    case = request_case(
        district,
        staff,
        request_type="add",
        contact_first_name="Robin",
        contact_last_name="Hale",
        contact_email="robin.hale@birch.example.org",
        contact_type="authorized",
    )
    client.force_login(personas.advisor)
    data = form_data(case)
    before = written()
    response = client.post(preview_url(case), {**data, "role": Role.READ_ONLY, "apply": "1"})
    assert response.status_code == 400
    assert "differs from the preview" in response.content.decode()
    assert "the role Read-only contact" in response.content.decode()
    assert written() == before


def test_the_preview_page_is_only_for_modify_contacts_cases_and_advisors(client, district, staff, personas):
    question = submit_case(district=district, contact=staff["ann"].user)
    client.force_login(personas.advisor)
    assert client.get(preview_url(question)).status_code == 404
    case = request_case(
        district, staff, request_type="remove", contact_first_name="Bo", contact_last_name="Chen"
    )
    contact = Client()
    contact.force_login(staff["ann"].user)
    before = written()
    response = contact.post(preview_url(case), {**form_data(case), "apply": "1"})
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert written() == before


def test_adding_a_former_contact_switches_their_membership_back_on(district, staff, personas):
    former = member(district, "lee.moss@birch.example.org", "Lee", "Moss", Role.SUPPORT, is_active=False)
    case = request_case(
        district,
        staff,
        request_type="add",
        contact_first_name="Lee",
        contact_last_name="Moss",
        contact_email="lee.moss@birch.example.org",
        contact_type="read_only",
        areas=["finance"],
    )
    plan = apply(case, personas.advisor)
    assert plan.steps == [
        "Switch Lee Moss's membership in Birch Lake Schools back on as Read-only contact; areas of "
        "responsibility: Finance."
    ]
    former.refresh_from_db()
    assert (former.is_active, former.role, former.areas) == (True, Role.READ_ONLY, ["finance"])
    assert Membership.objects.filter(user=former.user).count() == 1


def test_another_districts_membership_cannot_be_the_contact_changed(district, staff, personas):
    case = request_case(
        district, staff, request_type="remove", contact_first_name="Bo", contact_last_name="Chen"
    )
    foreign = personas.other_district.memberships.get()
    change = ContactChange(request="remove", target=foreign.pk)
    assert refused(case, personas.advisor, change) == {
        "target": ["Choose the Birch Lake Schools contact to remove."]
    }
    foreign.refresh_from_db()
    assert foreign.is_active


def test_a_staff_member_without_the_advisor_role_gets_403_and_writes_nothing(district, staff):
    case = request_case(
        district, staff, request_type="remove", contact_first_name="Bo", contact_last_name="Chen"
    )
    colleague = UserFactory(email="colleague@support.example.com", is_staff=True)
    client = Client()
    client.force_login(colleague)
    before = written()
    assert client.get(preview_url(case)).status_code == 403
    assert client.post(preview_url(case), {**form_data(case), "apply": "1"}).status_code == 403
    assert written() == before
