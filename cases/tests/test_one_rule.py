"""Rules that several pages and services share are each decided in one place: these tests ask every caller
the same question and expect the same answer, so a second, diverging implementation fails here."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.casetypes import CASE_TYPES, CaseType
from cases.forms import CaseForm
from cases.models import Case, CaseEvent
from cases.selectors.case_page import case_page
from cases.selectors.reopen import window_end
from cases.services import recipients_add
from cases.tests.factories import submit_case
from cases.tests.listing_helpers import case_row, create_cases, listed_numbers
from cases.workflow import Status
from contacts.models import Role
from contacts.tests.factories import MembershipFactory, UserFactory
from jobs import runner

pytestmark = pytest.mark.django_db


def test_who_may_own_a_case_is_the_same_on_the_form_in_the_service_and_for_recipients(personas):
    """The district's authorized contacts: active accounts with a switched-on, not read-only membership."""
    district = personas.district_a
    switched_off = UserFactory(email="switched-off@a.example.org")
    MembershipFactory(user=switched_off, district=district, role=Role.SUPPORT, is_active=False)
    people = [*personas.all().values(), switched_off]
    expected = {personas.support.pk, personas.technical.pk, personas.implementation.pk}

    form = CaseForm(spec=CASE_TYPES[CaseType.ASK_QUESTION], districts=[district])
    accepted_as_contact, refused_fields = set(), set()
    for person in people:
        try:
            submit_case(district=district, contact=person, submitter=personas.support)
        except ValidationError as error:
            refused_fields.update(error.message_dict)
        else:
            accepted_as_contact.add(person.pk)
    case = Case.objects.filter(contact=personas.support).get()
    accepted_as_recipient = set()
    for person in people:
        try:
            recipients_add(actor=personas.support, case=case, users=[person])
        except ValidationError:
            pass
        else:
            accepted_as_recipient.add(person.pk)
    page = case_page(personas.support, case.number)

    assert form.contacts_by_district[district.pk] == expected
    assert accepted_as_contact == expected
    assert refused_fields == {"contact"}
    assert accepted_as_recipient == expected
    assert {user.pk for user in page.recipients} == expected


CHICAGO = ZoneInfo("America/Chicago")


def chicago(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=CHICAGO, fold=fold)


# now: {closed at: may still be re-opened}. Each window ends at the same Chicago clock time 60 dates later; a
# clock time that does not exist (02:30 on 14 March 2027) is read as 03:30 CDT, a repeated one (01:30 on
# 7 November 2027) is its first occurrence.
REOPEN_WINDOWS_ACROSS_DST = [
    pytest.param(
        chicago(2027, 3, 14, 3, 15),
        {
            chicago(2027, 1, 13, 2, 10): False,  # ended 03:10 CDT
            chicago(2027, 1, 13, 2, 30): True,  # ends 03:30 CDT
            chicago(2027, 1, 13, 3, 10): False,  # ended 03:10 CDT
            chicago(2027, 1, 13, 3, 20): True,
        },
        id="spring-forward",
    ),
    pytest.param(
        chicago(2027, 3, 14, 3, 31),
        {chicago(2027, 1, 13, 2, 30): False, chicago(2027, 1, 13, 3, 40): True},
        id="spring-forward-after-the-skipped-hour",
    ),
    pytest.param(
        chicago(2027, 11, 7, 1, 10, fold=1),  # CST, the second 01:10
        {
            chicago(2027, 9, 8, 1, 5): False,
            chicago(2027, 9, 8, 1, 30): False,  # ended 01:30 CDT, 40 minutes ago
            chicago(2027, 9, 8, 2, 30): True,
        },
        id="fall-back-now-in-the-repeated-hour",
    ),
    pytest.param(
        chicago(2028, 1, 6, 1, 30),
        {
            chicago(2027, 11, 7, 1, 20): False,  # CDT
            chicago(2027, 11, 7, 1, 50): True,  # CDT
            chicago(2027, 11, 7, 1, 10, fold=1): False,  # CST: closed later, but its window ended earlier
            chicago(2027, 11, 7, 1, 40, fold=1): True,
        },
        id="closed-in-the-repeated-hour",
    ),
]


@pytest.mark.parametrize(("now", "closed"), REOPEN_WINDOWS_ACROSS_DST)
def test_closed_in_the_last_60_days_lists_exactly_the_cases_that_offer_re_open(client, personas, now, closed):
    cases = create_cases(
        case_row(
            district=personas.district_a,
            contact=personas.support,
            status=Status.CLOSED,
            advisor=personas.advisor,
            updated_at=closed_at,
        )
        for closed_at in closed
    )
    with time_machine.travel(now, tick=False):
        client.force_login(personas.support)
        listed = set(listed_numbers(client.get(reverse("cases:list"), {"view": "closed"}).text))
        offered = {
            case.number
            for case in cases
            if "Re-open case" in client.get(reverse("cases:detail", kwargs={"number": case.number})).text
        }
    expected = {case.number for case, allowed in zip(cases, closed.values(), strict=True) if allowed}
    assert offered == expected
    assert listed == expected
    # The job asks the same rule: it records the end of exactly the other windows (from the due moment a
    # close stores), and not one more after them.
    for case in cases:
        Case.objects.filter(pk=case.pk).update(reopen_window_ends_at=window_end(case.closed_at))
    runner.run("reopen-window", now=now)
    ended = set(
        CaseEvent.objects.filter(kind=CaseEvent.Kind.REOPEN_WINDOW_ENDED).values_list(
            "case__number", flat=True
        )
    )
    assert ended == {case.number for case in cases} - expected


APPS = ("cases", "contacts", "outbox", "notifications", "surveys", "portal")


def product_sources() -> dict[str, str]:
    root = Path(__file__).resolve().parents[2]
    return {
        str(path.relative_to(root)): path.read_text(encoding="utf-8")
        for app in APPS
        for path in (root / app).rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    }


def test_the_reopen_window_is_computed_in_one_place():
    """The page, the re-open service, the quick view, the workbench's preview and the job all ask
    ``cases.selectors.reopen``; only it asks the business calendar's reopen functions."""
    asking = sorted(
        path
        for path, text in product_sources().items()
        if re.search(r"businesstime\.(reopen_deadline|reopen_allowed|reopenable_closed_at)\b", text)
        or re.search(r"from portal\.lib\.businesstime import[^\n]*\breopen", text)
    )
    assert asking == ["cases/selectors/reopen.py"]


def test_one_case_is_fetched_for_a_viewer_in_one_place():
    """Every page and action that shows or changes one case gets it from ``get_case_for_viewer`` (404 for
    another district's case): no second getter with its own idea of visibility."""
    fetching = sorted(
        path for path, text in product_sources().items() if re.search(r"\.get\(\s*number=", text)
    )
    assert fetching == ["cases/selectors/__init__.py"]
