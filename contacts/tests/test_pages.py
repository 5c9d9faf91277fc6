"""The pages a contact sees: home, a district's page, the district switcher."""

import re

import pytest
from django.urls import reverse

from contacts.models import District, Role, User
from contacts.tests.factories import DistrictFactory, MembershipFactory, UserFactory
from tests.helpers import scrub_volatile

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_home_lists_the_contacts_districts_with_their_role(client, personas):
    client.force_login(personas.read_only)
    page = client.get(reverse("home")).text
    assert "Maple Grove Public Schools" in page
    assert "Read-only contact" in page
    assert "Cedar Falls" not in page
    assert page.count("<h1") == 1


def test_home_explains_an_account_without_districts(client, db):
    client.force_login(UserFactory())
    assert "Your account is not linked to a district" in client.get(reverse("home")).text


def test_advisor_home_points_to_the_workbench(client, personas):
    client.force_login(personas.advisor)
    page = client.get(reverse("home")).text
    assert reverse("admin:index") in page
    assert "Open the workbench" in page


def test_district_page_lists_its_active_contacts(client, personas):
    client.force_login(personas.support)
    page = client.get(reverse("district-detail", args=["maple-grove"])).text
    for email in ["support@a.example.org", "technical@a.example.org", "readonly@a.example.org"]:
        assert email in page
    assert "former@a.example.org" not in page  # deactivated
    assert "contact@b.example.org" not in page


def test_district_page_shows_staffing_advice(client, personas):
    client.force_login(personas.support)
    page = client.get(reverse("district-detail", args=["maple-grove"])).text
    assert "Staffing differs from our recommendation" in page
    assert "1 support contact (2 recommended)" in page


def test_another_districts_page_is_a_404_identical_to_a_missing_one(client, personas):
    client.force_login(personas.other_district)
    foreign = client.get(reverse("district-detail", args=["maple-grove"]))
    missing = client.get(reverse("district-detail", args=["no-such-district"]))
    assert foreign.status_code == missing.status_code == 404
    assert scrub_volatile(foreign.text) == scrub_volatile(missing.text)
    assert "Maple Grove" not in foreign.text


def test_advisor_can_open_any_district_page(client, personas):
    client.force_login(personas.advisor)
    assert client.get(reverse("district-detail", args=["cedar-falls"])).status_code == 200


def test_switcher_only_shows_for_contacts_with_several_districts(client, personas):
    client.force_login(personas.support)
    assert 'id="district-switcher"' not in client.get(reverse("home")).text
    MembershipFactory(user=personas.support, district=personas.district_b, role=Role.READ_ONLY)
    page = client.get(reverse("home")).text
    assert 'id="district-switcher"' in page
    assert "All my districts" in page


def test_switching_district_is_remembered_as_the_default(client, personas):
    MembershipFactory(user=personas.support, district=personas.district_b, role=Role.READ_ONLY)
    client.force_login(personas.support)
    response = client.post(
        reverse("switch-district"), {"district": "cedar-falls", "next": "/districts/cedar-falls/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/districts/cedar-falls/"
    assert User.objects.get(pk=personas.support.pk).last_district == personas.district_b
    page = client.get(reverse("home")).text
    assert '<option value="cedar-falls" selected>' in page
    client.post(reverse("switch-district"), {"district": "all"})
    assert '<option value="all" selected>' in client.get(reverse("home")).text


def test_switching_to_someone_elses_district_is_refused(client, personas):
    MembershipFactory(user=personas.support, district=DistrictFactory(slug="riverbend"), role=Role.SUPPORT)
    client.force_login(personas.support)
    response = client.post(reverse("switch-district"), {"district": "cedar-falls"}, follow=True)
    assert "That district is not one of yours." in response.text
    assert User.objects.get(pk=personas.support.pk).last_district is None


def test_switcher_never_redirects_off_site(client, personas):
    client.force_login(personas.support)
    response = client.post(
        reverse("switch-district"), {"district": "all", "next": "https://evil.example.com/"}
    )
    assert response["Location"] == reverse("home")


def test_switch_requires_post(client, personas):
    client.force_login(personas.support)
    assert client.get(reverse("switch-district")).status_code == 405


def test_pages_send_a_content_security_policy_and_have_no_inline_script(client, personas):
    client.force_login(personas.support)
    for url in [
        reverse("home"),
        reverse("district-detail", args=["maple-grove"]),
        reverse("password_change"),
    ]:
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        scripts = re.findall(r"<script\b[^>]*>", response.text)
        assert scripts, "htmx is loaded"
        assert all("src=" in tag for tag in scripts), scripts
        assert response["X-Content-Type-Options"] == "nosniff"


def test_htmx_is_served_from_our_own_static_files(client, personas):
    client.force_login(personas.support)
    assert re.search(r'<script src="/static/django_htmx/htmx-2\.min\.js"', client.get(reverse("home")).text)


@pytest.mark.parametrize("extra", [0, 25])
def test_home_and_district_page_queries_do_not_grow_with_contacts(
    client, personas, django_assert_max_num_queries, extra
):
    for _ in range(extra):
        other = DistrictFactory()
        MembershipFactory(user=personas.support, district=other, role=Role.READ_ONLY)
        MembershipFactory(district=personas.district_a, role=Role.READ_ONLY)
    client.force_login(personas.support)
    # Each page also asks for the status banner's open notifications (one indexed query).
    with django_assert_max_num_queries(7):
        assert client.get(reverse("home")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("district-detail", args=["maple-grove"])).status_code == 200


def test_error_pages_render_without_a_500(client, db):
    assert client.get("/no/such/page/").status_code == 404


def test_health_check_reports_database_and_redis(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_the_district_page_and_the_advisors_district_list_count_the_same_contacts(client, personas):
    """Switched-off memberships and deactivated accounts count nowhere: the page and the admin ask the same
    SQL count."""
    district = personas.district_a
    MembershipFactory(district=district, role=Role.SUPPORT)  # a second support contact: as recommended
    MembershipFactory(district=district, role=Role.SUPPORT, is_active=False)
    MembershipFactory(district=district, role=Role.SUPPORT, user=UserFactory(is_active=False))
    counted = District.objects.with_staffing().get(pk=district.pk)
    client.force_login(personas.support)
    page = client.get(reverse("district-detail", args=["maple-grove"])).text
    assert (counted.support_count, counted.technical_count, counted.staffing_deviates) == (2, 1, False)
    assert "Staffing differs from our recommendation" not in page
    assert "5 active contacts" in page
