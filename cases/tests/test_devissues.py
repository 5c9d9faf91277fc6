"""Development issues are recorded through ``cases.devissues.dev_issue_save``, in the admin too."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cases.devissues import dev_issue_save
from cases.models import DevIssue
from cases.tests.factories import DevIssueFactory, ReleaseFactory

pytestmark = pytest.mark.django_db


def test_an_advisor_records_an_issue_with_its_number_as_development_writes_it(personas):
    issue = dev_issue_save(
        actor=personas.advisor, number="  dev-48213 ", title=" Totals wrong after term change "
    )
    stored = DevIssue.objects.get()
    assert (stored.pk, stored.number, stored.title, stored.fixed_in) == (
        issue.pk,
        "DEV-48213",
        "Totals wrong after term change",
        None,
    )


def test_an_advisor_changes_an_issue(personas):
    issue = DevIssueFactory(number="DEV-1")
    release = ReleaseFactory()
    dev_issue_save(actor=personas.advisor, issue=issue, number="DEV-1", title="Renamed", fixed_in=release)
    issue.refresh_from_db()
    assert (issue.title, issue.fixed_in) == ("Renamed", release)


@pytest.mark.parametrize(
    ("number", "title", "field", "message"),
    [
        ("dev-1", "Another", "number", "DEV-1 is already recorded"),
        ("  ", "Title", "number", "Enter Development's issue number"),
        ("DEV-2\nDEV-3", "Title", "number", "on one line"),
        ("DEV-2", "", "title", "Enter the issue's title."),
        ("DEV-2", "a\nb", "title", "one line"),
    ],
)
def test_a_refused_issue_writes_nothing(personas, number, title, field, message):
    DevIssueFactory(number="DEV-1", title="First")
    with pytest.raises(ValidationError) as refused:
        dev_issue_save(actor=personas.advisor, number=number, title=title)
    assert message in refused.value.message_dict[field][0]
    assert list(DevIssue.objects.values_list("number", "title")) == [("DEV-1", "First")]


@pytest.mark.parametrize("who", ["support", "technical"])
def test_a_contact_cannot_record_an_issue(personas, who):
    with pytest.raises(PermissionDenied):
        dev_issue_save(actor=getattr(personas, who), number="DEV-9", title="Forged")
    assert not DevIssue.objects.exists()


def test_the_admin_records_an_issue_through_the_service(client, personas):
    client.force_login(personas.advisor)
    response = client.post(
        reverse("admin:cases_devissue_add"), {"number": "dev-500 ", "title": "Sync stalls"}
    )
    assert response.status_code == 302
    assert list(DevIssue.objects.values_list("number", "title")) == [("DEV-500", "Sync stalls")]


def test_the_admin_shows_an_already_recorded_number_next_to_the_field_whatever_its_case(client, personas):
    DevIssueFactory(number="DEV-500")
    client.force_login(personas.advisor)
    response = client.post(reverse("admin:cases_devissue_add"), {"number": "dev-500", "title": "Again"})
    assert response.status_code == 200
    assert "number" in response.context["adminform"].form.errors
    assert DevIssue.objects.count() == 1


def test_a_refusal_at_save_time_is_a_message(client, personas, monkeypatch):
    # As when a colleague recorded the same number between the form's check and the save.
    DevIssueFactory(number="DEV-500")
    monkeypatch.setattr("cases.admin.reference.DevIssueForm.validate_unique", lambda self: None)
    client.force_login(personas.advisor)
    url = reverse("admin:cases_devissue_add")
    response = client.post(url, {"number": "DEV-500", "title": "Again"})
    assert (response.status_code, response.url) == (302, url)
    assert DevIssue.objects.count() == 1
    assert "DEV-500 is already recorded" in client.get(url).text
