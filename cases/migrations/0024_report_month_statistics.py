# The reports group cases by month in the portal's time zone (cases/selectors/reports.py). PostgreSQL cannot
# estimate how many months, teams and case types a year of cases makes from the columns' own statistics: it
# guessed one group per case, sorted them all on disk instead of hashing a few hundred groups. Extended
# statistics on the same expressions give it the real number.

from django.conf import settings
from django.db import migrations


def statistics(column: str) -> str:
    return (
        f"CREATE STATISTICS IF NOT EXISTS case_report_{column}_month ON "
        f"(date_trunc('month', {column} AT TIME ZONE '{settings.TIME_ZONE}')), team, case_type FROM cases_case"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0023_report_indexes"),
    ]

    operations = [
        migrations.RunSQL(
            [statistics("created_at"), statistics("closed_at"), "ANALYZE cases_case"],
            reverse_sql=[
                "DROP STATISTICS IF EXISTS case_report_created_at_month",
                "DROP STATISTICS IF EXISTS case_report_closed_at_month",
            ],
        ),
    ]
