"""Migrations that move data keep it: run them with the migration executor against rows written before them."""

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from cases.models import Case
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
