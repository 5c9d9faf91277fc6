"""Case events under namespaced kinds, their values documented, and an index for a person's latest activity.
The rows are converted by the next migration (event_values_data): PostgreSQL refuses to create an index on a
table that the same transaction has just updated.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0011_case_business_durations"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="caseevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("case.created", "Case submitted"),
                    ("case.status_changed", "Status changed"),
                    ("case.assigned", "Advisor assigned"),
                    ("case.escalated", "Escalated"),
                    ("post.added", "Post added"),
                    ("recipient.added", "Recipient added"),
                    ("recipient.removed", "Recipient removed"),
                    ("permission.granted", "Written permission granted"),
                    ("permission.withdrawn", "Written permission withdrawn"),
                    ("dev_issue.linked", "Development issue linked"),
                    ("impact.assessed", "Impact assessed"),
                ],
                max_length=64,
            ),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="new",
            field=models.CharField(
                blank=True, help_text="A value (code or id), never display text.", max_length=255
            ),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="old",
            field=models.CharField(
                blank=True, help_text="A value (code or id), never display text.", max_length=255
            ),
        ),
        migrations.AddIndex(
            model_name="caseevent",
            index=models.Index(fields=["actor", "created_at"], name="caseevent_actor_time"),
        ),
    ]
