"""The two staff roles, defined here rather than by hand in the admin.

- **Advisors** work cases for every district. They hold the advisor permission (``contacts.work_cases``), which
  is what ``User.is_advisor`` checks, and exactly the admin permissions that working cases needs: read the cases
  and their parts, act on cases through the workbench's actions, and maintain districts, contacts, memberships,
  modules, development issues and releases. No delete permission anywhere, and nothing on groups or permissions.
- **Administrators** are superusers: they alone manage staff accounts, groups, permissions and deletions.

The ``Advisors`` group is brought to exactly this list after every ``migrate`` (a ``post_migrate`` handler), so
a new model or a changed list takes effect with the deployment and a permission added to the group by hand in
the admin is taken away again.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from contacts.models import ADVISOR_PERMISSION

ADVISORS_GROUP = "Advisors"

# (app label, model) -> the admin actions advisors may take on it. Models not listed are administrators' only.
ADVISOR_MODEL_PERMISSIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("contacts", "district"): ("view", "add", "change"),
    ("contacts", "membership"): ("view", "add", "change"),
    # Contacts only: the user admin refuses advisors any change to a staff account (contacts/admin.py).
    ("contacts", "user"): ("view", "add", "change"),
    ("cases", "case"): ("view", "change"),
    ("cases", "post"): ("view",),
    ("cases", "attachment"): ("view",),
    ("cases", "caseevent"): ("view",),
    ("cases", "recipient"): ("view",),
    ("cases", "impactassessment"): ("view",),
    ("cases", "module"): ("view", "add", "change"),
    ("cases", "devissue"): ("view", "add", "change"),
    ("cases", "release"): ("view", "add", "change"),
    # Advisors keep their saved replies; one no longer wanted is switched off, not deleted.
    ("cases", "savedreply"): ("view", "add", "change"),
    # "Retry now" on the e-mail outbox; the rows themselves are read-only for everyone.
    ("outbox", "outboundemail"): ("view", "change"),
    # The scheduled jobs' runs and the ops page (read-only; "Run now" is administrators' only).
    ("jobs", "jobrun"): ("view",),
    # Status notifications: posted, updated and closed through notifications.services; never deleted.
    ("notifications", "notification"): ("view", "add", "change"),
    # Satisfaction surveys and their report: read-only (the survey job and the survey page write them).
    ("surveys", "survey"): ("view",),
    ("surveys", "surveyresponse"): ("view",),
    ("surveys", "surveyoptout"): ("view",),
}


def advisor_permissions() -> Q:
    """The advisor group's permissions as a filter on ``Permission``."""
    wanted = Q(content_type__app_label=ADVISOR_PERMISSION[0], codename=ADVISOR_PERMISSION[1])
    for (app_label, model), actions in ADVISOR_MODEL_PERMISSIONS.items():
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    return wanted


def sync_advisor_group(**kwargs: Any) -> None:
    """Create the Advisors group if needed and give it exactly ``advisor_permissions()``.

    Runs after every migrate. Permissions are created first for every installed app: Django creates them app by
    app after migrating, and this may run before the app whose models it names.
    """
    using = kwargs.get("using", "default")
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    group, _ = Group.objects.using(using).get_or_create(name=ADVISORS_GROUP)
    group.permissions.set(Permission.objects.using(using).filter(advisor_permissions()))
