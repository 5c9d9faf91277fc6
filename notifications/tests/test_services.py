"""Posting, updating and closing status notifications: who is told, once, and what is refused."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from contacts.models import Role
from contacts.tests.factories import MembershipFactory, UserFactory
from notifications.models import Notification, NotificationRecipient, NotificationUpdate
from notifications.services import (
    _email,
    affected_contacts,
    notification_close,
    notification_create,
    notification_update,
)
from notifications.tests.factories import post_incident, post_maintenance
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db


def addresses(**filters: object) -> list[str]:
    return sorted(OutboundEmail.objects.filter(**filters).values_list("to_address", flat=True))


def test_a_scoped_update_emails_the_districts_authorized_contacts_once_each(personas):
    incident = post_incident(personas.advisor, districts=[personas.district_a])
    assert OutboundEmail.objects.count() == 0  # posting without "e-mail" tells nobody
    update = notification_update(
        actor=personas.advisor, notification=incident, body="Found the cause.", email=True
    )
    told = addresses(key__startswith=f"notification-{incident.pk}-update-{update.pk}-")
    # Authorized contacts of district A; not read-only, not the deactivated person, not district B.
    assert told == ["implementation@a.example.org", "support@a.example.org", "technical@a.example.org"]
    # Asked again (a retried request), the same update queues nothing twice: one e-mail per contact per update.
    with transaction.atomic():
        _email(update, affected_contacts(incident), timezone.now())
    assert OutboundEmail.objects.count() == 3
    subject = OutboundEmail.objects.first().subject
    assert "Grade Book posting errors" in subject


def test_closing_tells_whoever_was_told_even_after_they_left_the_scope(personas):
    incident = post_incident(personas.advisor, districts=[personas.district_a], email=True)
    assert NotificationRecipient.objects.filter(notification=incident).count() == 3
    # The scope moves to district B only, without e-mail.
    notification_update(
        actor=personas.advisor,
        notification=incident,
        body="Only Cedar Falls is still affected.",
        is_global=False,
        districts=[personas.district_b],
    )
    resolved = notification_close(actor=personas.advisor, notification=incident, body="Fixed in hotfix 3.")
    told = addresses(key__contains=f"-update-{resolved.pk}-")
    assert told == ["implementation@a.example.org", "support@a.example.org", "technical@a.example.org"]
    assert (
        "[Resolved]" in OutboundEmail.objects.filter(key__contains=f"-update-{resolved.pk}-").first().subject
    )
    incident.refresh_from_db()
    assert incident.closed_at is not None
    assert resolved.kind == NotificationUpdate.Kind.RESOLVED


def test_closing_with_email_also_tells_the_affected_districts_who_were_not_told(personas):
    incident = post_incident(personas.advisor)
    resolved = notification_close(actor=personas.advisor, notification=incident, body="Fixed.", email=True)
    told = addresses(key__contains=f"-update-{resolved.pk}-")
    assert "contact@b.example.org" in told
    assert "support@a.example.org" in told
    assert "readonly@a.example.org" not in told
    assert "former@a.example.org" not in told


def test_a_global_email_reaches_every_districts_authorized_contacts(personas):
    notification_create(
        actor=personas.advisor,
        kind="incident",
        title="Login failures",
        body="Investigating.",
        is_global=True,
        email=True,
    )
    assert "contact@b.example.org" in addresses()
    assert "support@a.example.org" in addresses()


def test_maintenance_ending_before_it_starts_is_refused_and_nothing_stored(personas):
    start = timezone.now() + timedelta(days=14)
    with pytest.raises(ValidationError) as refused:
        notification_create(
            actor=personas.advisor,
            kind="maintenance",
            title="Upgrade",
            body="Down.",
            is_global=True,
            starts_at=start,
            ends_at=start - timedelta(hours=1),
        )
    assert refused.value.message_dict == {"ends_at": ["The end must be after the start."]}
    with pytest.raises(ValidationError) as refused:
        notification_create(
            actor=personas.advisor, kind="maintenance", title="Upgrade", body="Down.", is_global=True
        )
    assert set(refused.value.message_dict) == {"starts_at", "ends_at"}
    assert Notification.objects.count() == 0


def test_a_scoped_notification_needs_districts(personas):
    with pytest.raises(ValidationError) as refused:
        notification_create(
            actor=personas.advisor, kind="incident", title="Slow", body="Slow.", is_global=False
        )
    assert "districts" in refused.value.message_dict


@pytest.mark.parametrize("who", ["support", "other_district"])
def test_a_contact_cannot_post_update_or_close(personas, who):
    person = getattr(personas, who)
    with pytest.raises(PermissionDenied):
        notification_create(actor=person, kind="incident", title="X", body="Y", is_global=True)
    incident = post_incident(personas.advisor)
    with pytest.raises(PermissionDenied):
        notification_update(actor=person, notification=incident, body="Z")
    with pytest.raises(PermissionDenied):
        notification_close(actor=person, notification=incident, body="Z")
    assert incident.updates.count() == 1


def test_staff_without_the_advisor_role_cannot_post(personas):
    staff = UserFactory(email="staff@support.example.com", is_staff=True)
    with pytest.raises(PermissionDenied):
        notification_create(actor=staff, kind="incident", title="X", body="Y", is_global=True)


def test_a_closed_notification_takes_no_update_and_no_second_close(personas):
    incident = post_incident(personas.advisor)
    notification_close(actor=personas.advisor, notification=incident, body="Fixed.")
    with pytest.raises(ValidationError):
        notification_update(actor=personas.advisor, notification=incident, body="More")
    with pytest.raises(ValidationError):
        notification_close(actor=personas.advisor, notification=incident, body="Again")
    assert incident.updates.count() == 2


def test_an_update_records_what_it_changed_and_moves_the_calendar_sequence(personas):
    maintenance = post_maintenance(personas.advisor)
    later = maintenance.starts_at + timedelta(days=1)
    update = notification_update(
        actor=personas.advisor,
        notification=maintenance,
        body="Moved a day.",
        starts_at=later,
        ends_at=later + timedelta(hours=2),
    )
    maintenance.refresh_from_db()
    assert maintenance.starts_at == later
    assert maintenance.revision == 1
    assert set(update.changes) == {"starts_at", "ends_at"}


def test_a_new_contact_added_later_is_told_of_the_next_update(personas):
    incident = post_incident(personas.advisor, districts=[personas.district_b], email=True)
    newcomer = UserFactory(email="new@b.example.org")
    MembershipFactory(user=newcomer, district=personas.district_b, role=Role.SUPPORT)
    notification_update(actor=personas.advisor, notification=incident, body="Still on it.", email=True)
    assert addresses(to_address="new@b.example.org") == ["new@b.example.org"]
    assert addresses(to_address="contact@b.example.org") == ["contact@b.example.org"] * 2


def test_the_email_links_to_the_updates_and_says_how_to_report_the_same_symptoms(personas):
    incident = post_incident(personas.advisor, districts=[personas.district_b], email=True)
    email = OutboundEmail.objects.get()
    assert email.subject == "[Incident] Grade Book posting errors"
    assert f"/notifications/{incident.pk}/" in email.body_text
    assert "Teachers cannot post grades; we are investigating." in email.body_text
    assert "no phone call is needed" in email.body_text
    assert f"/notifications/{incident.pk}/" in email.body_html
