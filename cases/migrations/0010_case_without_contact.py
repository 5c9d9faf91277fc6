"""A case may have no contact yet: an emergency case opened for an unauthorized caller names the caller instead
(SPEC §3.6). Adding the two columns with a database default changes no row; the check scans the table once."""

import django.db.models.deletion
import portal.validators
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0009_advisor_role'),
        ('contacts', '0005_advisor_role'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='caller_name',
            field=models.CharField(blank=True, db_default='', default='', max_length=200, validators=[portal.validators.single_line]),
        ),
        migrations.AddField(
            model_name='case',
            name='caller_phone',
            field=models.CharField(blank=True, db_default='', default='', max_length=40, validators=[portal.validators.single_line]),
        ),
        migrations.AlterField(
            model_name='case',
            name='contact',
            field=models.ForeignKey(blank=True, help_text='The authorized contact the case belongs to; always a notification recipient. Empty for an emergency case opened for an unauthorized caller until it is transferred to a contact (SPEC §3.6).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='cases_as_contact', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='case',
            constraint=models.CheckConstraint(condition=models.Q(('contact__isnull', False), models.Q(('caller_name__regex', '\\S'), ('caller_phone__regex', '\\S')), _connector='OR'), name='case_contact_or_caller'),
        ),
    ]
