"""The banner on every page, the Notifications page, a notification's page and the calendars, per persona."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from notifications.models import CalendarFeed
from notifications.services import notification_close, notification_update
from notifications.tests.factories import post_incident, post_maintenance
from tests.helpers import scrub_volatile

pytestmark = pytest.mark.django_db

PERSONAS = ["support", "read_only", "other_district", "advisor", "anonymous"]


def client_for(personas, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(getattr(personas, who))
    return client


def banner_of(client: Client, url: str) -> str:
    page = client.get(url).content.decode()
    start = page.index('class="status-banner')
    return page[start : page.index("</aside>", start)]


def page_for(who: str) -> str:
    # Anonymous visitors see the banner on the login page; everyone else on their home page.
    return reverse("login") if who == "anonymous" else reverse("home")


# --- the banner -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", PERSONAS)
def test_gray_banner_when_nothing_is_open(personas, who):
    old = post_incident(personas.advisor, title="Old outage")
    notification_close(actor=personas.advisor, notification=old, body="Fixed.")
    banner = banner_of(client_for(personas, who), page_for(who))
    assert "status-banner--none" in banner
    assert "No open notifications" in banner
    assert reverse("notifications:list") in banner


@pytest.mark.parametrize("who", PERSONAS)
def test_global_incident_is_an_orange_banner_for_everyone(personas, who):
    post_maintenance(personas.advisor, title="Database upgrade")
    post_incident(personas.advisor, title="Grade Book posting errors")
    banner = banner_of(client_for(personas, who), page_for(who))
    assert "status-banner--incident" in banner  # the incident wins over maintenance
    assert "Grade Book posting errors" in banner
    assert "Database upgrade" in banner


@pytest.mark.parametrize("who", PERSONAS)
def test_global_maintenance_is_a_green_banner_for_everyone(personas, who):
    post_maintenance(personas.advisor, title="Database upgrade")
    banner = banner_of(client_for(personas, who), page_for(who))
    assert "status-banner--maintenance" in banner
    assert "Database upgrade" in banner


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("support", True),
        ("read_only", True),
        ("other_district", False),
        ("advisor", True),
        ("anonymous", False),
    ],
)
def test_a_district_incident_shows_only_to_its_contacts_and_advisors(personas, who, sees):
    post_incident(personas.advisor, title="Maple Grove sync stalled", districts=[personas.district_a])
    banner = banner_of(client_for(personas, who), page_for(who))
    assert ("Maple Grove sync stalled" in banner) is sees
    assert ("status-banner--incident" in banner) is sees
    assert ("status-banner--none" in banner) is not sees


def test_the_banner_costs_one_query(personas, django_assert_num_queries):
    post_incident(personas.advisor, districts=[personas.district_a])
    post_maintenance(personas.advisor)
    from django.test import RequestFactory

    from notifications.selectors import banner_for

    for person in (personas.support, personas.advisor):
        request = RequestFactory().get("/")
        request.user = person
        request._portal_memberships = list(person.memberships.select_related("district"))
        person.is_advisor  # noqa: B018 - the layout asks it anyway (once per request)
        with django_assert_num_queries(1):
            banner = banner_for(request)
        assert banner.state == "incident"


# --- the Notifications page -------------------------------------------------------------------------------------


def test_open_and_closed_tabs_with_updates_newest_first(personas):
    incident = post_incident(personas.advisor, title="Grade Book posting errors")
    notification_update(actor=personas.advisor, notification=incident, body="Cause found: a stuck queue.")
    old = post_incident(personas.advisor, title="Login slowness")
    notification_close(actor=personas.advisor, notification=old, body="Resolved: a network fix.")
    client = Client()
    page = client.get(reverse("notifications:list")).content.decode()
    assert "Grade Book posting errors" in page
    assert "Login slowness" not in page
    assert page.index("Cause found") < page.index("we are investigating")
    closed = client.get(reverse("notifications:closed")).content.decode()
    assert "Login slowness" in closed
    assert "Resolved: a network fix." in closed
    assert "Grade Book posting errors" not in closed


@pytest.mark.parametrize(
    ("who", "status"),
    [("support", 200), ("read_only", 200), ("advisor", 200), ("other_district", 404), ("anonymous", 302)],
)
def test_a_district_notification_page_is_404_to_another_district(personas, who, status):
    incident = post_incident(
        personas.advisor, title="Maple Grove sync stalled", districts=[personas.district_a]
    )
    client = client_for(personas, who)
    response = client.get(reverse("notifications:detail", kwargs={"pk": incident.pk}))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    listing = client.get(reverse("notifications:list")).content.decode()
    assert ("Maple Grove sync stalled" in listing) is (status == 200)


def test_a_missing_notification_is_the_same_404(personas):
    client = client_for(personas, "other_district")
    incident = post_incident(personas.advisor, districts=[personas.district_a])
    hidden = client.get(reverse("notifications:detail", kwargs={"pk": incident.pk}))
    missing = client.get(reverse("notifications:detail", kwargs={"pk": incident.pk + 1000}))
    assert hidden.status_code == missing.status_code == 404
    assert scrub_volatile(hidden.content.decode()) == scrub_volatile(missing.content.decode())


def test_public_page_with_redis_and_the_broker_down_costs_one_query(
    personas, settings, django_assert_max_num_queries
):
    """The page must stay up when everything else is down: any use of Redis (cache or Celery) would fail."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1},
        }
    }
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    incident = post_incident(personas.advisor, title="Campus unreachable")
    notification_update(actor=personas.advisor, notification=incident, body="Failover in progress.")
    post_maintenance(personas.advisor)
    client = Client()
    for url in (reverse("notifications:list"), reverse("notifications:closed")):
        with django_assert_max_num_queries(1):
            response = client.get(url)
        assert response.status_code == 200
    assert "Failover in progress." in client.get(reverse("notifications:list")).content.decode()


@pytest.mark.parametrize("size", [2, 12])
def test_page_queries_do_not_grow_with_notifications(personas, size, django_assert_max_num_queries):
    for n in range(size):
        incident = post_incident(personas.advisor, title=f"Incident {n}", districts=[personas.district_a])
        notification_update(actor=personas.advisor, notification=incident, body=f"Update {n}")
        closed = post_maintenance(personas.advisor, title=f"Maintenance {n}")
        notification_close(actor=personas.advisor, notification=closed, body="Done.")
    client = client_for(personas, "support")
    # session, user, memberships (layout), advisor check, calendar feed, the page's one query, last activity
    with django_assert_max_num_queries(8):
        assert client.get(reverse("notifications:list")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("notifications:closed")).status_code == 200


# --- calendars --------------------------------------------------------------------------------------------------


def _events(content: bytes) -> list:
    calendar = Calendar.from_ical(content)
    return list(calendar.walk("VEVENT"))


def test_add_to_calendar_is_one_event_with_the_window_and_updates(personas):
    maintenance = post_maintenance(personas.advisor, title="Database upgrade")
    notification_update(
        actor=personas.advisor,
        notification=maintenance,
        body="Extended by one hour.",
        ends_at=maintenance.ends_at + timedelta(hours=1),
    )
    maintenance.refresh_from_db()
    response = Client().get(reverse("notifications:ics", kwargs={"pk": maintenance.pk}))
    assert response["Content-Type"].startswith("text/calendar")
    [event] = _events(response.content)
    assert str(event["SUMMARY"]) == "Maintenance: Database upgrade"
    # iCalendar times are whole seconds.
    assert event.decoded("DTSTART") == maintenance.starts_at.replace(microsecond=0)
    assert event.decoded("DTEND") == maintenance.ends_at.replace(microsecond=0)
    description = str(event["DESCRIPTION"])
    assert description.index("Extended by one hour.") < description.index("unavailable during the window")
    assert int(event["SEQUENCE"]) == 1


def test_an_incident_has_no_calendar_event(personas):
    incident = post_incident(personas.advisor)
    assert Client().get(reverse("notifications:ics", kwargs={"pk": incident.pk})).status_code == 404


def test_public_feed_lists_global_maintenance_only(personas):
    post_maintenance(personas.advisor, title="Everyone's upgrade")
    post_maintenance(personas.advisor, title="Maple Grove move", districts=[personas.district_a])
    post_incident(personas.advisor)
    events = _events(Client().get(reverse("notifications:public-feed")).content)
    assert [str(e["SUMMARY"]) for e in events] == ["Maintenance: Everyone's upgrade"]


def test_contact_feed_behind_a_secret_that_the_contact_can_reset(personas):
    post_maintenance(personas.advisor, title="Everyone's upgrade")
    post_maintenance(personas.advisor, title="Maple Grove move", districts=[personas.district_a])
    post_maintenance(personas.advisor, title="Cedar Falls move", districts=[personas.district_b])
    client = client_for(personas, "support")
    client.post(reverse("notifications:reset-feed"))
    token = CalendarFeed.objects.get(user=personas.support).token
    assert token in client.get(reverse("notifications:list")).content.decode()
    feed_url = reverse("notifications:contact-feed", kwargs={"token": token})
    anonymous = Client()
    summaries = sorted(str(e["SUMMARY"]) for e in _events(anonymous.get(feed_url).content))
    assert summaries == ["Maintenance: Everyone's upgrade", "Maintenance: Maple Grove move"]
    client.post(reverse("notifications:reset-feed"))
    assert anonymous.get(feed_url).status_code == 404
    new_token = CalendarFeed.objects.get(user=personas.support).token
    assert new_token != token
    assert (
        anonymous.get(reverse("notifications:contact-feed", kwargs={"token": new_token})).status_code == 200
    )


def test_reset_is_post_only_and_for_logged_in_people(personas):
    assert Client().post(reverse("notifications:reset-feed")).status_code == 302
    assert client_for(personas, "support").get(reverse("notifications:reset-feed")).status_code == 405
    assert CalendarFeed.objects.count() == 0


# --- known issues while typing ----------------------------------------------------------------------------------


def test_known_issues_match_titles_for_the_contacts_district_only(personas):
    post_incident(personas.advisor, title="Grade Book posting errors", districts=[personas.district_a])
    post_incident(personas.advisor, title="Grades missing on report cards", districts=[personas.district_b])
    post_maintenance(personas.advisor, title="Grade Book upgrade")
    url = reverse("notifications:known-issues")
    mine = (
        client_for(personas, "support")
        .get(url, {"district": personas.district_a.pk, "subject": "teachers cannot post grades"})
        .content.decode()
    )
    assert "Grade Book posting errors" in mine
    assert "Grade Book upgrade" in mine  # global maintenance: every district's
    assert "report cards" not in mine
    # Asking for another district's notifications with its id shows nothing of it.
    forged = (
        client_for(personas, "support")
        .get(url, {"district": personas.district_b.pk, "subject": "grades report cards"})
        .content.decode()
    )
    assert "report cards" not in forged
    theirs = (
        client_for(personas, "other_district")
        .get(url, {"district": personas.district_b.pk, "subject": "grades report cards"})
        .content.decode()
    )
    assert "Grades missing on report cards" in theirs
    assert "posting errors" not in theirs


def test_known_issues_need_a_login(personas):
    assert Client().get(reverse("notifications:known-issues"), {"subject": "grades"}).status_code == 302
