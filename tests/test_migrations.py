"""Migrations that move data keep it: run them with the migration executor against rows written before them."""

import uuid

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

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
