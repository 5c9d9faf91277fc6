"""Project-wide checks: configuration, migrations, the beat schedule, demo data."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

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
