"""Case events store values, not display strings, under namespaced kinds.

Forward, for the rows written before:
- kinds are renamed (``status`` → ``case.status_changed`` …; the table below);
- the submission's ``data.priority`` label becomes its rank (``"High"`` → 2);
- an assignment's old and new advisor names become user pks, matched exactly against the full name (or, for a
  person without one, the e-mail address) of staff accounts; a recipient event takes the pk it already kept in
  ``data.user``, or else the name matched the same way against every account;
- an impact assessment's disruption label becomes its code, a linked development issue's number its pk, a
  status change's ``data.release`` name the release's pk, the reason "contact replied" the code
  ``contact_replied``.
A name, label or number that matches nothing (or several) leaves the value empty and keeps the original text in
``data`` as ``old_text`` / ``new_text`` (``release_text`` for a release), which the timeline shows as it is.

Backward, the kinds get their old names and the values stay as they are (pks and codes): the old code reads
only the statuses of status events, which did not change, and shows the others as raw text. Migrating forward
again leaves the values already converted (pks, codes) as they are.
"""

from django.db import migrations


KINDS = {
    "created": "case.created",
    "status": "case.status_changed",
    "assigned": "case.assigned",
    "escalated": "case.escalated",
    "posted": "post.added",
    "recipient_added": "recipient.added",
    "recipient_removed": "recipient.removed",
    "permission": "permission.granted",
    "permission_withdrawn": "permission.withdrawn",
    "dev_issue": "dev_issue.linked",
    "impact": "impact.assessed",
}
# The labels as they were when the events were written (not the models' labels of today).
PRIORITY_RANKS = {"Critical": 1, "High": 2, "Medium": 3, "Low": 4}
DISRUPTION_CODES = {
    "Minimal: work goes on as usual": "minimal",
    "Moderate: work is slowed down": "moderate",
    "Severe: work has stopped": "severe",
}
BATCH = 2000


def _unique(pairs):
    """``{text: pk}`` for the texts that name exactly one row."""
    found = {}
    for text, pk in pairs:
        found.setdefault(text, []).append(pk)
    return {text: pks[0] for text, pks in found.items() if text and len(pks) == 1}


def _names(users):
    """str(User) when the events were written: the full name, or the e-mail address without one."""
    return _unique(
        (f"{first} {last}".strip() or email, pk)
        for pk, first, last, email in users.values_list("pk", "first_name", "last_name", "email")
    )


def _convert(event, side, lookup, converted):
    """Replace the display text on ``side`` by the value ``lookup`` finds, or keep the text in data. A value
    that ``converted`` accepts is left alone (migrating forward again after going back)."""
    text = getattr(event, side)
    if not text:
        return
    value = lookup.get(text)
    if value is None and converted(text):
        return
    if value is None:
        event.data[f"{side}_text"] = text
        setattr(event, side, "")
    else:
        setattr(event, side, str(value))


def forward(apps, schema_editor):
    CaseEvent = apps.get_model("cases", "CaseEvent")
    User = apps.get_model("contacts", "User")
    DevIssue = apps.get_model("cases", "DevIssue")
    Release = apps.get_model("cases", "Release")
    for old, new in KINDS.items():
        CaseEvent.objects.filter(kind=old).update(kind=new)

    staff = _names(User.objects.filter(is_staff=True))
    everyone = _names(User.objects.all())
    issues = _unique(DevIssue.objects.values_list("number", "pk"))
    releases = _unique(Release.objects.values_list("name", "pk"))
    kinds = [
        "case.created",
        "case.status_changed",
        "case.assigned",
        "recipient.added",
        "recipient.removed",
        "impact.assessed",
        "dev_issue.linked",
    ]
    events = CaseEvent.objects.filter(kind__in=kinds).order_by("pk")
    batch = []
    for event in events.iterator(chunk_size=BATCH):
        data = event.data if isinstance(event.data, dict) else {}
        event.data = data
        if event.kind == "case.created" and data.get("priority") in PRIORITY_RANKS:
            data["priority"] = PRIORITY_RANKS[data["priority"]]
        elif event.kind == "case.status_changed":
            release = data.get("release")
            if isinstance(release, str):
                if release in releases:
                    data["release"] = releases[release]
                else:
                    data["release_text"] = data.pop("release")
            if data.get("reason") == "contact replied":
                data["reason"] = "contact_replied"
        elif event.kind == "case.assigned":
            _convert(event, "old", staff, str.isdigit)
            _convert(event, "new", staff, str.isdigit)
        elif event.kind in ("recipient.added", "recipient.removed"):
            side = "new" if event.kind == "recipient.added" else "old"
            pk = data.pop("user", None)
            if isinstance(pk, int) and getattr(event, side):
                setattr(event, side, str(pk))
            else:
                _convert(event, side, everyone, str.isdigit)
        elif event.kind == "impact.assessed":
            _convert(event, "new", DISRUPTION_CODES, set(DISRUPTION_CODES.values()).__contains__)
        elif event.kind == "dev_issue.linked":
            _convert(event, "new", issues, str.isdigit)
        batch.append(event)
        if len(batch) >= BATCH:
            CaseEvent.objects.bulk_update(batch, ["old", "new", "data"])
            batch = []
    CaseEvent.objects.bulk_update(batch, ["old", "new", "data"])


def backward(apps, schema_editor):
    CaseEvent = apps.get_model("cases", "CaseEvent")
    for old, new in KINDS.items():
        CaseEvent.objects.filter(kind=new).update(kind=old)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_event_values"),
        ("contacts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
