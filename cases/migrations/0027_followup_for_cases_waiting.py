"""Cases already in Pending Customer Verification get their 3x10 sequence, counted from now: the districts
were never told of a schedule, so none of them is closed or followed up late the moment this is deployed
(docs/decisions.md)."""

from django.db import migrations
from django.utils import timezone

from portal.lib import businesstime


def start_sequences(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    FollowUpSequence = apps.get_model("cases", "FollowUpSequence")
    now = timezone.now()
    schedule = businesstime.followup_schedule(now)
    first, second, third = (followup.due_at for followup in schedule.followups)
    waiting = Case.objects.filter(status="pending_verification").values_list("pk", flat=True)
    FollowUpSequence.objects.bulk_create(
        FollowUpSequence(
            case_id=pk,
            number=1,
            entered_at=now,
            followup_1_at=first,
            followup_2_at=second,
            followup_3_at=third,
            close_at=schedule.auto_close_at,
            next_step=1,
            next_due_at=first,
        )
        for pk in waiting.iterator()
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0026_followup_sequences")]

    operations = [migrations.RunPython(start_sequences, migrations.RunPython.noop)]
