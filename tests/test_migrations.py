"""Migrations that move data keep it: run them with the migration executor against rows written before them."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from cases.models import Case, CaseEvent
from cases.selectors.events import label_events
from contacts.tests.factories import UserFactory
from outbox.models import OutboundEmail

# Before the e-mail outbox moved from the notifications app to the outbox app.
BEFORE_OUTBOX_MOVE = [("notifications", "0001_initial"), ("outbox", None)]


def migrate(targets: list[tuple[str, str | None]] | None = None):
    """Migrate the test database to ``targets`` (default: the latest migrations); return the apps there."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    return executor.migrate(targets).apps


@pytest.fixture
def before_outbox_move():
    """The database as it was before the move; put back to the latest migrations afterwards."""
    try:
        yield migrate(BEFORE_OUTBOX_MOVE)
    finally:
        migrate()


@pytest.mark.django_db(transaction=True)
def test_moving_the_outbox_to_its_own_app_keeps_every_queued_email(before_outbox_move, personas):
    OldEmail = before_outbox_move.get_model("notifications", "OutboundEmail")
    email_id = uuid.uuid4()
    OldEmail.objects.create(
        id=email_id,
        key="case-123-submitted-user-1",
        recipient_id=personas.support.pk,
        to_address=personas.support.email,
        subject="Case 123: Grades not syncing",
        body_text="We received your case.",
        status="pending",
        next_attempt_at=timezone.now(),
    )

    migrate()

    email = OutboundEmail.objects.get()
    assert (email.pk, email.key, email.recipient, email.subject, email.status) == (
        email_id,
        "case-123-submitted-user-1",
        personas.support,
        "Case 123: Grades not syncing",
        OutboundEmail.Status.PENDING,
    )

    # And back: the row is where the notifications app left it.
    old_apps = migrate(BEFORE_OUTBOX_MOVE)
    assert old_apps.get_model("notifications", "OutboundEmail").objects.get().pk == email_id


@pytest.mark.django_db(transaction=True)
def test_advisors_keep_their_outbox_permissions_when_the_outbox_moves(before_outbox_move, personas):
    # Before the move the permissions belong to the notifications app's content type.
    old_type = ContentType.objects.get(model="outboundemail")
    assert old_type.app_label == "notifications"
    operators = Group.objects.create(name="Outbox operators")
    operators.permissions.add(Permission.objects.get(content_type=old_type, codename="change_outboundemail"))
    person = UserFactory(email="operator@support.example.com", is_staff=True)
    person.groups.add(operators)

    migrate()

    person = type(person).objects.get(pk=person.pk)  # no cached permissions
    assert person.has_perm("outbox.change_outboundemail")
    assert ContentType.objects.get(model="outboundemail").app_label == "outbox"


# Before the business durations were stored on the case.
BEFORE_BUSINESS_DURATIONS = [("cases", "0010_case_without_contact")]


@pytest.mark.django_db(transaction=True)
def test_business_durations_are_computed_for_cases_answered_and_closed_before_the_migration(personas):
    chicago = ZoneInfo("America/Chicago")
    friday_4pm = datetime(2026, 10, 9, 16, 0, tzinfo=chicago)
    monday = datetime(2026, 10, 12, tzinfo=chicago)
    try:
        OldCase = migrate(BEFORE_BUSINESS_DURATIONS).get_model("cases", "Case")

        def old_case(subject: str, **fields: object) -> int:
            return OldCase.objects.create(
                district_id=personas.district_a.pk,
                contact_id=personas.support.pk,
                submitted_by_id=personas.support.pk,
                case_type="ask_question",
                team="campus_support",
                subject=subject,
                description="Written before the migration.",
                first_response_due_at=friday_4pm,
                created_at=friday_4pm,
                updated_at=friday_4pm,
                status_changed_at=friday_4pm,
                **fields,
            ).pk

        waiting = old_case("Not answered yet")
        answered = old_case(
            "Answered Monday 09:00", status="assigned", first_response_at=monday.replace(hour=9)
        )
        closed = old_case(
            "Answered and closed on Monday",
            status="closed",
            first_response_at=monday.replace(hour=9),
            closed_at=monday.replace(hour=11),
        )

        migrate()

        durations = {
            pk: (first, resolution)
            for pk, first, resolution in Case.objects.values_list(
                "pk", "first_response_business_seconds", "resolution_business_seconds"
            )
        }
        # Friday 16:00-18:00, then Monday from 06:00.
        assert durations == {
            waiting: (None, None),
            answered: (5 * 3600, None),
            closed: (5 * 3600, 7 * 3600),
        }

        # And back: the columns go, the cases stay.
        assert migrate(BEFORE_BUSINESS_DURATIONS).get_model("cases", "Case").objects.count() == 3
    finally:
        migrate()


# Before case events stored values (ids and codes) under namespaced kinds.
BEFORE_EVENT_VALUES = [("cases", "0011_case_business_durations")]


@pytest.fixture
def before_event_values():
    try:
        yield migrate(BEFORE_EVENT_VALUES)
    finally:
        migrate()


@pytest.mark.django_db(transaction=True)
def test_old_case_events_get_namespaced_kinds_and_values(before_event_values, personas):
    apps = before_event_values
    Case = apps.get_model("cases", "Case")
    OldEvent = apps.get_model("cases", "CaseEvent")
    issue = apps.get_model("cases", "DevIssue").objects.create(number="DEV-48213", title="Totals wrong")
    release = apps.get_model("cases", "Release").objects.create(name="2026.11 Release Pack")
    type(personas.advisor).objects.filter(pk=personas.advisor.pk).update(
        first_name="Avery", last_name="Morgan"
    )
    type(personas.technical).objects.filter(pk=personas.technical.pk).update(
        first_name="Priya", last_name="Raman"
    )
    now = timezone.now()
    case = Case.objects.create(
        district_id=personas.district_a.pk,
        contact_id=personas.support.pk,
        submitted_by_id=personas.support.pk,
        case_type="ask_question",
        team="campus_support",
        subject="Grades not syncing",
        description="Since Monday.",
        first_response_due_at=now,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )

    def old_event(kind, old="", new="", **data):
        return OldEvent.objects.create(case=case, kind=kind, old=old, new=new, data=data, created_at=now).pk

    rows = {
        "created": old_event("created", new="new", type="ask_question", priority="High"),
        "taken": old_event("assigned", new="Avery Morgan"),
        "handed": old_event("assigned", old="Avery Morgan", new="Someone Who Left"),
        "replied": old_event("status", old="pending_customer_input", new="assigned", reason="contact replied"),
        "released": old_event("status", old="assigned_to_development", new="available_in_release",
                              release="2026.11 Release Pack"),
        "added": old_event("recipient_added", new="Priya Raman", user=personas.technical.pk),
        "removed": old_event("recipient_removed", old="Priya Raman"),
        "impact": old_event("impact", new="Severe: work has stopped"),
        "linked": old_event("dev_issue", new="DEV-48213"),
        "granted": old_event("permission", new="granted"),
    }  # fmt: skip

    migrate()

    def row(name):
        event = CaseEvent.objects.get(pk=rows[name])
        return event.kind, event.old, event.new, event.data

    advisor, technical = str(personas.advisor.pk), str(personas.technical.pk)
    assert row("created") == ("case.created", "", "new", {"type": "ask_question", "priority": 2})
    assert row("taken") == ("case.assigned", "", advisor, {})
    # A name that matches no staff account: the value stays empty and the text is kept.
    assert row("handed") == ("case.assigned", advisor, "", {"new_text": "Someone Who Left"})
    assert row("replied") == (
        "case.status_changed",
        "pending_customer_input",
        "assigned",
        {"reason": "contact_replied"},
    )
    assert row("released")[0] == "case.status_changed"
    assert row("released")[3] == {"release": release.pk}
    assert row("added") == ("recipient.added", "", technical, {})
    assert row("removed") == ("recipient.removed", technical, "", {})
    assert row("impact") == ("impact.assessed", "", "severe", {})
    assert row("linked") == ("dev_issue.linked", "", str(issue.pk), {})
    assert row("granted") == ("permission.granted", "", "granted", {})
    # The timeline reads the kept text where no value was found.
    [handed] = label_events([CaseEvent.objects.get(pk=rows["handed"])])
    assert (handed.old_label, handed.new_label) == ("Avery Morgan", "Someone Who Left")

    # And back: the old kinds, the values as they are now; forward again changes nothing more.
    old_apps = migrate(BEFORE_EVENT_VALUES)
    back = old_apps.get_model("cases", "CaseEvent").objects.get(pk=rows["taken"])
    assert (back.kind, back.new) == ("assigned", advisor)
    migrate()
    assert row("taken") == ("case.assigned", "", advisor, {})
    assert row("handed") == ("case.assigned", advisor, "", {"new_text": "Someone Who Left"})
    assert row("removed") == ("recipient.removed", technical, "", {})
    assert row("impact") == ("impact.assessed", "", "severe", {})


@pytest.mark.django_db(transaction=True)
def test_the_sla_watch_migration_stores_lateness_and_plans_the_watch_of_open_cases(personas):
    chicago = ZoneInfo("America/Chicago")
    try:
        apps = migrate([("cases", "0027_followup_for_cases_waiting")])
        OldCase = apps.get_model("cases", "Case")

        def case(subject, created, due, **extra):
            return OldCase.objects.create(
                district_id=personas.district_a.pk,
                contact_id=personas.support.pk,
                submitted_by_id=personas.support.pk,
                case_type="ask_question",
                team="campus_support",
                priority=2,
                subject=subject,
                description="-",
                first_response_due_at=due,
                created_at=created,
                updated_at=created,
                public_updated_at=created,
                status_changed_at=created,
                **extra,
            ).pk

        friday = datetime(2025, 11, 7, 15, 0, tzinfo=chicago)  # High: due Monday 07:00, long past
        monday_7 = datetime(2025, 11, 10, 7, 0, tzinfo=chicago)
        late = case("late", friday, monday_7, first_response_at=datetime(2025, 11, 10, 7, 40, tzinfo=chicago))
        on_time = case("on time", friday, monday_7, first_response_at=friday)
        overdue = case("overdue", friday, monday_7)
        later = timezone.now() + timedelta(days=30)
        waiting = case("waiting", later - timedelta(hours=4), later)
        migrate()
        assert Case.objects.get(pk=late).first_response_late_seconds == 40 * 60
        assert Case.objects.get(pk=on_time).first_response_late_seconds == 0
        past = Case.objects.get(pk=overdue)
        assert (past.sla_warn_at, past.sla_watch_at) == (None, monday_7)  # no warning, only the miss
        future = Case.objects.get(pk=waiting)
        assert future.sla_warn_at is not None
        assert future.sla_watch_at == min(future.sla_warn_at, later)
    finally:
        migrate()
