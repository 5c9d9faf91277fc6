"""Inactivity (SPEC §8): a contact with no login and no case activity for 180 days is flagged and told by e-mail,
once; using the portal clears the flag; advisors deactivate flagged contacts from the admin, through a service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from cases.models import CaseEvent, Recipient
from cases.tests.factories import CaseFactory
from contacts.models import AccountEvent, User
from contacts.services import account_record_activity, account_set_active
from contacts.tests.factories import PASSWORD, MembershipFactory, UserFactory
from jobs import runner
from outbox.models import OutboundEmail
from outbox.tasks import sweep_outbox
from portal.lib.businesstime import inactivity_flag_at
from tests.helpers import run_together

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")
# Last seen on a Tuesday of daylight time; 180 days later is a Sunday of standard time (the November change
# lies between): the same Chicago clock time, 181 x 24 hours later in absolute time.
LAST_SEEN = datetime(2026, 9, 1, 10, 0, tzinfo=CHICAGO)
INACTIVE_FROM = datetime(2027, 2, 28, 10, 0, tzinfo=CHICAGO)
MICROSECOND = timedelta(microseconds=1)


def contact_last_seen(moment: datetime = LAST_SEEN, **extra: object) -> User:
    user = UserFactory(
        date_joined=moment - timedelta(days=30), last_login=moment, last_activity_at=moment, **extra
    )
    MembershipFactory(user=user)
    return user


def warnings() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(key__contains="-inactive-from-"))


def test_the_clock_runs_180_calendar_days_on_the_chicago_clock_across_the_dst_change():
    contact = contact_last_seen()
    assert inactivity_flag_at(LAST_SEEN) == INACTIVE_FROM
    assert contact.inactive_from == INACTIVE_FROM
    assert INACTIVE_FROM.astimezone(UTC) - LAST_SEEN.astimezone(UTC) == timedelta(days=180, hours=1)

    early = runner.run("inactivity", now=INACTIVE_FROM - MICROSECOND)
    assert (early.due, early.done) == (0, 0)
    assert warnings() == []

    run = runner.run("inactivity", now=INACTIVE_FROM)
    assert (run.due, run.done, run.failed) == (1, 1, 0)
    contact.refresh_from_db()
    assert contact.inactivity_flagged_at == INACTIVE_FROM
    [event] = AccountEvent.objects.filter(user=contact, kind=AccountEvent.Kind.INACTIVITY_FLAGGED)
    assert event.actor is None
    [warning] = warnings()
    assert warning.to_address == contact.email
    sweep_outbox()
    [message] = mail.outbox
    assert message.to == [contact.email]
    assert "will be deactivated unless you log in" in message.subject
    assert "no login and no case activity since Tuesday 1 September 2026" in message.body
    assert "/accounts/login/" in message.body


def test_a_rerun_and_a_catch_up_after_days_flag_and_tell_once():
    contact = contact_last_seen()
    runner.run("inactivity", now=INACTIVE_FROM + timedelta(days=3))  # beat was down: one flag on catch-up
    again = runner.run("inactivity", now=INACTIVE_FROM + timedelta(days=3, hours=1))
    later = runner.run("inactivity", now=INACTIVE_FROM + timedelta(days=40))
    assert (again.due, later.due) == (0, 0)
    assert len(warnings()) == 1
    assert AccountEvent.objects.filter(user=contact, kind=AccountEvent.Kind.INACTIVITY_FLAGGED).count() == 1


@pytest.mark.parametrize(
    "kind",
    [
        CaseEvent.Kind.POST_ADDED,
        CaseEvent.Kind.CREATED,
        CaseEvent.Kind.STATUS_CHANGED,
        CaseEvent.Kind.PERMISSION_GRANTED,
        CaseEvent.Kind.RECIPIENT_ADDED,
    ],
)
def test_case_activity_the_stored_moment_missed_keeps_the_contact_active(kind):
    contact = contact_last_seen()
    acted = LAST_SEEN + timedelta(days=100)
    CaseEvent.objects.create(case=CaseFactory(contact=contact), kind=kind, actor=contact, created_at=acted)
    run = runner.run("inactivity", now=INACTIVE_FROM)
    assert (run.due, run.done, run.skipped) == (1, 0, 1)
    contact.refresh_from_db()
    assert contact.inactivity_flagged_at is None
    assert contact.inactive_from == inactivity_flag_at(acted)  # the due moment moved on, to the right one
    assert warnings() == []
    assert runner.run("inactivity", now=INACTIVE_FROM + timedelta(days=1)).due == 0


def test_advisors_and_deactivated_accounts_are_never_flagged():
    contact_last_seen(is_staff=True)
    contact_last_seen(is_active=False)
    assert runner.run("inactivity", now=INACTIVE_FROM + timedelta(days=1)).due == 0


def test_logging_in_clears_the_flag_and_the_clock_starts_again():
    contact = contact_last_seen()
    runner.run("inactivity", now=INACTIVE_FROM)
    back = INACTIVE_FROM + timedelta(days=2)
    client = Client()
    with time_machine.travel(back, tick=False):
        response = client.post(reverse("login"), {"username": contact.email, "password": PASSWORD})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.inactivity_flagged_at is None
    assert contact.last_activity_at == back
    assert contact.inactive_from == inactivity_flag_at(back)
    [cleared] = AccountEvent.objects.filter(user=contact, kind=AccountEvent.Kind.INACTIVITY_CLEARED)
    assert cleared.actor == contact
    assert runner.run("inactivity", now=back + timedelta(days=179)).due == 0
    # Another 180 days without a visit: a new stretch of inactivity, a new flag and a new warning.
    assert runner.run("inactivity", now=inactivity_flag_at(back)).done == 1
    assert len(warnings()) == 2


def test_the_dry_run_lists_the_due_contacts_and_changes_nothing():
    contact = contact_last_seen()
    out = StringIO()
    call_command("run_job", "inactivity", "--dry-run", "--now", "2027-02-28T10:00-06:00", stdout=out)
    assert "1 due" in out.getvalue()
    assert f"would flag {contact.email} as inactive" in out.getvalue()
    contact.refresh_from_db()
    assert contact.inactivity_flagged_at is None
    assert warnings() == []


def test_reactivating_an_account_starts_its_clock_again():
    contact = contact_last_seen()
    runner.run("inactivity", now=INACTIVE_FROM)
    root = UserFactory(is_staff=True, is_superuser=True)
    account_set_active(actor=root, user=contact, active=False, now=INACTIVE_FROM + timedelta(days=1))
    again = INACTIVE_FROM + timedelta(days=30)
    account_set_active(actor=root, user=contact, active=True, now=again)
    contact.refresh_from_db()
    assert (contact.inactivity_flagged_at, contact.inactive_from) == (None, inactivity_flag_at(again))
    assert runner.run("inactivity", now=again + timedelta(days=1)).due == 0


# --- the admin: flagged contacts, deactivated in bulk ----------------------------------------------------------


def flagged_contacts(personas, count: int = 2) -> list[User]:
    people = [contact_last_seen() for _ in range(count)]
    runner.run("inactivity", now=INACTIVE_FROM)
    case = CaseFactory(district=personas.district_a, contact=personas.support)
    for person in people:
        Recipient.objects.create(case=case, user=person)
    return people


def deactivate(client: Client, people: list[User]) -> object:
    return client.post(
        reverse("admin:contacts_user_changelist"),
        {"action": "deactivate_inactive", "_selected_action": [str(p.pk) for p in people]},
    )


def test_advisors_see_the_flagged_contacts_in_the_admin(client, personas):
    flagged = flagged_contacts(personas, 1)[0]
    client.force_login(personas.advisor)
    page = client.get(reverse("admin:contacts_user_changelist"), {"inactivity": "flagged"}).text
    assert flagged.email in page
    assert "Flagged 2027-02-28" in page
    assert personas.support.email not in page


def test_an_advisor_deactivates_flagged_contacts_in_bulk_through_the_service(client, personas):
    people = flagged_contacts(personas)
    client.force_login(personas.advisor)
    response = deactivate(client, [*people, personas.support])
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert "2 inactive account(s) deactivated." in texts
    assert any("Kept 1 account(s) not flagged" in text for text in texts)
    for person in people:
        person.refresh_from_db()
        assert not person.is_active
        assert not Recipient.objects.filter(user=person).exists()
        [event] = AccountEvent.objects.filter(user=person, kind=AccountEvent.Kind.ACCOUNT_DEACTIVATED)
        assert event.actor == personas.advisor
        assert event.data["reason"] == "inactivity"
        assert len(event.data["recipient_of_cases_removed"]) == 1
        assert (
            CaseEvent.objects.filter(kind=CaseEvent.Kind.RECIPIENT_REMOVED, old=str(person.pk)).count() == 1
        )
    personas.support.refresh_from_db()
    assert personas.support.is_active


def test_a_contact_who_came_back_since_the_list_was_shown_is_kept(client, personas):
    [person] = flagged_contacts(personas, 1)
    account_record_activity(user=person, now=INACTIVE_FROM + timedelta(hours=1))
    client.force_login(personas.advisor)
    deactivate(client, [person])
    person.refresh_from_db()
    assert person.is_active


def test_a_staff_account_without_the_advisor_role_gets_403_and_writes_nothing(client, personas):
    people = flagged_contacts(personas)
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="contacts", codename__in=["view_user", "change_user"]
        )
    )
    before = (AccountEvent.objects.count(), CaseEvent.objects.count(), Recipient.objects.count())
    client.force_login(clerk)
    response = deactivate(client, people)
    assert response.status_code == 403
    assert all(User.objects.get(pk=p.pk).is_active for p in people)
    assert (AccountEvent.objects.count(), CaseEvent.objects.count(), Recipient.objects.count()) == before


# --- the job racing a login (RELIABILITY F19) and itself -------------------------------------------------------


@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_a_login_racing_the_job_never_leaves_the_contact_flagged_or_warned_twice():
    for _ in range(8):
        contact = contact_last_seen()
        client = Client()

        def log_in(contact: User = contact, client: Client = client) -> int:
            with time_machine.travel(INACTIVE_FROM + timedelta(minutes=1), tick=False):
                return client.post(
                    reverse("login"), {"username": contact.email, "password": PASSWORD}
                ).status_code

        results = run_together(lambda: runner.run("inactivity", now=INACTIVE_FROM), log_in)
        assert [kind for kind, _ in results] == ["ok", "ok"]
        assert results[1][1] == 302
        contact.refresh_from_db()
        # Never "flagged after a login": the login came last, so the contact ends unflagged either way.
        assert contact.inactivity_flagged_at is None
        flagged = AccountEvent.objects.filter(user=contact, kind=AccountEvent.Kind.INACTIVITY_FLAGGED).count()
        cleared = AccountEvent.objects.filter(user=contact, kind=AccountEvent.Kind.INACTIVITY_CLEARED).count()
        sent = OutboundEmail.objects.filter(key__startswith=f"user-{contact.pk}-inactive-from-").count()
        assert (flagged, cleared, sent) in {(0, 0, 0), (1, 1, 1)}


@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_flag_and_warn_each_contact_once():
    people = [contact_last_seen() for _ in range(20)]
    results = run_together(*(lambda: runner.run("inactivity", now=INACTIVE_FROM) for _ in range(2)))
    assert [kind for kind, _ in results] == ["ok", "ok"]
    assert sum(run.done for _, run in results) == len(people)
    assert sum(run.failed for _, run in results) == 0
    assert len(warnings()) == len(people)
    assert AccountEvent.objects.filter(kind=AccountEvent.Kind.INACTIVITY_FLAGGED).count() == len(people)
