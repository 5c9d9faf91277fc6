"""Development issues are recorded through ``cases.devissues.dev_issue_save``, in the admin too."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.devissues import dev_issue_save
from cases.models import Case, CaseEvent, DevIssue, Post, Release
from cases.services import post_create
from cases.services.devissues import dev_issue_release
from cases.tests.factories import CaseFactory, DevIssueFactory, ReleaseFactory, put_in_status, submit_case
from cases.tests.helpers import row_counts
from cases.workflow import Status
from contacts.models import Role
from contacts.tests.factories import DistrictFactory, MembershipFactory, UserFactory
from outbox.models import OutboundEmail
from tests.helpers import run_together

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


# --- linking cases to an issue, and the release fan-out ----------------------------------------------------------


def _assigned(personas, district=None, contact=None, **kwargs) -> Case:
    case = submit_case(
        district=district or personas.district_a, contact=contact or personas.support, **kwargs
    )
    return put_in_status(case, Status.ASSIGNED, advisor=personas.advisor)


def _newest_event(case: Case) -> int:
    return CaseEvent.objects.filter(case=case).order_by("-pk").values_list("pk", flat=True).first() or 0


def _mails_to(user) -> int:
    return OutboundEmail.objects.filter(to_address=user.email).count()


def _link_from_work_page(client, case: Case, number: str):
    return client.post(
        reverse("admin:cases_case_work", args=[case.pk, "link_issue"]),
        {"link_issue-issue": number, "link_issue-seen": _newest_event(case)},
    )


def test_an_advisor_links_a_case_from_its_work_page(client, personas):
    issue = DevIssueFactory(number="DEV-700", title="Totals wrong")
    case = _assigned(personas)
    client.force_login(personas.advisor)
    page = client.get(reverse("admin:cases_case_change", args=[case.pk])).text
    assert "Link to a development issue" in page
    assert '<option value="DEV-700">' in page
    mails = _mails_to(personas.support)
    response = _link_from_work_page(client, case, "dev-700")
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.dev_issue) == (Status.ASSIGNED_TO_DEVELOPMENT, issue)
    note = Post.objects.filter(case=case, is_internal=False).latest("pk")
    assert "DEV-700" in note.body
    assert "Totals wrong" in note.body
    assert _mails_to(personas.support) == mails + 1  # the note and the status change: one e-mail
    kinds = set(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert {CaseEvent.Kind.DEV_ISSUE_LINKED, CaseEvent.Kind.STATUS_CHANGED} <= kinds
    # The district reads the note on its own case page.
    client.force_login(personas.support)
    assert "DEV-700" in client.get(reverse("cases:detail", args=[case.number])).text


def test_linking_again_to_the_same_issue_is_a_no_op_with_a_message(client, personas):
    issue = DevIssueFactory(number="DEV-700")
    case = put_in_status(
        _assigned(personas), Status.ASSIGNED_TO_DEVELOPMENT, advisor=personas.advisor, dev_issue=issue
    )
    client.force_login(personas.advisor)
    before = row_counts()
    response = _link_from_work_page(client, case, "DEV-700")
    assert response.status_code == 302
    assert row_counts() == before
    assert "already linked to DEV-700; nothing changed" in client.get(response.url).text


@pytest.mark.parametrize(
    ("status", "number", "message"),
    [
        (Status.CLOSED, "DEV-700", "is closed; re-open it"),
        (Status.ASSIGNED, "DEV-999", "No development issue DEV-999 is recorded"),
        (Status.NEW, "DEV-700", "take it or assign it"),
        (Status.ASSIGNED, "DEV-701", "already fixed in 2026.1"),
    ],
)
def test_a_refused_link_from_the_work_page_writes_nothing(client, personas, status, number, message):
    DevIssueFactory(number="DEV-700")
    DevIssueFactory(number="DEV-701", fixed_in=ReleaseFactory(name="2026.1"))
    case = submit_case(district=personas.district_a, contact=personas.support)
    if status != Status.NEW:
        case = put_in_status(case, status, advisor=personas.advisor)
    client.force_login(personas.advisor)
    before = row_counts()
    response = _link_from_work_page(client, case, number)
    # (A closed case's page offers no link form; a forged post is refused by the service all the same.)
    assert response.status_code == 400
    assert message in response.text
    assert f'value="{number}"' in response.text  # the typed value kept
    assert row_counts() == before
    case.refresh_from_db()
    assert case.status == status


def test_an_advisor_adds_several_cases_by_number_from_the_issue_page(client, personas):
    issue = DevIssueFactory(number="DEV-700")
    other = UserFactory(email="b2@b.example.org")
    MembershipFactory(user=other, district=personas.district_b, role=Role.SUPPORT)
    first = _assigned(personas)
    second = _assigned(personas, district=personas.district_b, contact=other)
    already = put_in_status(
        _assigned(personas), Status.ASSIGNED_TO_DEVELOPMENT, advisor=personas.advisor, dev_issue=issue
    )
    mails = (_mails_to(personas.support), _mails_to(other))
    client.force_login(personas.advisor)
    change = client.get(reverse("admin:cases_devissue_change", args=[issue.pk])).text
    assert "Add cases by number" in change
    assert f"#{already.number}" in change
    url = reverse("admin:cases_devissue_link", args=[issue.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"numbers": f"{first.number}, #{second.number} {already.number}"})
    assert response.status_code == 200
    assert f"#{first.number}, #{second.number}. Each district was told" in response.text
    assert f"Already linked, nothing changed: #{already.number}" in response.text
    assert set(Case.objects.filter(dev_issue=issue).values_list("status", flat=True)) == {
        Status.ASSIGNED_TO_DEVELOPMENT
    }
    assert (_mails_to(personas.support), _mails_to(other)) == (mails[0] + 1, mails[1] + 1)


def test_one_bad_number_on_the_issue_page_refuses_them_all(client, personas):
    issue = DevIssueFactory(number="DEV-700")
    good = _assigned(personas)
    closed = put_in_status(_assigned(personas), Status.CLOSED, advisor=personas.advisor)
    client.force_login(personas.advisor)
    before = row_counts()
    typed = f"{good.number}, {closed.number}, 99999999"
    response = client.post(reverse("admin:cases_devissue_link", args=[issue.pk]), {"numbers": typed})
    assert response.status_code == 400
    assert "No case #99999999 exists." in response.text
    assert f"Case #{closed.number} is closed" in response.text
    assert typed in response.text
    assert row_counts() == before
    assert not Case.objects.filter(dev_issue=issue).exists()


def test_words_that_are_not_case_numbers_are_refused(client, personas):
    issue = DevIssueFactory(number="DEV-700")
    client.force_login(personas.advisor)
    before = row_counts()
    response = client.post(reverse("admin:cases_devissue_link", args=[issue.pk]), {"numbers": "12 twelve"})
    assert response.status_code == 400
    assert "These are not case numbers: twelve." in response.text
    assert row_counts() == before


@pytest.mark.parametrize("who", ["support", "technical"])
def test_contacts_never_reach_the_issue_pages(client, personas, who):
    issue = DevIssueFactory()
    client.force_login(getattr(personas, who))
    for name in ("cases_devissue_link", "cases_devissue_release"):
        response = client.post(
            reverse(f"admin:{name}", args=[issue.pk]), {"numbers": "1", "release_name": "X"}
        )
        assert response.status_code == 302
        assert "/login/" in response.url


class Fleet:
    """Linked cases in three districts, one of them closed."""

    def __init__(self, personas, issue) -> None:
        district_c = DistrictFactory(name="Birch Lake Schools", slug="birch-lake")
        self.contact_b = UserFactory(email="b@b.example.org")
        MembershipFactory(user=self.contact_b, district=personas.district_b, role=Role.SUPPORT)
        self.contact_c = UserFactory(email="c@c.example.org")
        MembershipFactory(user=self.contact_c, district=district_c, role=Role.SUPPORT)

        def linked(district, contact, status=Status.ASSIGNED_TO_DEVELOPMENT) -> Case:
            case = submit_case(district=district, contact=contact)
            return put_in_status(case, status, advisor=personas.advisor, dev_issue=issue)

        self.a = linked(personas.district_a, personas.support)
        self.b = linked(personas.district_b, self.contact_b)
        self.c = linked(district_c, self.contact_c)
        self.closed = linked(personas.district_a, personas.support, Status.CLOSED)
        self.contacts = [personas.support, self.contact_b, self.contact_c]


def test_the_preview_says_what_will_move_and_what_stays_closed(client, personas):
    issue = DevIssueFactory(number="DEV-700")
    fleet = Fleet(personas, issue)
    client.force_login(personas.advisor)
    before = row_counts()
    url = reverse("admin:cases_devissue_release", args=[issue.pk])
    assert "Fixed in release" in client.get(url).text
    response = client.get(url, {"release_name": "  2026.12   Release Pack "})
    assert response.status_code == 200
    text = response.text
    assert "3 cases in 3 districts will move to Available in Release" in text
    assert "Already closed: they stay closed (1)" in text
    assert f"#{fleet.closed.number}" in text
    assert row_counts() == before
    assert not Release.objects.exists()


def test_the_fan_out_moves_every_open_case_once_and_is_safe_to_run_again(client, personas):
    issue = DevIssueFactory(number="DEV-700")
    fleet = Fleet(personas, issue)
    client.force_login(personas.advisor)
    url = reverse("admin:cases_devissue_release", args=[issue.pk])
    mails = {c.email: _mails_to(c) for c in fleet.contacts}
    response = client.post(url, {"release_name": "2026.12 Release Pack"})
    assert response.status_code == 200
    assert "3 cases in 3 districts moved to Available in Release" in response.text
    assert "Closed, stay closed (1)" in response.text
    release = Release.objects.get(name="2026.12 Release Pack")
    issue.refresh_from_db()
    assert issue.fixed_in == release
    for case in (fleet.a, fleet.b, fleet.c):
        case.refresh_from_db()
        assert (case.status, case.release) == (Status.AVAILABLE_IN_RELEASE, release)
        assert "available in 2026.12 Release Pack" in Post.objects.filter(case=case).latest("pk").body
    fleet.closed.refresh_from_db()
    assert (fleet.closed.status, fleet.closed.release) == (Status.CLOSED, None)
    # Exactly one e-mail per case to its contact (personas.support's one case moved; the closed one did not).
    assert {c.email: _mails_to(c) - mails[c.email] for c in fleet.contacts} == {
        c.email: 1 for c in fleet.contacts
    }

    # A contact posts on a linked case between two runs: the second run keeps it and changes nothing.
    post_create(
        author=personas.support, case=fleet.a, body="<p>We installed it, checking now.</p>", internal=False
    )
    before = row_counts()
    again = client.post(url, {"release_name": "2026.12 Release Pack"})
    assert again.status_code == 200
    assert "0 cases in 0 districts moved" in again.text
    assert "Already done (3)" in again.text
    assert row_counts() == before
    assert Post.objects.filter(case=fleet.a, body__contains="We installed it").exists()


def test_one_refused_case_does_not_stop_the_others(personas):
    issue = DevIssueFactory(number="DEV-700")
    fleet = Fleet(personas, issue)
    # Someone moved one linked case back to Assigned: the workflow does not take it straight to the release.
    Case.objects.filter(pk=fleet.b.pk).update(status=Status.ASSIGNED)
    report = dev_issue_release(actor=personas.advisor, issue=issue, release_name="2026.12")
    assert [c.number for c in report.moved] == [fleet.a.number, fleet.c.number]
    assert [(c.number, c.reason) for c in report.refused] == [
        (fleet.b.number, "Assigned, not waiting on Development")
    ]
    assert [c.number for c in report.closed] == [fleet.closed.number]


def test_a_release_with_no_open_linked_case_is_refused(client, personas):
    issue = DevIssueFactory(number="DEV-700")
    case = put_in_status(_assigned(personas), Status.CLOSED, advisor=personas.advisor)
    Case.objects.filter(pk=case.pk).update(dev_issue=issue)
    client.force_login(personas.advisor)
    url = reverse("admin:cases_devissue_release", args=[issue.pk])
    before = row_counts()
    preview = client.get(url, {"release_name": "2026.12"})
    assert "No open case is linked to DEV-700" in preview.text
    response = client.post(url, {"release_name": "2026.12"})
    assert response.status_code == 400
    assert "No open case is linked to DEV-700" in response.text
    assert row_counts() == before
    assert not Release.objects.exists()
    issue.refresh_from_db()
    assert issue.fixed_in is None


def test_the_preview_costs_the_same_queries_at_two_sizes(client, personas):
    def queries(count: int) -> int:
        issue = DevIssueFactory()
        for _ in range(count):
            put_in_status(
                _assigned(personas), Status.ASSIGNED_TO_DEVELOPMENT, advisor=personas.advisor, dev_issue=issue
            )
        url = reverse("admin:cases_devissue_release", args=[issue.pk])
        client.get(url, {"release_name": "2026.12"})  # warm the session and caches
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"release_name": "2026.12"})
        assert f"{count} case{'s' if count != 1 else ''} in 1 district" in response.text
        return len(captured.captured_queries)

    client.force_login(personas.advisor)
    assert queries(2) == queries(8)


def test_the_district_page_lists_its_cases_fixed_in_recent_releases(client, personas):
    issue = DevIssueFactory(number="DEV-700")
    fleet = Fleet(personas, issue)
    dev_issue_release(actor=personas.advisor, issue=issue, release_name="2026.12 Release Pack")
    old = put_in_status(
        _assigned(personas),
        Status.AVAILABLE_IN_RELEASE,
        advisor=personas.advisor,
        dev_issue=issue,
        release=ReleaseFactory(name="2025.1 Old Pack", released_on="2025-01-01"),
    )
    client.force_login(personas.support)
    text = client.get(reverse("district-detail", args=[personas.district_a.slug])).text
    assert "Fixed in recent releases" in text
    assert f"#{fleet.a.number}" in text
    assert "2026.12 Release Pack" in text
    assert f"#{old.number}" not in text
    assert f"#{fleet.b.number}" not in text  # another district's case


@pytest.mark.django_db(transaction=True)
def test_a_contact_posting_while_the_fan_out_runs_loses_nothing(personas, monkeypatch):
    # These tests commit: committed outbox rows would otherwise be handed to the broker.
    monkeypatch.setattr("outbox.services.schedule_delivery", lambda email_id: None)
    issue = DevIssueFactory(number="DEV-700")
    other = UserFactory(email="b@b.example.org")
    MembershipFactory(user=other, district=personas.district_b, role=Role.SUPPORT)
    cases = [
        put_in_status(
            CaseFactory(district=district, contact=contact),
            Status.ASSIGNED_TO_DEVELOPMENT,
            advisor=personas.advisor,
            dev_issue=issue,
        )
        for district, contact in ((personas.district_a, personas.support), (personas.district_b, other))
    ]
    results = run_together(
        lambda: dev_issue_release(actor=personas.advisor, issue=issue, release_name="2026.12"),
        lambda: post_create(author=personas.support, case=cases[0], body="<p>Still broken here.</p>"),
    )
    assert [kind for kind, _ in results] == ["ok", "ok"]
    assert [c.number for c in results[0][1].moved] == [c.number for c in cases]
    assert Post.objects.filter(case=cases[0], body__contains="Still broken here").count() == 1
    for case in cases:
        moves = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.STATUS_CHANGED)
        assert list(moves.values_list("new", flat=True)) == [Status.AVAILABLE_IN_RELEASE]
    # Run again: nothing moves, nothing is written.
    before = row_counts()
    again = dev_issue_release(actor=personas.advisor, issue=issue, release_name="2026.12")
    assert (len(again.moved), len(again.already)) == (0, 2)
    assert row_counts() == before


def test_an_issue_fixed_in_one_release_is_not_marked_again_with_another(client, personas):
    issue = DevIssueFactory(number="DEV-700")
    Fleet(personas, issue)
    dev_issue_release(actor=personas.advisor, issue=issue, release_name="2026.12")
    client.force_login(personas.advisor)
    before = row_counts()
    response = client.post(
        reverse("admin:cases_devissue_release", args=[issue.pk]), {"release_name": "2027.1"}
    )
    assert response.status_code == 400
    assert "DEV-700 is already marked fixed in 2026.12." in response.text
    assert row_counts() == before
    assert not Release.objects.filter(name="2027.1").exists()


def test_the_release_is_not_set_from_the_issue_change_form(client, personas):
    issue = DevIssueFactory(number="DEV-700", title="Totals")
    release = ReleaseFactory()
    client.force_login(personas.advisor)
    url = reverse("admin:cases_devissue_change", args=[issue.pk])
    response = client.post(url, {"number": "DEV-700", "title": "Totals wrong", "fixed_in": release.pk})
    assert response.status_code == 302
    issue.refresh_from_db()
    assert (issue.title, issue.fixed_in) == ("Totals wrong", None)


def test_a_case_waiting_on_development_moves_to_another_issue_without_a_status_change(client, personas):
    first, second = DevIssueFactory(number="DEV-700"), DevIssueFactory(number="DEV-701")
    case = put_in_status(
        _assigned(personas), Status.ASSIGNED_TO_DEVELOPMENT, advisor=personas.advisor, dev_issue=first
    )
    client.force_login(personas.advisor)
    mails = _mails_to(personas.support)
    assert _link_from_work_page(client, case, "DEV-701").status_code == 302
    case.refresh_from_db()
    assert (case.status, case.dev_issue) == (Status.ASSIGNED_TO_DEVELOPMENT, second)
    event = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.DEV_ISSUE_LINKED).latest("pk")
    assert (event.old, event.new) == (str(first.pk), str(second.pk))
    assert _mails_to(personas.support) == mails + 1
    page = client.get(reverse("admin:cases_case_change", args=[case.pk])).text
    assert "DEV-701" in page
