"""Drop ``District.list_generation`` and ``District.case_count`` (the case-list cache's key and the unfiltered
list's count), after cases migration 0008 dropped the triggers that wrote them."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0003_district_case_count"),
        ("cases", "0008_drop_case_list_triggers"),
    ]

    operations = [
        migrations.RemoveField(model_name="district", name="list_generation"),
        migrations.RemoveField(model_name="district", name="case_count"),
    ]
