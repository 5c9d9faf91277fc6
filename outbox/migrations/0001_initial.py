"""The e-mail outbox moves here from the notifications app (notifications migration 0002 forgets it there).

Only Django's record of the model moves: the table keeps its name (``db_table``) and its rows, so nothing is
dropped, copied or locked, and code of either version can run during a deploy. The model's content type moves
with it, so the permissions advisors hold on outbound e-mails (the admin's "Retry now") and the admin's
history of them stay attached.
"""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor, *, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    # A database created after the move has no old content type yet (they are created after migrating), and
    # one that already has the new one keeps it.
    if not ContentType.objects.using(db).filter(app_label=target, model="outboundemail").exists():
        ContentType.objects.using(db).filter(app_label=source, model="outboundemail").update(app_label=target)
    ContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    move_content_type(apps, schema_editor, source="notifications", target="outbox")


def backwards(apps, schema_editor):
    move_content_type(apps, schema_editor, source="outbox", target="notifications")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("notifications", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='OutboundEmail',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('key', models.CharField(help_text='Deduplication key chosen by the caller, e.g. "case-123-submitted-user-45".', max_length=200)),
                        ('to_address', models.EmailField(max_length=254, verbose_name='to')),
                        ('subject', models.CharField(max_length=255)),
                        ('body_text', models.TextField()),
                        ('body_html', models.TextField(blank=True)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('sent', 'Sent'), ('dead', 'Failed permanently')], default='pending', max_length=10)),
                        ('attempts', models.PositiveIntegerField(default=0, help_text='Delivery attempts so far.')),
                        ('next_attempt_at', models.DateTimeField(default=django.utils.timezone.now, help_text='When the outbox sweep tries a pending e-mail next.')),
                        ('last_error', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('recipient', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='outbound_emails', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'outbound e-mail',
                        'verbose_name_plural': 'outbound e-mails',
                        'ordering': ['-created_at'],
                        'db_table': 'notifications_outboundemail',
                        'indexes': [models.Index(condition=models.Q(('status', 'pending')), fields=['next_attempt_at'], name='outbox_pending_due_idx'), models.Index(fields=['-created_at'], name='outbox_created_idx')],
                        'constraints': [models.UniqueConstraint(fields=('key',), name='outbox_key_unique'), models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'sent', 'dead'])), name='outbox_status_valid'), models.CheckConstraint(condition=models.Q(models.Q(('sent_at__isnull', False), ('status', 'sent')), models.Q(models.Q(('status', 'sent'), _negated=True), ('sent_at__isnull', True)), _connector='OR'), name='outbox_sent_at_iff_sent')],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
