from pathlib import Path

import pytest
from django.db import transaction

from outbox.models import OutboundEmail
from outbox.services import enqueue_email

TEST_TEMPLATES = Path(__file__).resolve().parent / "templates"
FAILING_MAILER = {"default": {"BACKEND": "outbox.tests.mailers.FailingBackend"}}


@pytest.fixture(autouse=True)
def _test_email_templates(settings):
    """Make ``emails/outbox_test/`` (in this folder) available next to the real e-mail templates."""
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], TEST_TEMPLATES]}]


@pytest.fixture
def queue():
    """Queue the test e-mail for a person in a transaction of its own, as a service would."""

    def _queue(
        recipient, *, key="case-123-post-1", title="Grades not syncing", number=123
    ) -> OutboundEmail | None:
        with transaction.atomic():
            return enqueue_email(
                recipient=recipient,
                template="outbox_test",
                context={"number": number, "title": title},
                key=f"{key}-user-{recipient.pk}",
            )

    return _queue
