"""Fixtures shared by every app's tests: the personas of DESIGN §4."""

from dataclasses import dataclass
from uuid import uuid4

import pytest
from django.conf import settings

from contacts.models import District, Role, User
from contacts.tests.factories import PASSWORD, AdvisorFactory, DistrictFactory, MembershipFactory, UserFactory

# Password hashing is deliberately slow in production; tests only need it to work.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """No test asks for ``serialized_rollback``. The flush after a ``transaction=True`` test without it re-creates
    the content types and permissions under new ids; a serialized test that a worker runs after such a test then
    fails at set-up on duplicate content types. Whether it does depends on which tests share its worker, so the
    rule is checked here, for every run: a test that needs seeded rows creates them (``ModuleFactory`` gets or
    creates the seeded modules)."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        serialized = marker is not None and marker.kwargs.get("serialized_rollback", False)
        if serialized or "django_db_serialized_rollback" in getattr(item, "fixturenames", ()):
            raise pytest.UsageError(
                f"{item.nodeid} asks for serialized_rollback, which fails after another transaction=True "
                "test: create the rows it needs instead (see pytest_collection_modifyitems in conftest.py)."
            )


@dataclass
class Personas:
    district_a: District
    district_b: District
    support: User
    technical: User
    implementation: User
    read_only: User
    other_district: User
    advisor: User
    deactivated: User
    password: str = PASSWORD

    def contacts_of_a(self) -> dict[str, User]:
        return {
            "support": self.support,
            "technical": self.technical,
            "implementation": self.implementation,
            "read_only": self.read_only,
        }

    def all(self) -> dict[str, User]:
        return {
            **self.contacts_of_a(),
            "other_district": self.other_district,
            "advisor": self.advisor,
            "deactivated": self.deactivated,
        }


@pytest.fixture
def personas(db: None) -> Personas:
    a = DistrictFactory(name="Maple Grove Public Schools", slug="maple-grove")
    b = DistrictFactory(name="Cedar Falls Community Schools", slug="cedar-falls")

    def contact(email: str, district: District, role: Role, **extra: object) -> User:
        user = UserFactory(email=email, **extra)
        MembershipFactory(user=user, district=district, role=role)
        return user

    return Personas(
        district_a=a,
        district_b=b,
        support=contact("support@a.example.org", a, Role.SUPPORT, first_name="Dana"),
        technical=contact("technical@a.example.org", a, Role.TECHNICAL),
        implementation=contact("implementation@a.example.org", a, Role.IMPLEMENTATION),
        read_only=contact("readonly@a.example.org", a, Role.READ_ONLY),
        other_district=contact("contact@b.example.org", b, Role.SUPPORT),
        advisor=AdvisorFactory(email="advisor@support.example.com"),
        deactivated=contact("former@a.example.org", a, Role.SUPPORT, is_active=False),
    )


@pytest.fixture(autouse=True)
def _private_media_in_tmp(settings, tmp_path):
    """Uploaded files of a test go to its own temporary directory, never to var/private."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _cache_of_its_own(settings):
    """Every test gets a namespace of its own in the shared Redis cache: what one test stored can never answer
    another test (or another xdist worker)."""
    default = {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid4().hex}"}
    settings.CACHES = {**settings.CACHES, "default": default}
