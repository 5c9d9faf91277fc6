"""Drop the triggers that kept ``contacts_district.list_generation`` and ``case_count`` (migrations 0006 and
0007): the case list is built for every request and counts its cases in SQL.

Those triggers updated the district's row in the transaction of every case write, so two writes of different
cases of one district waited for each other's commit. Nothing on the case write path touches the district row
now. Reversing puts back exactly what 0006 and 0007 created, and counts every district again (contacts
migration 0004, which drops the columns, is reversed first).
"""

import importlib

from django.db import migrations

FORWARD = """
DROP FUNCTION cases_recount_districts();
DROP TRIGGER case_totals_truncate ON cases_case;
DROP TRIGGER case_totals_delete ON cases_case;
DROP TRIGGER case_totals_update ON cases_case;
DROP TRIGGER case_totals_insert ON cases_case;
DROP FUNCTION cases_case_count_changed();
DROP TRIGGER module_list_delete ON cases_module;
DROP TRIGGER module_list_update ON cases_module;
DROP TRIGGER module_list_insert ON cases_module;
DROP FUNCTION cases_module_list_changed();
DROP TRIGGER user_list_names ON contacts_user;
DROP FUNCTION contacts_user_list_changed();
DROP TRIGGER case_list_delete ON cases_case;
DROP TRIGGER case_list_update ON cases_case;
DROP TRIGGER case_list_insert ON cases_case;
DROP FUNCTION cases_case_list_changed();
DROP FUNCTION cases_bump_list_generations(bigint[]);
DROP TRIGGER district_next_generation ON contacts_district;
DROP FUNCTION contacts_district_next_generation();
"""


def _created_by(name: str) -> str:
    return importlib.import_module(f"cases.migrations.{name}").FORWARD


BACKWARD = _created_by("0006_list_generation_triggers") + _created_by("0007_district_case_counts")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_district_case_counts"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
