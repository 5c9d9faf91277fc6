"""The case page: what each persona sees, the feed and its search, and the query budget."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.casetypes import Team
from cases.models import Disruption, Post
from cases.services import (
    case_assign,
    case_close,
    impact_assess,
    post_create,
    recipients_add,
    recipients_remove,
)
from cases.tests.factories import DevIssueFactory, ReleaseFactory, put_in_status
from cases.tests.page_helpers import login, make_case, png, private_media_fixture, url  # noqa: F401
from cases.workflow import STATUS_MEANINGS, Status
from contacts.tests.factories import AdvisorFactory

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    return response.content.decode()


# --- who may see it --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["support", "technical", "implementation", "read_only", "advisor"])
def test_every_contact_of_the_district_and_advisors_see_the_case(client, personas, persona):
    case = make_case(personas)
    response = login(client, getattr(personas, persona)).get(url("detail", case))
    assert response.status_code == 200
    assert f"Case #{case.number}" in page_text(response)
    assert "Teachers unable to post grades" in page_text(response)


def test_another_districts_case_is_a_404_identical_to_a_missing_one(client, personas):
    case = make_case(personas)
    login(client, personas.other_district)
    foreign = client.get(url("detail", case))
    missing = client.get(reverse("cases:detail", kwargs={"number": case.number + 9999}))
    assert foreign.status_code == missing.status_code == 404
    # identical but for the CSRF token and the CSP nonce, new on every response
    token = re.compile(rb'"X-CSRFToken": "[^"]+"|nonce="[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub(b"", foreign.content) == token.sub(b"", missing.content)
    assert "Teachers unable" not in page_text(foreign)


def test_anonymous_visitors_are_sent_to_log_in(client, personas):
    case = make_case(personas)
    response = client.get(url("detail", case))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_removed_membership_loses_the_case_at_once(client, personas):
    case = make_case(personas)
    login(client, personas.technical)
    assert client.get(url("detail", case)).status_code == 200
    personas.technical.memberships.update(is_active=False)
    assert client.get(url("detail", case)).status_code == 404


# --- top panel and details -----------------------------------------------------------------------------------


def test_top_panel_shows_number_subject_priority_status_meaning_advisor_and_first_response(client, personas):
    case = make_case(personas, Status.PENDING_CUSTOMER_INPUT)
    html = page_text(login(client, personas.support).get(url("detail", case)))
    assert f"Case #{case.number}" in html
    assert "Pending Customer Input" in html
    meaning = STATUS_MEANINGS[Status.PENDING_CUSTOMER_INPUT]
    assert f'title="{meaning}"' in html  # on hover
    assert f'<p class="tip__text">{meaning}</p>' in html  # and for keyboard and screen readers
    assert personas.advisor.get_full_name() in html
    assert "Medium" in html
    assert "Due</span>" in html
    assert timezone.localtime(case.first_response_due_at).strftime("%a %-d %b") in html


def test_first_response_shows_met_once_the_advisor_answered_in_time(client, personas):
    case = make_case(personas)
    post_create(author=personas.advisor, case=case, body="<p>Looking into it.</p>")
    html = page_text(login(client, personas.support).get(url("detail", case)))
    assert '<span class="sla sla--met">Met</span>' in html


def test_case_details_show_creation_fields_and_supports_qualification(client, personas):
    case = make_case(personas, Status.ASSIGNED_TO_DEVELOPMENT)
    issue = DevIssueFactory(number="DEV-48213", title="Post button disabled after term change")
    case = put_in_status(
        case,
        Status.AVAILABLE_IN_RELEASE,
        advisor=personas.advisor,
        dev_issue=issue,
        release=ReleaseFactory(name="2026.11 Release Pack"),
    )
    impact_assess(
        actor=personas.advisor,
        case=case,
        disruption=Disruption.SEVERE,
        cannot_perform_daily_functions=True,
        multiple_users=True,
    )
    html = page_text(login(client, personas.read_only).get(url("detail", case)))
    for text in [
        "Ask a Question",
        "Maple Grove Public Schools",
        "We looked under Reports and could not find it.",  # the description
        "Support's assessment",
        "Severe: work has stopped",
        "Daily functions cannot be performed",
        "DEV-48213: Post button disabled after term change",
        "2026.11 Release Pack",
    ]:
        assert text in html, text


def test_the_type_specific_details_are_shown(client, personas):
    from cases.casetypes import CaseType
    from cases.tests.factories import submit_case

    case = submit_case(
        district=personas.district_a,
        contact=personas.technical,
        case_type=CaseType.SERVER_ACCESS,
        priority=4,
        details={"request_type": "sql_server", "schema_bootcamp": True},
        subject="SQL access",
    )
    html = page_text(login(client, personas.support).get(url("detail", case)))
    assert "SQL Server" in html
    assert "Managed Services" in html


# --- feed ------------------------------------------------------------------------------------------------------


def test_feed_shows_posts_and_status_changes_newest_first(client, personas):
    case = make_case(personas, Status.ASSIGNED)
    start = timezone.now()
    post_create(author=personas.support, case=case, body="<p>first message</p>", now=start)
    post_create(
        author=personas.advisor, case=case, body="<p>second message</p>", now=start + timedelta(minutes=1)
    )
    case_close(actor=personas.support, case=case, now=start + timedelta(minutes=2))
    html = page_text(login(client, personas.support).get(url("detail", case)))
    closed = html.index("status--closed")
    second = html.index("second message")
    first = html.index("first message")
    assert closed < second < first
    assert "submitted the case" in html


def test_internal_notes_never_reach_contacts_but_advisors_see_them(client, personas):
    case = make_case(personas)
    post_create(
        author=personas.advisor, case=case, body="<p>SECRET vendor bug, do not share</p>", internal=True
    )
    post_create(author=personas.advisor, case=case, body="<p>public answer</p>")
    for persona in ["support", "read_only"]:
        login(client, getattr(personas, persona))
        for response in [
            client.get(url("detail", case)),
            client.get(url("detail", case, q="SECRET")),
            client.get(url("feed", case, q="SECRET"), headers={"HX-Request": "true"}),
            client.get(url("feed", case), headers={"HX-Request": "true"}),
        ]:
            assert "vendor bug" not in page_text(response)
            assert "SECRET vendor" not in page_text(response)
    advisor_html = page_text(login(client, personas.advisor).get(url("detail", case)))
    assert "SECRET vendor bug" in advisor_html
    assert "Internal note, not visible to the district" in advisor_html


def test_search_this_feed_without_javascript_filters_with_a_get_parameter(client, personas):
    case = make_case(personas)
    post_create(author=personas.support, case=case, body="<p>The <strong>grade book</strong> is empty</p>")
    post_create(author=personas.advisor, case=case, body="<p>Please clear the browser cache</p>")
    html = page_text(login(client, personas.support).get(url("detail", case, q="grade+BOOK")))
    assert "grade book</strong> is empty" in html
    assert "clear the browser cache" not in html
    assert "1 entry match “grade BOOK”" in html
    assert 'value="grade BOOK"' in html


def test_search_matches_text_not_markup_and_finds_authors_and_status_changes(client, personas):
    # A fixed name: the submission entry matches its author's name, and a random "Armstrong" would match "strong".
    personas.support.last_name = "Baird"
    personas.support.save(update_fields=["last_name"])
    case = make_case(personas)
    post_create(author=personas.support, case=case, body="<p>See <strong>this</strong></p>")
    login(client, personas.support)
    assert "0 entries match" in page_text(client.get(url("detail", case, q="strong")))
    html = page_text(client.get(url("detail", case, q=personas.support.last_name)))
    assert "See <strong>this</strong>" in html
    html = page_text(client.get(url("detail", case, q="submitted")))
    assert "1 entry match" in html


def test_search_partial_for_htmx_returns_only_the_feed_and_pushes_the_page_url(client, personas):
    case = make_case(personas)
    post_create(author=personas.support, case=case, body="<p>attendance letters blank</p>")
    post_create(author=personas.support, case=case, body="<p>something else</p>")
    response = login(client, personas.support).get(
        url("feed", case, q="letters"), headers={"HX-Request": "true"}
    )
    html = page_text(response)
    assert response.status_code == 200
    assert "<html" not in html
    assert "attendance letters blank" in html
    assert "something else" not in html
    assert 'hx-swap-oob="innerHTML"' in html
    assert response["HX-Push-Url"] == url("detail", case, q="letters")


def test_the_feed_partial_without_htmx_goes_to_the_page(client, personas):
    case = make_case(personas)
    response = login(client, personas.support).get(url("feed", case, q="x"))
    assert response.status_code == 302
    assert response["Location"] == url("detail", case, q="x")


def test_the_feed_partial_of_another_district_is_a_404(client, personas):
    case = make_case(personas)
    response = login(client, personas.other_district).get(url("feed", case), headers={"HX-Request": "true"})
    assert response.status_code == 404


def test_a_long_feed_shows_the_newest_entries_and_offers_all(client, personas):
    case = make_case(personas)
    start = timezone.now() - timedelta(days=1)
    Post.objects.bulk_create(
        Post(
            case=case,
            author=personas.support,
            body=f"<p>message number {i:03d}</p>",
            created_at=start + timedelta(minutes=i),
        )
        for i in range(60)
    )
    login(client, personas.support)
    html = page_text(client.get(url("detail", case)))
    assert "message number 059" in html
    assert "message number 000" not in html
    assert "Show all 61 entries" in html
    everything = page_text(client.get(url("detail", case, feed="all")))
    assert "message number 000" in everything
    assert "Show all" not in everything


# --- query budget ---------------------------------------------------------------------------------------------


def _page_queries(client, case) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("detail", case))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["support", "advisor"])
def test_the_page_costs_the_same_queries_with_1_and_200_posts(
    client, personas, django_assert_max_num_queries, persona
):
    small = make_case(personas, subject="small")
    large = make_case(personas, subject="large")
    start = timezone.now() - timedelta(days=2)
    for case, count in [(small, 1), (large, 200)]:
        posts = Post.objects.bulk_create(
            Post(
                case=case,
                author=personas.advisor if i % 2 else personas.support,
                body=f"<p>post {i}</p>",
                created_at=start + timedelta(minutes=i),
                is_internal=i % 7 == 3,
            )
            for i in range(count)
        )
        # a few attachments spread over the thread
        for _ in posts[:: max(1, count // 10)]:
            post_create(author=personas.support, case=case, body="<p>file</p>", attachments=[png()])
        # events that name people: owners who passed the case on, recipients added and removed
        for advisor in [*AdvisorFactory.create_batch(max(1, count // 20)), personas.advisor]:
            case_assign(actor=personas.advisor, case=case, assignee=advisor)
        for _ in range(max(1, count // 40)):
            recipients_add(actor=personas.support, case=case, users=[personas.technical])
            recipients_remove(actor=personas.support, case=case, users=[personas.technical])
    login(client, getattr(personas, persona))
    client.get(url("detail", small))  # the session is read once before counting
    # session, user, memberships, case, the people it names, its recipients with the people its events name,
    # eligible contacts, posts, events, the attachments area, the status banner (the advisor: one more for the
    # role). The feed's count comes with the posts.
    with django_assert_max_num_queries(12):
        client.get(url("detail", small))
    with django_assert_max_num_queries(12):
        client.get(url("detail", large))
    assert _page_queries(client, large) - _page_queries(client, small) <= 1
    with django_assert_max_num_queries(12):
        response = client.get(url("detail", large, feed="all"))
    assert "<p>post 198</p>" in page_text(response)
    assert "<p>post 0</p>" in page_text(response)


# --- buttons per persona and status -------------------------------------------------------------------------


def _has_button(html: str, action: str, case) -> bool:
    return f'action="{url(action, case)}"' in html


@pytest.mark.parametrize("persona", ["support", "technical", "implementation"])
def test_authorized_contacts_see_close_post_permission_and_recipient_tools(client, personas, persona):
    case = make_case(personas)
    html = page_text(login(client, getattr(personas, persona)).get(url("detail", case)))
    for action in ["close", "post", "permission-grant", "recipients-add"]:
        assert _has_button(html, action, case), action
    assert not _has_button(html, "reopen", case)


def test_read_only_contacts_see_no_action_but_adding_themselves(client, personas):
    case = make_case(personas)
    html = page_text(login(client, personas.read_only).get(url("detail", case)))
    for action in ["close", "post", "reopen", "permission-grant"]:
        assert not _has_button(html, action, case), action
    assert "Add me to notifications on this case" in html
    assert "read-only access" in html
    assert "Add recipients" not in html


def test_a_closed_case_offers_reopen_within_60_days_and_a_follow_up_after(client, personas):
    case = make_case(personas)
    case_close(actor=personas.support, case=case)
    login(client, personas.support)
    html = page_text(client.get(url("detail", case)))
    assert _has_button(html, "reopen", case)
    assert not _has_button(html, "close", case)
    assert not _has_button(html, "post", case)
    with time_machine.travel(timezone.now() + timedelta(days=61)):
        html = page_text(login(client, personas.support).get(url("detail", case)))
    assert not _has_button(html, "reopen", case)
    assert f"Submit a new case referencing #{case.number}" in html
    assert f"?follows={case.number}" in html


def test_read_only_contacts_are_not_offered_reopen_or_follow_up(client, personas):
    case = make_case(personas)
    case_close(actor=personas.support, case=case)
    login(client, personas.read_only)
    assert not _has_button(page_text(client.get(url("detail", case))), "reopen", case)
    with time_machine.travel(timezone.now() + timedelta(days=61)):
        html = page_text(login(client, personas.read_only).get(url("detail", case)))
    assert "Case #" in html
    assert "Submit a new case referencing" not in html


def test_advisors_may_post_internal_notes_and_open_the_workbench(client, personas):
    case = make_case(personas)
    html = page_text(login(client, personas.advisor).get(url("detail", case)))
    assert 'name="internal"' in html
    assert reverse("admin:cases_case_change", args=[case.pk]) in html
    contact_html = page_text(login(client, personas.support).get(url("detail", case)))
    assert 'name="internal"' not in contact_html


def test_the_attachments_area_lists_every_file_with_size_uploader_and_date(client, personas):
    case = make_case(personas)
    post_create(author=personas.support, case=case, body="<p>screens</p>", attachments=[png("one.png")])
    post_create(
        author=personas.advisor,
        case=case,
        body="<p>internal</p>",
        internal=True,
        attachments=[png("secret.png")],
    )
    login(client, personas.support)
    html = page_text(client.get(url("detail", case)))
    assert "one.png" in html
    assert "secret.png" not in html
    assert "1 file," in html
    assert personas.support.get_full_name() in html
    advisor_html = page_text(login(client, personas.advisor).get(url("detail", case)))
    assert "secret.png" in advisor_html


def test_escalation_note_shows_in_the_feed(client, personas):
    from cases.services import case_escalate

    case = make_case(personas)
    case_escalate(
        actor=personas.advisor, case=case, team=Team.DEVELOPMENT, note="<p>Escalated to the developers.</p>"
    )
    html = page_text(login(client, personas.support).get(url("detail", case)))
    assert "Escalated to the developers." in html
    assert "Development" in html
