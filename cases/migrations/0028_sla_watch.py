"""SLA watch: the warning moment, the next watch moment (indexed), the miss, the lateness of the first response,
and the event kinds with their once-per-target constraint. Existing cases: answered ones get their lateness,
open unanswered ones their watch; one whose target has already passed gets no warning (the watch began too
late for one), only its miss recorded by the job's first run. Reversible: going back drops the columns."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

from portal.lib import businesstime

BATCH = 2000
PRIORITY = {1: "Critical", 2: "High", 3: "Medium", 4: "Low"}


def promise(case):
    if case.priority == 1 and case.oncall_due_at is not None:
        return case.oncall_due_at, True
    return case.first_response_due_at, False


def backfill(apps, schema_editor):
    """As cases.services.slawatch computes them from now on (record_answer, plan)."""
    Case = apps.get_model("cases", "Case")
    now = timezone.now()
    fields = ["first_response_late_seconds", "sla_warn_at", "sla_watch_at"]
    cases = Case.objects.filter(
        models.Q(first_response_at__isnull=False) | ~models.Q(status="closed")
    ).only("pk", "priority", "created_at", "first_response_due_at", "oncall_due_at", "first_response_at")
    batch = []
    for case in cases.iterator(chunk_size=BATCH):
        due, oncall = promise(case)
        if case.first_response_at is not None:
            late = timedelta(0)
            if case.first_response_at > due:
                late = case.first_response_at - due if oncall else businesstime.business_time_between(due, case.first_response_at)
            case.first_response_late_seconds = late // timedelta(seconds=1)
        elif due > now:
            if oncall:
                lead = timedelta(minutes=settings.SLA_WARNING_CRITICAL_MINUTES)
                case.sla_warn_at = max(due - lead, due - businesstime.ONCALL_TARGET)
            else:
                lead = timedelta(minutes=settings.SLA_WARNING_BUSINESS_MINUTES)
                target = businesstime.SLA_TARGETS[businesstime.Priority(PRIORITY[case.priority])]
                warn = businesstime.add_business_time(case.created_at, max(target - lead, timedelta(0)))
                case.sla_warn_at = businesstime.next_opening(warn)
            case.sla_watch_at = min(case.sla_warn_at, due)
        else:
            case.sla_watch_at = due
        batch.append(case)
        if len(batch) >= BATCH:
            Case.objects.bulk_update(batch, fields)
            batch = []
    if batch:
        Case.objects.bulk_update(batch, fields)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0027_followup_for_cases_waiting'),
        ('contacts', '0008_membership_areas'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='first_response_late_seconds',
            field=models.PositiveIntegerField(blank=True, editable=False, help_text='How late the first response was, stored when it came: business seconds, clock seconds for the on-call hour; 0 when on time.', null=True),
        ),
        migrations.AddField(
            model_name='case',
            name='sla_missed_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='The target the first response missed: the case was unanswered at this moment.', null=True),
        ),
        migrations.AddField(
            model_name='case',
            name='sla_warn_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When support is warned of the coming target.', null=True),
        ),
        migrations.AddField(
            model_name='case',
            name='sla_warned_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='case',
            name='sla_watch_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name='caseevent',
            name='kind',
            field=models.CharField(choices=[('case.created', 'Case submitted'), ('case.status_changed', 'Status changed'), ('case.assigned', 'Advisor assigned'), ('case.escalated', 'Escalated'), ('post.added', 'Post added'), ('recipient.added', 'Recipient added'), ('recipient.removed', 'Recipient removed'), ('permission.granted', 'Written permission granted'), ('permission.withdrawn', 'Written permission withdrawn'), ('dev_issue.linked', 'Development issue linked'), ('impact.assessed', 'Impact assessed'), ('case.priority_changed', 'Priority changed'), ('contacts.changed', 'Contact change applied'), ('case.contact_changed', 'Transferred to a contact'), ('case.reopen_window_ended', 'Reopen window ended'), ('followup.more_time', 'More time asked for'), ('sla.warned', 'Support warned of the first-response target'), ('sla.missed', 'First-response target missed')], max_length=64),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(models.Q(('status', 'closed'), _negated=True), ('sla_watch_at__isnull', False)), fields=['sla_watch_at', 'id'], name='case_sla_watch'),
        ),
        migrations.AddConstraint(
            model_name='caseevent',
            constraint=models.UniqueConstraint(condition=models.Q(('kind__in', ['sla.warned', 'sla.missed'])), fields=('case', 'kind', 'new'), name='caseevent_sla_once'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
