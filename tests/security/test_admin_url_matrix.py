"""Who reaches which admin page: every URL of ``admin.site.get_urls()``, as four people.

Anonymous visitors and contacts (not staff) get no admin at all: every page but the login form sends them to
the admin's login, and the login form shows nothing of any district.
Advisors reach what working cases needs (contacts/roles.py, docs/decisions.md "Accounts and access"): cases,
districts, contacts, memberships, modules, development issues, releases, the outbox and the jobs' runs; a page of what only
administrators manage (groups, the login-throttling records, deletions, adding what advisors may not add) is a
403. Administrators (superusers) reach every page, except those the admin refuses everyone (adding a case or an
e-mail: only the services write them; deleting a membership, a case or an e-mail).

``MATRIX`` classifies every URL. A new admin page fails ``test_every_admin_url_is_classified`` until it is added
to the table, so nobody ships a page without deciding who may see it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver
from django.utils.timezone import now

from cases.casetypes import CaseType
from cases.models import Case, SavedReply
from cases.services import case_close
from cases.tests.factories import DevIssueFactory, ModuleFactory, ReleaseFactory, submit_case
from contacts.models import User
from contacts.roles import ADVISORS_GROUP
from contacts.tests.factories import UserFactory
from jobs.models import JobRun
from notifications.tests.factories import post_incident
from outbox.models import OutboundEmail
from surveys.models import Survey, SurveyOptOut, SurveyResponse

pytestmark = pytest.mark.django_db

PREFIX = "/admin/"
LOGIN_URL = f"{PREFIX}login/"

# What a person gets.
LOGIN = "redirect to the admin login"
OK = "200"
DENIED = "403"
MISSING = "404"
TO_CHANGE = "redirect to the change page"
TO_INDEX = "redirect to the admin index"
GET_REFUSED = "405 (a POST-only page: log out, a case work-page action)"

ADMIN_ONLY = (LOGIN, LOGIN, DENIED, OK)
NOBODY = (LOGIN, LOGIN, DENIED, DENIED)  # the admin refuses it to everyone
WORK = (LOGIN, LOGIN, OK, OK)
OBJECT = (LOGIN, LOGIN, TO_CHANGE, TO_CHANGE)  # the bare object URL redirects to its change page


def model_pages(
    *,
    changelist: tuple[str, ...],
    add: tuple[str, ...],
    change: tuple[str, ...],
    delete: tuple[str, ...],
    history: tuple[str, ...],
) -> dict[str, tuple[str, ...]]:
    """The five pages every ModelAdmin has, plus its bare object URL."""
    return {
        "": changelist,
        "add/": add,
        "<id>/change/": change,
        "<id>/delete/": delete,
        "<id>/history/": history,
        "<id>/": OBJECT,
    }


def rows(model: str, pages: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {f"{model}/{suffix}": expected for suffix, expected in pages.items()}


# (anonymous, contact, advisor, administrator) for every admin URL, keyed by its route ("<id>" for an object).
MATRIX: dict[str, tuple[str, ...]] = {
    "": WORK,  # the index lists only what each may see
    "login/": (OK, OK, TO_INDEX, TO_INDEX),  # a form; a signed-in staff member goes to the index
    # Log out is a POST; the admin sends whoever is not staff to its index (and so to its login).
    "logout/": (TO_INDEX, TO_INDEX, GET_REFUSED, GET_REFUSED),
    "password_change/": WORK,  # their own password
    "password_change/done/": WORK,
    "autocomplete/": WORK,  # asked for a membership's person: people advisors may see
    "jsi18n/": WORK,  # the admin's translated JavaScript strings
    "r/<ct>/<id>/": (LOGIN, LOGIN, MISSING, MISSING),  # "view on site": no admin model has a public page
    "<no such page>": (LOGIN, LOGIN, MISSING, MISSING),
    # App indexes: an app without a model the person may see is a 404, like a missing page.
    "auth/": (LOGIN, LOGIN, MISSING, OK),
    "axes/": (LOGIN, LOGIN, MISSING, OK),
    "contacts/": WORK,
    "cases/": WORK,
    "outbox/": WORK,
    "notifications/": WORK,
    "surveys/": WORK,
    **rows(
        "auth/group",
        model_pages(
            changelist=ADMIN_ONLY, add=ADMIN_ONLY, change=ADMIN_ONLY, delete=ADMIN_ONLY, history=ADMIN_ONLY
        ),
    ),
    # Login-throttling records (django-axes): administrators' only; nobody adds one by hand.
    **rows(
        "axes/accessattempt",
        model_pages(
            changelist=ADMIN_ONLY, add=NOBODY, change=ADMIN_ONLY, delete=ADMIN_ONLY, history=ADMIN_ONLY
        ),
    ),
    **rows(
        "axes/accesslog",
        model_pages(
            changelist=ADMIN_ONLY, add=NOBODY, change=ADMIN_ONLY, delete=ADMIN_ONLY, history=ADMIN_ONLY
        ),
    ),
    **rows(
        "axes/accessfailurelog",
        model_pages(
            changelist=ADMIN_ONLY, add=NOBODY, change=ADMIN_ONLY, delete=ADMIN_ONLY, history=ADMIN_ONLY
        ),
    ),
    **rows(
        "contacts/district",
        model_pages(changelist=WORK, add=WORK, change=WORK, delete=ADMIN_ONLY, history=WORK),
    ),
    # Memberships are switched off, never deleted (their history stays).
    **rows(
        "contacts/membership",
        model_pages(changelist=WORK, add=WORK, change=WORK, delete=NOBODY, history=WORK),
    ),
    # The object is a contact's account: advisors manage contacts (a staff account is read-only to them).
    **rows(
        "contacts/user",
        model_pages(changelist=WORK, add=WORK, change=WORK, delete=ADMIN_ONLY, history=WORK),
    ),
    "contacts/user/<id>/password/": WORK,
    # Cases are submitted and changed through the services only.
    **rows(
        "cases/case",
        model_pages(changelist=WORK, add=NOBODY, change=WORK, delete=NOBODY, history=WORK),
    ),
    # Opening a case on behalf of a contact or for an unauthorized caller: the advisors' own form.
    "cases/case/open/": WORK,
    # The work page's actions (reply, take, assign, impact, priority, escalate, transfer): POST only.
    "cases/case/<id>/work/<slug:action>/": (LOGIN, LOGIN, GET_REFUSED, GET_REFUSED),
    # The preview of a Modify Support Contacts case's change (its form applies it): advisors' work.
    "cases/case/<id>/contact-changes/": WORK,
    # The advisors' reports and their CSV export (read-only; a staff account without the role gets a 403).
    "cases/case/reports/<slug:report>/": WORK,
    # Saved replies are switched off, never deleted by advisors.
    **rows(
        "cases/savedreply",
        model_pages(changelist=WORK, add=WORK, change=WORK, delete=ADMIN_ONLY, history=WORK),
    ),
    **rows(
        "cases/module",
        model_pages(changelist=WORK, add=WORK, change=WORK, delete=ADMIN_ONLY, history=WORK),
    ),
    **rows(
        "cases/devissue",
        model_pages(changelist=WORK, add=WORK, change=WORK, delete=ADMIN_ONLY, history=WORK),
    ),
    # Add cases by number; mark fixed in a release (the preview is a GET, the fan-out a POST).
    "cases/devissue/<id>/link/": WORK,
    "cases/devissue/<id>/release/": WORK,
    **rows(
        "cases/release",
        model_pages(changelist=WORK, add=WORK, change=WORK, delete=ADMIN_ONLY, history=WORK),
    ),
    # Outbox rows are written by outbox.services only; advisors read them and retry.
    **rows(
        "outbox/outboundemail",
        model_pages(changelist=WORK, add=NOBODY, change=WORK, delete=NOBODY, history=WORK),
    ),
    # The scheduled jobs: runs are written by the job runner only; advisors read them and the ops page.
    "jobs/": WORK,
    **rows(
        "jobs/jobrun",
        model_pages(changelist=WORK, add=NOBODY, change=WORK, delete=NOBODY, history=WORK),
    ),
    "jobs/jobrun/ops/": WORK,
    # "Run now" is a POST (administrators only: the ops page's tests).
    "jobs/jobrun/ops/<slug:name>/run/": (LOGIN, LOGIN, GET_REFUSED, GET_REFUSED),
    # Status notifications: posted, updated and closed through notifications.services; never deleted (their
    # history and the cases that reported them stay).
    **rows(
        "notifications/notification",
        model_pages(changelist=WORK, add=WORK, change=WORK, delete=NOBODY, history=WORK),
    ),
    # Close with the resolved update (a form; the POST closes).
    "notifications/notification/<id>/close/": WORK,
    # Surveys, their responses and opt-outs are written by surveys.services only; advisors read them.
    **rows(
        "surveys/survey",
        model_pages(changelist=WORK, add=NOBODY, change=WORK, delete=NOBODY, history=WORK),
    ),
    **rows(
        "surveys/surveyresponse",
        model_pages(changelist=WORK, add=NOBODY, change=WORK, delete=NOBODY, history=WORK),
    ),
    **rows(
        "surveys/surveyoptout",
        model_pages(changelist=WORK, add=NOBODY, change=WORK, delete=NOBODY, history=WORK),
    ),
    # The satisfaction report (read-only; a staff account without the advisor role gets a 403).
    "surveys/surveyresponse/report/": WORK,
}
ROLES = ("anonymous", "contact", "advisor", "administrator")


# --- the URLs ---------------------------------------------------------------------------------------------------


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


APP_LIST = re.compile(r"^\^\(\?P<app_label>([\w|]+)\)/\$$")


def admin_routes() -> list[str]:
    """Every admin URL as a route of ``MATRIX``: object ids as ``<id>``, the app index once per app, the
    catch-all as ``<no such page>``."""
    routes: list[str] = []
    for route, pattern in _walk(admin.site.get_urls()):
        if found := APP_LIST.match(route):
            routes += [f"{label}/" for label in found.group(1).split("|")]
        elif pattern.name is None and route == "(?P<url>.*)$":
            routes.append("<no such page>")
        else:
            route = route.replace("<path:content_type_id>", "<ct>").replace("<path:object_id>", "<id>")
            routes.append(route)
    return routes


@dataclass
class World:
    """A real object of every registered model, and the people who ask."""

    objects: dict[str, Model]
    people: dict[str, User | None]
    case: Case
    contact_change_case: Case | None = None


@pytest.fixture
def world(personas) -> World:
    case = submit_case(district=personas.district_a, contact=personas.support)
    common = {"user_agent": "pytest", "ip_address": "127.0.0.1", "username": "x@x.org", "http_accept": "*/*"}
    objects: dict[str, Model] = {
        "auth/group": Group.objects.get(name=ADVISORS_GROUP),
        "axes/accessattempt": AccessAttempt.objects.create(
            **common, path_info="/login/", get_data="", post_data="", failures_since_start=1
        ),
        "axes/accesslog": AccessLog.objects.create(**common, path_info="/login/"),
        "axes/accessfailurelog": AccessFailureLog.objects.create(**common, path_info="/login/"),
        "contacts/district": personas.district_a,
        "contacts/membership": personas.support.memberships.get(),
        "contacts/user": personas.support,
        "cases/case": case,
        "cases/module": ModuleFactory(),
        "cases/devissue": DevIssueFactory(),
        "cases/release": ReleaseFactory(),
        "cases/savedreply": SavedReply.objects.create(title="Thanks", body="Thanks for the details."),
        "outbox/outboundemail": OutboundEmail.objects.filter(recipient=personas.support).first(),
        "jobs/jobrun": JobRun.objects.create(job="email-outbox", started_at=now(), evaluated_at=now()),
        "notifications/notification": post_incident(personas.advisor, districts=[personas.district_a]),
        **survey_objects(personas),
    }
    administrator = UserFactory(email="root@support.example.com", is_staff=True, is_superuser=True)
    people = {
        "anonymous": None,
        "contact": personas.support,
        "advisor": personas.advisor,
        "administrator": administrator,
    }
    contact_change_case = submit_case(
        district=personas.district_a,
        contact=personas.support,
        case_type=CaseType.MODIFY_CONTACTS,
        details={
            "request_type": "add",
            "contact_first_name": "Robin",
            "contact_last_name": "Hale",
            "contact_email": "robin.hale@a.example.org",
            "contact_type": "authorized",
        },
    )
    return World(objects=objects, people=people, case=case, contact_change_case=contact_change_case)


def survey_objects(personas: Any) -> dict[str, Model]:
    """A closed case's sent survey, its response and its contact's opt-out."""
    case = case_close(
        actor=personas.advisor, case=submit_case(district=personas.district_a, contact=personas.support)
    )
    survey = Survey.objects.get(case=case)
    Survey.objects.filter(pk=survey.pk).update(
        state=Survey.State.SENT, sent_at=case.closed_at, token_hash="0" * 64, expires_at=case.closed_at
    )
    response = SurveyResponse.objects.create(
        survey=survey,
        courtesy=5,
        knowledge=5,
        timeliness=5,
        quality=5,
        overall=5,
        submitted_at=case.closed_at,
    )
    opt_out = SurveyOptOut.objects.create(user=personas.support, created_at=case.closed_at, via="page")
    return {"surveys/survey": survey, "surveys/surveyresponse": response, "surveys/surveyoptout": opt_out}


def url_of(route: str, world: World) -> str:
    if route == "<no such page>":
        return f"{PREFIX}no-such-page/"
    if route == "autocomplete/":
        query = {"app_label": "contacts", "model_name": "membership", "field_name": "user", "term": ""}
        return f"{PREFIX}autocomplete/?{urlencode(query)}"
    if route == "r/<ct>/<id>/":
        content_type = ContentType.objects.get_for_model(Case)
        return f"{PREFIX}r/{content_type.pk}/{world.case.pk}/"
    if route == "cases/case/<id>/work/<slug:action>/":
        return f"{PREFIX}cases/case/{world.case.pk}/work/take/"
    if route == "cases/case/<id>/contact-changes/":
        assert world.contact_change_case is not None
        return f"{PREFIX}cases/case/{world.contact_change_case.pk}/contact-changes/"
    if route == "cases/case/reports/<slug:report>/":
        return f"{PREFIX}cases/case/reports/volume/"
    if route == "jobs/jobrun/ops/<slug:name>/run/":
        return f"{PREFIX}jobs/jobrun/ops/email-outbox/run/"
    if route == "contacts/user/<id>/password/":
        return f"{PREFIX}contacts/user/{world.objects['contacts/user'].pk}/password/"
    if "<id>" in route:
        model, _, rest = route.partition("/<id>/")
        return f"{PREFIX}{model}/{world.objects[model].pk}/{rest}"
    assert "<" not in route, f"No way to build a URL for {route}: teach url_of."
    return PREFIX + route


def outcome(response: Any) -> str:
    """What a person got, in the words of ``MATRIX``."""
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(f"{LOGIN_URL}?next="):
            return LOGIN
        if location.endswith("/change/"):
            return TO_CHANGE
        if location == PREFIX:
            return TO_INDEX
        return f"302 to {location}"
    if response.status_code == 405:
        return GET_REFUSED
    return str(response.status_code)


def client_for(person: User | None) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
    return client


# --- the tests --------------------------------------------------------------------------------------------------


def test_every_admin_url_is_classified() -> None:
    routes = admin_routes()
    unclassified = sorted(set(routes) - set(MATRIX))
    assert not unclassified, f"Admin URLs nobody classified (add them to MATRIX): {unclassified}"
    stale = sorted(set(MATRIX) - set(routes))
    assert not stale, f"MATRIX rows for admin URLs that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_each_admin_url_answers_each_person_as_the_matrix_says(role: str, world: World) -> None:
    client = client_for(world.people[role])
    column = ROLES.index(role)
    wrong = []
    for route in admin_routes():
        response = client.get(url_of(route, world))
        got, expected = outcome(response), MATRIX[route][column]
        if got != expected:
            wrong.append(f"{route}: expected {expected}, got {got}")
        elif role in ("anonymous", "contact") and response.status_code == 200:
            # The login form only: nothing of any district.
            page = response.content.decode()
            shown = [text for text in (world.case.subject, world.case.district.name) if text in page]
            if shown:
                wrong.append(f"{route}: shows {shown}")
    assert not wrong, f"As {role}:\n" + "\n".join(wrong)


def row_counts() -> dict[str, int]:
    """How many rows every model the admin shows has, and the admin's log, permissions and group links."""
    models: list[type[Model]] = [*admin.site._registry, LogEntry, Permission]
    counts = {model._meta.label: model._default_manager.count() for model in models}
    counts["group permissions"] = Group.permissions.through.objects.count()
    counts["user groups"] = User.groups.through.objects.count()
    counts["user permissions"] = User.user_permissions.through.objects.count()
    return counts


# What a forged form would send: every field any of the add forms asks for, and the delete page's confirmation.
FORGED = {
    "post": "yes",
    "name": "Forged",
    "slug": "forged",
    "state": "MN",
    "number": "DEV-99999",
    "title": "Forged",
    "email": "forged@example.org",
    "subject": "Forged",
    "to_address": "forged@example.org",
}


def stored(world: World) -> dict[str, Any]:
    """Every row count, and every field of the objects the pages were asked about (but the moment the contact,
    one of them, was last active, and so the moment they would become inactive: each of their requests may
    move them)."""
    values = {
        route: type(obj)._default_manager.filter(pk=obj.pk).values().get()
        for route, obj in world.objects.items()
    }
    values["contacts/user"].pop("last_activity_at")
    values["contacts/user"].pop("inactive_from")
    return {
        **row_counts(),
        **values,
        "group's permissions": list(world.objects["auth/group"].permissions.all()),
    }


@pytest.mark.parametrize("role", ["anonymous", "contact", "advisor"])
def test_a_refused_page_refuses_the_post_too_and_writes_nothing(role: str, world: World) -> None:
    """Adding, deleting, changing: a forged form sent to a page the person may not open changes nothing."""
    client = client_for(world.people[role])
    column = ROLES.index(role)
    refused = [
        route
        for route in admin_routes()
        if route.endswith(("add/", "delete/", "change/", "password/"))
        and MATRIX[route][column] in (LOGIN, DENIED)
    ]
    assert refused
    forged = {**FORGED, "permissions": list(Permission.objects.values_list("pk", flat=True))}
    before = stored(world)
    wrong = []
    for route in refused:
        got = outcome(client.post(url_of(route, world), forged))
        if got != MATRIX[route][column]:
            wrong.append(f"POST {route}: expected {MATRIX[route][column]}, got {got}")
    assert not wrong, f"As {role}:\n" + "\n".join(wrong)
    assert stored(world) == before


# A staff account (a colleague) as the object of the user pages: advisors read it, administrators manage it.
STAFF_ACCOUNT: dict[str, tuple[str, str]] = {  # route: (advisor, administrator)
    "contacts/user/<id>/change/": (OK, OK),  # read-only for advisors: no field, no save button
    "contacts/user/<id>/password/": (DENIED, OK),
    "contacts/user/<id>/delete/": (DENIED, OK),
    "contacts/user/<id>/history/": (OK, OK),
    "contacts/user/<id>/": (TO_CHANGE, TO_CHANGE),
}


def test_a_staff_account_is_read_only_to_advisors(world: World) -> None:
    colleague = UserFactory(email="colleague@support.example.com", is_staff=True)
    staff_world = World(
        objects={**world.objects, "contacts/user": colleague}, people=world.people, case=world.case
    )
    assert set(STAFF_ACCOUNT) == {r for r in admin_routes() if r.startswith("contacts/user/<id>/")}
    for role in ("advisor", "administrator"):
        client = client_for(world.people[role])
        column = ("advisor", "administrator").index(role)
        for route, expected in STAFF_ACCOUNT.items():
            assert outcome(client.get(url_of(route, staff_world))) == expected[column], (role, route)
    advisor = client_for(world.people["advisor"])
    before = row_counts()
    for route in ("contacts/user/<id>/change/", "contacts/user/<id>/password/", "contacts/user/<id>/delete/"):
        forged = {
            **FORGED,
            "is_superuser": "on",
            "password1": "Forged-pass-2026!",
            "password2": "Forged-pass-2026!",
        }
        assert outcome(advisor.post(url_of(route, staff_world), forged)) == DENIED, route
    assert row_counts() == before
    colleague.refresh_from_db()
    assert (colleague.email, colleague.is_superuser) == ("colleague@support.example.com", False)
    assert not colleague.check_password("Forged-pass-2026!")


def test_a_new_admin_page_fails_until_it_is_classified() -> None:
    admin.site.register(LogEntry)
    try:
        unclassified = set(admin_routes()) - set(MATRIX)
    finally:
        admin.site.unregister(LogEntry)
    assert "admin/logentry/" in unclassified
    assert "admin/logentry/<id>/delete/" in unclassified
    assert set(admin_routes()) <= set(MATRIX)
