"""The business time to the first response and to the resolution, stored on the case when those moments happen,
and computed for the cases that already have them. Reversible: going back drops the columns."""

from datetime import timedelta

from django.db import migrations, models

from portal.lib.businesstime import business_time_between

BATCH = 2000


def business_seconds(start, end):
    return business_time_between(start, end) // timedelta(seconds=1)


def backfill(apps, schema_editor):
    """Each answered case gets its time to first response, each closed case its time from submission to its
    (last) close, exactly as the services compute them from now on."""
    Case = apps.get_model("cases", "Case")
    answered = Case.objects.filter(models.Q(first_response_at__isnull=False) | models.Q(closed_at__isnull=False))
    batch = []
    for case in answered.only("pk", "created_at", "first_response_at", "closed_at").iterator(chunk_size=BATCH):
        if case.first_response_at is not None:
            case.first_response_business_seconds = business_seconds(case.created_at, case.first_response_at)
        if case.closed_at is not None:
            case.resolution_business_seconds = business_seconds(case.created_at, case.closed_at)
        batch.append(case)
        if len(batch) >= BATCH:
            Case.objects.bulk_update(batch, ["first_response_business_seconds", "resolution_business_seconds"])
            batch = []
    if batch:
        Case.objects.bulk_update(batch, ["first_response_business_seconds", "resolution_business_seconds"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_case_without_contact"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="first_response_business_seconds",
            field=models.PositiveIntegerField(
                blank=True, editable=False, help_text="Business time from submission to the first response.", null=True
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="resolution_business_seconds",
            field=models.PositiveIntegerField(
                blank=True,
                editable=False,
                help_text="Business time from submission to the last close; cleared while the case is re-opened.",
                null=True,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
