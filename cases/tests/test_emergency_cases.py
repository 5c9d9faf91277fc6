"""Emergency cases from the workbench (SPEC §1, §3.6): an advisor opens a case for an unauthorized caller, or on
behalf of an authorized contact, on the admin's "Open a case" page; a caller's case is later transferred to an
authorized contact from its work page. Refusals write nothing: no case, no event, no e-mail."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from cases.casetypes import CaseType
from cases.models import Case, CaseEvent, Priority, Recipient
from cases.selectors.events import event_sentence, label_events
from cases.services import case_submit, case_transfer
from cases.tests.factories import CallerCaseFactory, ModuleFactory
from cases.tests.listing_helpers import LIST
from cases.tests.page_helpers import login, url
from contacts.models import Membership
from contacts.tests.factories import AdvisorFactory, UserFactory
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db

OPEN = "/admin/cases/case/open/"
PHONE = "555-0142"


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def open_url(district, case_type: CaseType) -> str:
    return f"{OPEN}?district={district.pk}&type={case_type.value}"


def outage_form(**extra: object) -> dict[str, object]:
    return {
        "district": "",
        "contact": "",
        "caller_name": "Pat Lee",
        "caller_phone": PHONE,
        "subject": "Nobody can log in",
        "description": "The principal phoned: every campus sees an error page.",
        "error_message": "502 Bad Gateway",
        **extra,
    }


def post_open(client: Client, district, case_type: CaseType, data: dict[str, object]):
    return client.post(open_url(district, case_type), {**data, "district": district.pk})


def nothing_written() -> None:
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()
    assert not OutboundEmail.objects.exists()


def work_url(case: Case) -> str:
    return f"/admin/cases/case/{case.pk}/change/"


def transfer_url(case: Case) -> str:
    return f"/admin/cases/case/{case.pk}/work/transfer/"


# --- the page and its link ---------------------------------------------------------------------------------------


def test_the_case_list_links_to_the_page_and_it_asks_for_district_and_type(client, personas):
    login(client, personas.advisor)
    assert f'href="{OPEN}"' in client.get("/admin/cases/case/").content.decode()
    response = client.get(OPEN)
    assert response.status_code == 200
    text = text_of(response)
    assert "District and case type" in text
    assert personas.district_a.name in text
    assert "Report an Outage" in text


def test_the_form_for_a_district_offers_its_authorized_contacts_and_the_caller(client, personas):
    response = login(client, personas.advisor).get(open_url(personas.district_a, CaseType.REPORT_OUTAGE))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nobody: an unauthorized caller" in html
    for person in (personas.support, personas.technical, personas.implementation):
        assert person.email in html
    for person in (personas.read_only, personas.other_district, personas.deactivated):
        assert person.email not in html
    assert "Caller&#x27;s phone" in html or "Caller's phone" in html


@pytest.mark.parametrize("persona", ["support", "read_only", "other_district"])
def test_contacts_have_no_admin(client, personas, persona):
    login(client, getattr(personas, persona))
    response = client.get(OPEN)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    response = post_open(client, personas.district_a, CaseType.REPORT_OUTAGE, outage_form())
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    nothing_written()


def test_a_staff_account_without_the_advisor_role_is_refused(client, personas):
    staff = UserFactory(email="clerk@support.example.com", is_staff=True)
    login(client, staff)
    assert client.get(open_url(personas.district_a, CaseType.REPORT_OUTAGE)).status_code == 403
    assert post_open(client, personas.district_a, CaseType.REPORT_OUTAGE, outage_form()).status_code == 403
    nothing_written()


# --- a case for an unauthorized caller -------------------------------------------------------------------------


def test_an_advisor_opens_an_outage_for_a_caller(client, personas, settings):
    response = post_open(
        login(client, personas.advisor), personas.district_a, CaseType.REPORT_OUTAGE, outage_form()
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == work_url(case)
    assert (case.contact, case.caller_name, case.caller_phone) == (None, "Pat Lee", PHONE)
    assert (case.district, case.priority, case.submitted_by) == (
        personas.district_a,
        Priority.CRITICAL,
        personas.advisor,
    )
    assert case.details["error_message"] == "502 Bad Gateway"
    assert not case.recipients.exists()
    assert list(CaseEvent.objects.values_list("kind", flat=True)) == [CaseEvent.Kind.CREATED]
    # Nobody of the district has an account to tell; support's on-call address hears of the outage at once.
    assert list(OutboundEmail.objects.values_list("to_address", flat=True)) == [
        settings.SUPPORT_ONCALL_ADDRESS
    ]
    page = text_of(client.get(response["Location"]))
    assert f"Case #{case.number} opened for Pat Lee" in page
    assert "Transfer to an authorized contact" in page


def test_the_districts_contacts_see_the_callers_case_like_any_other(client, personas):
    post_open(login(client, personas.advisor), personas.district_a, CaseType.REPORT_OUTAGE, outage_form())
    case = Case.objects.get()
    for persona in ("support", "read_only"):
        login(client, getattr(personas, persona))
        assert f"#{case.number}" in client.get(LIST).content.decode()
        page = client.get(url("detail", case))
        assert page.status_code == 200
        assert "Phoned in by Pat Lee" in text_of(page)
        assert PHONE not in text_of(page)
    login(client, personas.other_district)
    assert f"#{case.number}" not in client.get(LIST).content.decode()
    assert client.get(url("detail", case)).status_code == 404


@pytest.mark.parametrize(
    ("changes", "field_error"),
    [
        ({"caller_name": ""}, "Enter the caller&#x27;s name."),
        ({"caller_phone": "  "}, "Enter the caller&#x27;s phone number."),
        ({"caller_phone": "call the office"}, "with its digits"),
        ({"subject": ""}, "This field is required."),
    ],
    ids=["no-name", "no-phone", "no-digits", "no-subject"],
)
def test_a_caller_case_missing_something_is_refused_with_the_typed_values_kept(
    client, personas, changes, field_error
):
    response = post_open(
        login(client, personas.advisor), personas.district_a, CaseType.REPORT_OUTAGE, outage_form(**changes)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error in html
    assert "Nothing was filed" in html
    assert "The principal phoned: every campus sees an error page." in html
    nothing_written()


def test_the_service_refuses_a_caller_case_from_a_contact(personas):
    with pytest.raises(PermissionDenied):
        case_submit(
            submitter=personas.support,
            district=personas.district_a,
            contact=None,
            case_type=CaseType.REPORT_OUTAGE,
            priority=Priority.CRITICAL,
            subject="Down",
            description="Down",
            caller_name="Pat Lee",
            caller_phone=PHONE,
        )
    nothing_written()


def test_the_same_form_sent_twice_files_one_case(client, personas):
    login(client, personas.advisor)
    token = "9a0f7f3e-3c51-4bd4-9f39-8f1bb1c25a01"
    first = post_open(client, personas.district_a, CaseType.REPORT_OUTAGE, outage_form(token=token))
    second = post_open(client, personas.district_a, CaseType.REPORT_OUTAGE, outage_form(token=token))
    case = Case.objects.get()
    assert first["Location"] == second["Location"] == work_url(case)


# --- on behalf of an authorized contact ------------------------------------------------------------------------


def question_form(contact, **extra: object) -> dict[str, object]:
    module = ModuleFactory(name="Attendance")
    return {
        "contact": contact.pk,
        "priority": Priority.MEDIUM.value,
        "subject": "Where is the attendance report?",
        "description": "Dana phoned: the report moved.",
        "module": module.pk,
        "caller_name": "ignored",
        "caller_phone": "ignored",
        **extra,
    }


def test_an_advisor_submits_on_behalf_of_an_authorized_contact(client, personas):
    response = post_open(
        login(client, personas.advisor),
        personas.district_a,
        CaseType.ASK_QUESTION,
        question_form(personas.technical),
    )
    case = Case.objects.get()
    assert response["Location"] == work_url(case)
    assert (case.contact, case.caller_name, case.caller_phone) == (personas.technical, "", "")
    assert list(case.recipients.values_list("user", flat=True)) == [personas.technical.pk]
    mail = OutboundEmail.objects.get()
    assert mail.recipient == personas.technical
    assert f"Case #{case.number} received" in mail.subject
    login(client, personas.technical)
    assert client.get(url("detail", case)).status_code == 200


@pytest.mark.parametrize(
    ("persona", "message"),
    [
        ("read_only", "is a read-only contact of Maple Grove Public Schools"),
        ("other_district", "is not a contact of Maple Grove Public Schools"),
        ("deactivated", "is no longer an active contact of Maple Grove Public Schools"),
    ],
)
def test_on_behalf_of_a_read_only_foreign_or_former_contact_is_refused(client, personas, persona, message):
    response = post_open(
        login(client, personas.advisor),
        personas.district_a,
        CaseType.ASK_QUESTION,
        question_form(getattr(personas, persona)),
    )
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    nothing_written()


# --- transfer to an authorized contact -------------------------------------------------------------------------


@pytest.fixture
def caller_case(personas) -> Case:
    return CallerCaseFactory(district=personas.district_a, submitted_by=personas.advisor, subject="Offline")


def seen(case: Case) -> int | str:
    newest = CaseEvent.objects.filter(case=case).order_by("-pk").first()
    return newest.pk if newest else ""


def test_an_advisor_transfers_a_callers_case_to_an_authorized_contact(client, personas, caller_case):
    login(client, personas.advisor)
    page = client.get(work_url(caller_case)).content.decode()
    assert "Transfer to an authorized contact" in page
    assert personas.support.email in page
    assert personas.read_only.email not in page
    response = client.post(
        transfer_url(caller_case),
        {"transfer-contact": personas.support.pk, "transfer-seen": seen(caller_case)},
    )
    assert response.status_code == 302
    case = Case.objects.get(pk=caller_case.pk)
    assert (case.contact, case.caller_name, case.caller_phone) == (personas.support, "Pat Lee", PHONE)
    assert Recipient.objects.filter(case=case, user=personas.support).exists()
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.CONTACT_CHANGED)
    assert (event.actor, event.old, event.new) == (personas.advisor, "", str(personas.support.pk))
    mail = OutboundEmail.objects.get()
    assert mail.recipient == personas.support
    assert f"Case #{case.number} is now yours" in mail.subject
    assert "phoned in" in mail.body_text
    assert PHONE not in mail.body_text
    page = text_of(client.get(work_url(case)))
    assert f"Case #{case.number} transferred to" in page
    assert "transferred the case from the caller Pat Lee to Dana" in page
    # The contact now owns it: their list names them, their page shows the case.
    login(client, personas.support)
    detail = text_of(client.get(url("detail", case)))
    assert "made Dana" in detail
    assert "the case's contact" in detail
    assert "Phoned in by" not in detail
    assert PHONE not in detail


@pytest.mark.parametrize(
    ("persona", "message"),
    [
        ("read_only", "is a read-only contact of Maple Grove Public Schools"),
        ("other_district", "is not a contact of Maple Grove Public Schools"),
        ("deactivated", "is no longer an active contact of Maple Grove Public Schools"),
    ],
)
def test_a_transfer_to_someone_who_cannot_own_the_case_is_refused(
    client, personas, caller_case, persona, message
):
    login(client, personas.advisor)
    response = client.post(transfer_url(caller_case), {"transfer-contact": getattr(personas, persona).pk})
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    assert Case.objects.get(pk=caller_case.pk).contact is None
    assert not CaseEvent.objects.filter(case=caller_case).exists()
    assert not OutboundEmail.objects.exists()
    assert not Recipient.objects.exists()


def test_a_transfer_to_a_switched_off_membership_is_refused(client, personas, caller_case):
    Membership.objects.filter(user=personas.technical).update(is_active=False)
    response = login(client, personas.advisor).post(
        transfer_url(caller_case), {"transfer-contact": personas.technical.pk}
    )
    assert response.status_code == 400
    assert "is no longer an active contact" in unescape(response.content.decode())
    assert Case.objects.get(pk=caller_case.pk).contact is None
    assert not OutboundEmail.objects.exists()


def test_a_transfer_to_the_cases_own_contact_is_refused(client, personas, caller_case):
    case_transfer(actor=personas.advisor, case=caller_case, contact=personas.support)
    events, mails = CaseEvent.objects.count(), OutboundEmail.objects.count()
    response = login(client, personas.advisor).post(
        transfer_url(caller_case), {"transfer-contact": personas.support.pk}
    )
    assert response.status_code == 400
    assert "is already the contact of case" in unescape(response.content.decode())
    assert (CaseEvent.objects.count(), OutboundEmail.objects.count()) == (events, mails)


def test_a_transferred_case_can_go_to_another_contact_and_the_timeline_says_so(personas, caller_case):
    case_transfer(actor=personas.advisor, case=caller_case, contact=personas.support)
    case_transfer(actor=personas.advisor, case=caller_case, contact=personas.implementation)
    case = Case.objects.get(pk=caller_case.pk)
    assert case.contact == personas.implementation
    assert case.caller_name == "Pat Lee"
    events = label_events(
        list(CaseEvent.objects.filter(kind=CaseEvent.Kind.CONTACT_CHANGED).select_related("actor"))
    )
    sentences = [event_sentence(e) for e in events]
    assert "transferred the case from the caller Pat Lee to Dana" in sentences[0]
    assert "transferred the case from Dana" in sentences[1]
    assert [m.recipient for m in OutboundEmail.objects.order_by("created_at")] == [
        personas.support,
        personas.implementation,
    ]


def test_contacts_cannot_transfer(client, personas, caller_case):
    login(client, personas.support)
    response = client.post(transfer_url(caller_case), {"transfer-contact": personas.support.pk})
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert Case.objects.get(pk=caller_case.pk).contact is None
    assert not CaseEvent.objects.exists()


def test_the_transfer_card_is_only_on_cases_phoned_in_by_a_caller(client, personas):
    case = case_submit(
        submitter=personas.support,
        district=personas.district_a,
        contact=personas.support,
        case_type=CaseType.REPORT_OUTAGE,
        priority=Priority.CRITICAL,
        subject="Down",
        description="Down",
    )
    page = login(client, personas.advisor).get(work_url(case)).content.decode()
    assert "Transfer to an authorized contact" not in page


def test_a_transfer_from_a_page_opened_before_another_advisors_transfer_is_refused(client, personas):
    caller_case = case_submit(
        submitter=personas.advisor,
        district=personas.district_a,
        contact=None,
        case_type=CaseType.REPORT_OUTAGE,
        priority=Priority.CRITICAL,
        subject="Down",
        description="Every campus is down.",
        caller_name="Pat Lee",
        caller_phone=PHONE,
    )
    opened = seen(caller_case)
    case_transfer(actor=AdvisorFactory(), case=caller_case, contact=personas.technical)
    mails = OutboundEmail.objects.count()
    response = login(client, personas.advisor).post(
        transfer_url(caller_case), {"transfer-contact": personas.support.pk, "transfer-seen": opened}
    )
    # The work page again (as for every action), with the change it missed and the choice kept.
    assert response.status_code == 200
    assert "This case changed since you opened it. Nothing was saved." in text_of(response)
    assert Case.objects.get(pk=caller_case.pk).contact == personas.technical
    assert OutboundEmail.objects.count() == mails


def test_a_district_and_type_that_do_not_exist_show_the_first_step_again(client, personas):
    login(client, personas.advisor)
    response = client.get(f"{OPEN}?district=999999&type=no_such_type")
    assert response.status_code == 200
    assert "District and case type" in text_of(response)
    assert "Choose a district and a case type." in text_of(response)
    response = client.post(f"{OPEN}?district=999999&type=report_outage", outage_form())
    assert response.status_code == 404
    nothing_written()
