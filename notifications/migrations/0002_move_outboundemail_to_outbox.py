"""The e-mail outbox moved to the outbox app (outbox migration 0001): forget the model here, keep its table."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0001_initial"),
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="OutboundEmail")],
        ),
    ]
