"""One case per load of the submission form (``client_token``), and Last Modified as the district sees it
(``public_updated_at``: every change but an internal note), with the contacts' list indexes moved to it."""

from django.conf import settings
from django.db import migrations, models

# Existing cases: the latest change a contact could see, that is the latest event other than an internal note or
# a recipient change (which never moved Last Modified), never later than Last Modified itself.
FILL_PUBLIC_UPDATED_AT = """
UPDATE cases_case c SET public_updated_at = LEAST(c.updated_at, GREATEST(c.created_at, (
    SELECT max(e.created_at) FROM cases_caseevent e
    WHERE e.case_id = c.id
      AND e.kind NOT IN ('recipient_added', 'recipient_removed')
      AND NOT (e.kind = 'posted' AND COALESCE((e.data ->> 'internal')::boolean, false))
)))
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_one_line_fields"),
        ("contacts", "0003_district_case_count"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="client_token",
            field=models.UUIDField(
                blank=True,
                editable=False,
                help_text="The token of the submission form the case was sent from: one case per form load.",
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.UniqueConstraint(fields=("client_token",), name="case_client_token_once"),
        ),
        migrations.AddField(
            model_name="case",
            name="public_updated_at",
            field=models.DateTimeField(null=True, verbose_name="last modified (district)"),
        ),
        migrations.RunSQL(FILL_PUBLIC_UPDATED_AT, migrations.RunSQL.noop, elidable=False),
        migrations.AlterField(
            model_name="case",
            name="public_updated_at",
            field=models.DateTimeField(
                help_text="Last modified as the district sees it: every change but an internal note. The "
                "contacts' list shows, sorts and filters by it.",
                verbose_name="last modified (district)",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="updated_at",
            field=models.DateTimeField(help_text="Last modified: any change or post, internal notes included."),
        ),
        migrations.RemoveIndex(model_name="case", name="case_district_status"),
        migrations.RemoveIndex(model_name="case", name="case_district_updated_number"),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["district", "-public_updated_at", "-number"], name="case_district_public_updated"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["district", "status", "-public_updated_at"], name="case_district_status_public"
            ),
        ),
    ]
