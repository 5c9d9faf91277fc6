"""Log in, log out, password reset, throttling and deactivation (SPEC §1, §10)."""

import re
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from contacts.models import Membership, User
from contacts.tasks import send_password_reset
from jobs.tasks import run_job
from tests.helpers import scrub_volatile

pytestmark = pytest.mark.django_db

GENERIC_ERROR = "do not match an active account"


def login(client, email, password):
    return client.post(reverse("login"), {"username": email, "password": password})


def test_contact_logs_in_with_email_and_lands_on_home(client, personas):
    response = login(client, "SUPPORT@a.example.org", personas.password)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    page = client.get(reverse("home"))
    assert "Maple Grove Public Schools" in page.text


def test_wrong_password_shows_a_form_error_and_keeps_the_email(client, personas):
    response = login(client, "support@a.example.org", "not-the-password")
    assert response.status_code == 200
    assert GENERIC_ERROR in response.text
    assert 'value="support@a.example.org"' in response.text
    assert "_auth_user_id" not in client.session


def test_unknown_email_gets_exactly_the_same_answer_as_a_wrong_password(client, personas):
    known = login(client, "support@a.example.org", "not-the-password")
    unknown = login(client, "nobody@a.example.org", "not-the-password")
    assert unknown.status_code == known.status_code == 200
    assert scrub_volatile(unknown.text) == scrub_volatile(known.text)


def test_deactivated_user_cannot_log_in_and_learns_nothing_more(client, personas):
    response = login(client, "former@a.example.org", personas.password)
    assert response.status_code == 200
    assert GENERIC_ERROR in response.text
    assert "_auth_user_id" not in client.session


def test_deactivating_an_account_ends_its_open_session(client, personas):
    client.force_login(personas.support)
    assert client.get(reverse("home")).status_code == 200
    User.objects.filter(pk=personas.support.pk).update(is_active=False)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_removing_a_membership_takes_the_district_away_on_the_next_request(client, personas):
    client.force_login(personas.support)
    url = reverse("district-detail", args=["maple-grove"])
    assert client.get(url).status_code == 200
    Membership.objects.filter(user=personas.support).delete()
    assert client.get(url).status_code == 404
    assert "Maple Grove" not in client.get(reverse("home")).text


def test_failed_logins_are_throttled_with_a_clear_page(client, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "support@a.example.org", "wrong-password").status_code == 200
    locked = login(client, "support@a.example.org", "wrong-password")
    assert locked.status_code == 429
    assert "Too many failed log-in attempts" in locked.text
    # Even the right password is refused while the lockout lasts.
    again = login(client, "support@a.example.org", personas.password)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_ends_after_the_cool_off(client, personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            login(client, "support@a.example.org", "wrong-password")
        assert login(client, "support@a.example.org", personas.password).status_code == 429
    with time_machine.travel(start + timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1), tick=False):
        assert login(client, "support@a.example.org", personas.password).status_code == 302


def test_unknown_addresses_are_throttled_too(client, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = login(client, "nobody@a.example.org", "wrong-password")
    assert response.status_code == 429
    assert AccessAttempt.objects.filter(username="nobody@a.example.org").exists()


def test_lockout_is_per_address_not_for_the_whole_district(client, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "support@a.example.org", "wrong-password")
    # Same IP (one district behind one NAT address), another contact: still able to log in.
    assert login(client, "technical@a.example.org", personas.password).status_code == 302


def test_logout_needs_post_and_ends_the_session(client, personas):
    client.force_login(personas.support)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def ask_for_reset(client, django_capture_on_commit_callbacks, email):
    """Post the reset form; run, as a worker would, the one task the request queued. Returns the page."""
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("password_reset"), {"email": email}, follow=True)
    [queued] = callbacks
    send_password_reset(*queued.args)
    return response


def test_password_reset_mails_a_working_link_to_an_active_account(
    client, personas, django_capture_on_commit_callbacks
):
    ask_for_reset(client, django_capture_on_commit_callbacks, "Support@A.example.org")
    run_job("email-outbox")  # the e-mail outbox delivers it (in production: the task queued on commit)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["support@a.example.org"]
    assert message.subject == "Reset your Support Case Portal password"
    assert "Replies to this e-mail are not read" in message.body
    assert personas.password not in message.body
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.text
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-secret-77", "new_password2": "a-brand-new-secret-77"},
    )
    assert done.status_code == 302
    assert login(client, "support@a.example.org", "a-brand-new-secret-77").status_code == 302


@pytest.mark.parametrize("email", ["nobody@a.example.org", "former@a.example.org"])
def test_password_reset_does_not_reveal_whether_an_address_has_an_active_account(
    client, personas, django_capture_on_commit_callbacks, email
):
    response = ask_for_reset(client, django_capture_on_commit_callbacks, email)
    assert "Check your e-mail" in response.text
    run_job("email-outbox")
    assert mail.outbox == []


def test_a_redelivered_reset_task_sends_one_link_and_asking_again_sends_another(
    client, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("password_reset"), {"email": "support@a.example.org"})
        client.post(reverse("password_reset"), {"email": "support@a.example.org"})
    first, second = callbacks
    assert send_password_reset(*first.args) == 1
    assert send_password_reset(*first.args) == 0  # the same task delivered twice
    assert send_password_reset(*second.args) == 1
    run_job("email-outbox")
    assert [m.to for m in mail.outbox] == [["support@a.example.org"], ["support@a.example.org"]]


def test_password_reset_form_error_keeps_what_was_typed(client, db):
    response = client.post(reverse("password_reset"), {"email": "not-an-address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.text
    assert 'value="not-an-address"' in response.text


def test_login_records_last_login_and_last_activity(client, personas):
    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        login(client, "support@a.example.org", personas.password)
        client.get(reverse("home"))
    personas.support.refresh_from_db()
    assert personas.support.last_login == moment
    assert personas.support.last_activity_at == moment


def test_activity_is_written_at_most_once_per_resolution_window(client, personas, django_assert_num_queries):
    client.force_login(personas.support)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(reverse("home"))
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get(reverse("home"))
    personas.support.refresh_from_db()
    assert personas.support.last_activity_at == start
    later = start + timedelta(seconds=settings.LAST_ACTIVITY_RESOLUTION + 1)
    with time_machine.travel(later, tick=False):
        client.get(reverse("home"))
    personas.support.refresh_from_db()
    assert personas.support.last_activity_at == later


def test_password_change_requires_the_old_password(client, personas):
    client.force_login(personas.support)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "wrong",
            "new_password1": "another-secret-123",
            "new_password2": "another-secret-123",
        },
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.text
