"""Project-wide checks: configuration, migrations, the beat schedule, demo data."""

import ast
import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from cases.casetypes import CaseType
from cases.models import Case
from cases.workflow import Status
from contacts.models import District, Membership, Role, User
from portal.celery import app
from portal.env import env_bool, env_int, env_list, env_str
from portal.tasks import heartbeat

ROOT = Path(__file__).resolve().parent.parent


def test_env_readers_name_the_variable_and_the_bad_value(monkeypatch):
    monkeypatch.setenv("PORTAL_TEST_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"PORTAL_TEST_FLAG='maybe' is not a boolean"):
        env_bool("PORTAL_TEST_FLAG")
    monkeypatch.setenv("PORTAL_TEST_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match=r"PORTAL_TEST_NUMBER='ten' is not an integer"):
        env_int("PORTAL_TEST_NUMBER", 1)
    monkeypatch.setenv("PORTAL_TEST_NUMBER", "-3")
    with pytest.raises(ImproperlyConfigured, match="must be at least 0"):
        env_int("PORTAL_TEST_NUMBER", 1, minimum=0)
    monkeypatch.delenv("PORTAL_TEST_MISSING", raising=False)
    with pytest.raises(ImproperlyConfigured, match="PORTAL_TEST_MISSING is required"):
        env_str("PORTAL_TEST_MISSING")
    monkeypatch.setenv("PORTAL_TEST_LIST", " a, b ,,c ")
    assert env_list("PORTAL_TEST_LIST", []) == ["a", "b", "c"]
    monkeypatch.setenv("PORTAL_TEST_FLAG", "Yes")
    assert env_bool("PORTAL_TEST_FLAG") is True


def _import_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "DEVELOPMENT", "SECRET_KEY", "MAIL_BACKEND"}
    }
    return subprocess.run(
        [sys.executable, "-c", "import portal.settings"],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_settings_refuse_the_development_secret_key_when_debug_is_off():
    result = _import_settings(DEBUG="0", SECRET_KEY=settings.DEV_SECRET_KEY)
    assert result.returncode != 0
    assert "SECRET_KEY is the development key" in result.stderr


def test_settings_require_a_secret_key_when_debug_is_off():
    result = _import_settings(DEBUG="0")
    assert "Environment variable SECRET_KEY is required" in result.stderr


def test_settings_start_in_production_mode_with_a_real_key():
    result = _import_settings(DEBUG="0", SECRET_KEY="x" * 50, MAIL_BACKEND="smtp")
    assert result.returncode == 0, result.stderr


def test_support_mailboxes_come_from_the_environment_and_a_bad_one_stops_start_up():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; django.setup(); "
        "from django.conf import settings as s; "
        "print(s.SUPPORT_ONCALL_ADDRESS, s.SUPPORT_TEAM_QUEUE_ADDRESSES['training'], "
        "s.SUPPORT_TEAM_QUEUE_ADDRESSES['campus_support_oncall'])"
    )
    env = {
        "DEVELOPMENT": "1",
        "SUPPORT_ONCALL_ADDRESS": "pager@example.net",
        "SUPPORT_QUEUE_ADDRESS_TRAINING": "training-desk@example.net",
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=os.environ | env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["pager@example.net", "training-desk@example.net", "pager@example.net"]
    bad = _import_settings(DEVELOPMENT="1", SUPPORT_QUEUE_ADDRESS_CAMPUS_SUPPORT="campus support")
    assert "SUPPORT_QUEUE_ADDRESS_CAMPUS_SUPPORT='campus support' is not an e-mail address" in bad.stderr


def readme_production_settings() -> dict[str, str]:
    """The variables of the README's "Production" block, with a real random secret for the placeholder."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("### Production", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    values = dict(line.split("=", 1) for line in block.splitlines() if line.strip())
    values["SECRET_KEY"] = secrets.token_urlsafe(50)
    return values


def test_the_readme_production_settings_pass_the_deployment_check_with_no_warning():
    production = readme_production_settings()
    assert production["SECURE_HSTS_SECONDS"] == "31536000"
    # A deployment's environment: the servers and the README's block, nothing a test process has set.
    clean = {k: os.environ[k] for k in ("PATH", "HOME", "DATABASE_URL", "REDIS_URL") if k in os.environ}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean | production,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_development_machine_is_not_djangos_debug_mode():
    """scripts/run shows the portal as a district sees it: its own error pages, not Django's technical ones."""
    code = "from django.conf import settings as s; print(s.DEBUG, s.SECRET_KEY == s.DEV_SECRET_KEY, s.ALLOWED_HOSTS)"
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "MAIL_BACKEND"}}
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [
            sys.executable,
            "-c",
            f"import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; django.setup(); {code}",
        ],
        cwd=ROOT,
        env=clean | {"DEVELOPMENT": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "['127.0.0.1',", "'localhost']"]
    run = (ROOT / "scripts" / "run").read_text()
    assert 'export DEVELOPMENT=1 DEBUG="${DEBUG:-0}"' in run


def test_settings_reject_an_unknown_mail_backend():
    result = _import_settings(DEBUG="1", MAIL_BACKEND="pigeon")
    assert "MAIL_BACKEND='pigeon'" in result.stderr


def test_business_time_zone_and_celery_time_zone():
    assert settings.TIME_ZONE == "America/Chicago"
    assert settings.USE_TZ is True
    assert app.conf.timezone == "America/Chicago"


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def _triggers_and_district_columns() -> tuple[list[str], list[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname")
        triggers = [name for (name,) in cursor.fetchall()]
        columns = [
            c.name for c in connection.introspection.get_table_description(cursor, "contacts_district")
        ]
    return triggers, columns


@pytest.mark.django_db(transaction=True)
def test_case_writes_keep_no_district_counters_and_the_migration_reverses(personas):
    """No trigger writes the district's row when a case is written, and the migration that removed the case-list
    counters (cases 0008, contacts 0004) reverses: going back counts every district again, going forward drops
    them."""
    from cases.tests.factories import CaseFactory

    CaseFactory.create_batch(2, district=personas.district_a, contact=personas.support)
    assert _triggers_and_district_columns()[0] == []
    call_command("migrate", "cases", "0007", verbosity=0)
    try:
        triggers, columns = _triggers_and_district_columns()
        assert "case_totals_insert" in triggers
        assert "district_next_generation" in triggers
        assert {"list_generation", "case_count"} <= set(columns)
        with connection.cursor() as cursor:
            cursor.execute("SELECT slug, case_count FROM contacts_district ORDER BY slug")
            assert cursor.fetchall() == [("cedar-falls", 0), ("maple-grove", 2)]
    finally:
        call_command("migrate", verbosity=0)
    triggers, columns = _triggers_and_district_columns()
    assert triggers == []
    assert not {"list_generation", "case_count"} & set(columns)


# Names that two classes share on purpose, because they mean the same thing in two representations.
SHARED_CLASS_NAMES = {
    # A case's priority: the model's stored choices (cases.models) and business time's enum, converted by
    # cases.models.Priority.business.
    "Priority",
}


def test_a_class_name_means_one_thing_across_the_project():
    """Two different classes with the same name make every import and every reader guess which one is meant.
    (Management commands are all called Command, as Django requires.)"""
    apps = [path.parent for path in ROOT.glob("*/apps.py")] + [ROOT / "portal"]
    where: dict[str, list[str]] = {}
    for app_dir in apps:
        for path in app_dir.rglob("*.py"):
            relative = path.relative_to(ROOT)
            if {"migrations", "tests", "commands"} & set(relative.parts):
                continue
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, ast.ClassDef):
                    where.setdefault(node.name, []).append(str(relative))
    shared = {name: paths for name, paths in where.items() if len(paths) > 1}
    assert shared.keys() == SHARED_CLASS_NAMES, shared


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    assert app.conf.beat_schedule
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, f"beat entry {name!r} names an unknown task {entry['task']!r}"


def test_heartbeat_task_records_its_time_in_redis():
    from django.core.cache import cache

    stamp = heartbeat()
    assert cache.get("heartbeat") == stamp


@pytest.mark.django_db
def test_demo_data_has_every_persona_and_is_idempotent():
    call_command("seed_demo", stdout=StringIO())
    counts = (
        User.objects.count(),
        District.objects.count(),
        Membership.objects.count(),
        Case.objects.count(),
    )
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert (
        User.objects.count(),
        District.objects.count(),
        Membership.objects.count(),
        Case.objects.count(),
    ) == counts
    assert set(Case.objects.values_list("status", flat=True)) == set(Status)
    assert set(Case.objects.values_list("case_type", flat=True)) == set(CaseType)
    roles = set(
        Membership.objects.filter(district__slug="maple-grove", is_active=True).values_list("role", flat=True)
    )
    assert roles == set(Role)
    assert User.objects.filter(is_staff=True, is_superuser=False).exists()
    assert User.objects.filter(is_active=False).exists()
    assert (
        User.objects.filter(memberships__is_active=True).distinct().count()
        < Membership.objects.filter(is_active=True).count()
    ), "some contact has several districts"
    assert "password for every demo account" in out.getvalue()
