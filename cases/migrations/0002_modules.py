"""The initial list of product modules (SPEC §2: admin-editable, alphabetical, with "Not Applicable")."""

from django.db import migrations

MODULES = [
    "Ad Hoc Reporting",
    "Assessment",
    "Attendance",
    "Behavior",
    "Campus Learning",
    "Campus Parent / Campus Student",
    "Census",
    "Counseling",
    "Data Interchange",
    "Enrollments",
    "Fees",
    "Finance",
    "Food Service",
    "Grade Book",
    "Grading and Standards",
    "Health",
    "Human Resources",
    "Messenger",
    "Online Payments",
    "Online Registration",
    "Report Cards",
    "Scheduling",
    "Special Education",
    "State Reporting",
    "Student Information",
    "System Administration",
    "Transcripts",
    "User Accounts and Tool Rights",
]


def add_modules(apps, schema_editor):
    Module = apps.get_model("cases", "Module")
    for name in MODULES:
        Module.objects.get_or_create(name=name)
    Module.objects.get_or_create(name="Not Applicable", defaults={"sort_last": True})


def remove_modules(apps, schema_editor):
    apps.get_model("cases", "Module").objects.filter(name__in=[*MODULES, "Not Applicable"]).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(add_modules, remove_modules)]
