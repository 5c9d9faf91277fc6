"""Mail to a plain address (a team's queue, the on-call address) besides mail to an account.

Existing rows were all queued for an account: the column's database default marks them so, without rewriting
the table; the new check only reads it.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('outbox', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='outboundemail',
            name='for_account',
            field=models.BooleanField(db_default=True, default=True, help_text="Sent to a person's account, and not sent if it is deactivated or deleted before delivery. Off for a plain address that no account stands behind (a team's queue, the on-call address)."),
        ),
        migrations.AddConstraint(
            model_name='outboundemail',
            constraint=models.CheckConstraint(condition=models.Q(('for_account', True), ('recipient__isnull', True), _connector='OR'), name='outbox_plain_address_no_account'),
        ),
    ]
