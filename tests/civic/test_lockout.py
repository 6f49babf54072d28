"""Login lockout (django-axes): five wrong passwords for one account from one address pause
password logins for that pair on the site, in the admin and in the API, until the cool-off ends."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
TOKEN_URL = "/api/v1/auth/token/"
LOCKED = "Too many wrong passwords"


def site_login(client, username, password, address="203.0.113.7"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en"
    )


def fail(client, username, times=5, address="203.0.113.7"):
    return [site_login(client, username, "wrong-password", address).status_code for _ in range(times)]


def test_five_wrong_passwords_then_even_the_right_one_is_refused_until_the_cool_off_ends(client, settings):
    user = factories.UserFactory()
    with time_machine.travel(T0, tick=False) as clock:
        # The fifth wrong password is the one that locks.
        assert fail(client, user.username) == [400, 400, 400, 400, 429]
        refused = site_login(client, user.username, factories.PASSWORD)
        assert refused.status_code == 429
        assert LOCKED in refused.content.decode()
        assert "15 minutes" in refused.content.decode()
        assert refused["Retry-After"] == str(15 * 60)
        assert "_auth_user_id" not in client.session

        clock.shift(settings.AXES_COOLOFF_TIME - datetime.timedelta(seconds=1))
        assert site_login(client, user.username, factories.PASSWORD).status_code == 429

        clock.shift(datetime.timedelta(seconds=2))
        assert site_login(client, user.username, factories.PASSWORD).status_code == 302
        assert client.session["_auth_user_id"] == str(user.pk)


def test_the_lockout_page_is_translated(client):
    user = factories.UserFactory()
    fail(client, user.username)
    response = client.post(
        "/accounts/login/",
        {"username": user.username, "password": factories.PASSWORD},
        REMOTE_ADDR="203.0.113.7",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 429
    assert "密码" in response.content.decode()
    assert LOCKED not in response.content.decode()


def test_another_user_from_the_same_address_is_not_locked(client):
    victim, neighbour = factories.UserFactory(), factories.UserFactory()
    fail(client, victim.username)
    assert site_login(client, neighbour.username, factories.PASSWORD).status_code == 302


def test_the_same_user_from_another_address_is_not_locked(client):
    user = factories.UserFactory()
    fail(client, user.username, address="203.0.113.7")
    assert site_login(client, user.username, factories.PASSWORD, address="198.51.100.4").status_code == 302


def test_username_phone_and_email_count_as_one_account(client):
    user = factories.UserFactory()
    for identifier in (user.username, user.phone, f"+86{user.phone}", user.email):
        site_login(client, identifier, "wrong-password")
    assert site_login(client, user.email, "wrong-password").status_code == 429
    assert site_login(client, user.username, factories.PASSWORD).status_code == 429


def test_fewer_failures_than_the_limit_are_forgotten_after_a_login(client):
    user = factories.UserFactory()
    assert fail(client, user.username, times=4) == [400] * 4
    assert site_login(client, user.username, factories.PASSWORD).status_code == 302
    client.logout()
    assert fail(client, user.username, times=4) == [400] * 4


def test_limit_and_cool_off_come_from_settings(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=1)
    user = factories.UserFactory()
    with time_machine.travel(T0, tick=False) as clock:
        assert fail(client, user.username, times=2) == [400, 429]
        assert "1 minute," in site_login(client, user.username, factories.PASSWORD).content.decode()
        clock.shift(datetime.timedelta(seconds=61))
        assert site_login(client, user.username, factories.PASSWORD).status_code == 302


def test_the_admin_login_is_locked_too(client):
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    for _ in range(5):
        client.post(
            "/admin/login/?next=/admin/", {"username": admin.username, "password": "wrong"}, REMOTE_ADDR="203.0.113.7"
        )
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": admin.username, "password": factories.PASSWORD},
        REMOTE_ADDR="203.0.113.7",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_api_answers_429_with_json_detail(api_client):
    user = factories.UserFactory()
    wrong = {"username": user.username, "password": "wrong-password"}
    statuses = [api_client.post(TOKEN_URL, wrong, format="json").status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429]
    response = api_client.post(
        TOKEN_URL, {"username": user.username, "password": factories.PASSWORD}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 429
    assert LOCKED in response.json()["detail"]
    assert response["Retry-After"] == str(15 * 60)
    assert "token" not in response.json()


def test_the_api_and_the_site_share_the_count(api_client, client):
    user = factories.UserFactory()
    for _ in range(3):
        site_login(client, user.username, "wrong-password", address="127.0.0.1")
    for _ in range(2):
        api_client.post(TOKEN_URL, {"username": user.username, "password": "wrong"}, format="json")
    response = api_client.post(TOKEN_URL, {"username": user.username, "password": factories.PASSWORD}, format="json")
    assert response.status_code == 429


def test_behind_a_proxy_the_forwarded_address_is_counted(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    user = factories.UserFactory()
    for _ in range(5):
        client.post(
            "/accounts/login/",
            {"username": user.username, "password": "wrong"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
    # Another client behind the same proxy is a different address.
    other = client.post(
        "/accounts/login/",
        {"username": user.username, "password": factories.PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.4",
    )
    assert other.status_code == 302


def test_a_lockout_is_recorded_for_staff_to_see(client):
    from axes.models import AccessAttempt

    user = factories.UserFactory()
    fail(client, user.username)
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (user.username, "203.0.113.7", 5)
    assert "wrong-password" not in attempt.post_data
    assert attempt.attempt_time <= timezone.now()
