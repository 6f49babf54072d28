"""API tokens (issue 13, finding 2): per device, stored hashed, ended by idleness, logout,
logout-all and any password change or reset, whatever issued them."""

import datetime
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from core import tokens
from tests import factories
from tests.smsbox import sent_code

pytestmark = pytest.mark.django_db

API = "/api/v1/"
PASSWORD = factories.PASSWORD


def log_in(user):
    response = APIClient().post(f"{API}auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"token"}
    return response.json()["token"]


def me(token):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get(f"{API}me/")


def works(token):
    response = me(token)
    assert response.status_code in (200, 401), response.content
    return response.status_code == 200


@pytest.fixture
def person(db):
    return factories.UserFactory()


def test_each_login_is_a_device_of_its_own(person):
    phone, laptop = log_in(person), log_in(person)
    assert phone != laptop
    assert works(phone) and works(laptop)
    assert AuthToken.objects.filter(user=person).count() == 2


def test_tokens_are_stored_hashed(person):
    token = log_in(person)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert token not in stored
    assert len(AuthToken.objects.get(user=person).digest) == 128


def test_a_token_ends_after_the_idle_days_without_use(person, time_machine, settings):
    time_machine.move_to(timezone.now(), tick=False)
    token = log_in(person)
    time_machine.shift(datetime.timedelta(days=20))
    assert works(token)  # each use pushes the expiry API_TOKEN_IDLE_DAYS ahead
    time_machine.shift(datetime.timedelta(days=29))
    assert works(token)
    time_machine.shift(datetime.timedelta(days=31))
    assert not works(token)
    assert not AuthToken.objects.filter(user=person).exists()


def test_the_idle_days_come_from_the_setting():
    from django.conf import settings
    from knox.settings import knox_settings

    assert settings.API_TOKEN_IDLE_DAYS == 30
    assert datetime.timedelta(days=30) == knox_settings.TOKEN_TTL
    assert knox_settings.AUTO_REFRESH is True
    assert knox_settings.AUTH_HEADER_PREFIX == "Token"


def test_logout_ends_the_callers_token_only(person):
    phone, laptop = log_in(person), log_in(person)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {phone}")
    response = client.post(f"{API}auth/logout/")
    assert response.status_code == 204
    assert not works(phone) and works(laptop)
    assert client.post(f"{API}auth/logout/").status_code == 401


def test_logout_all_ends_every_token(person):
    phone, laptop = log_in(person), log_in(person)
    other = log_in(factories.UserFactory())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {phone}")
    assert client.post(f"{API}auth/logout-all/").status_code == 204
    assert not works(phone) and not works(laptop)
    assert works(other)


def test_logout_all_from_a_browser_session(client, person):
    token = log_in(person)
    client.force_login(person)
    assert client.post(f"{API}auth/logout-all/").status_code == 204
    assert not works(token)


def test_logout_without_a_token_is_401(api_client):
    assert api_client.post(f"{API}auth/logout/").status_code == 401
    assert api_client.post(f"{API}auth/logout-all/").status_code in (401, 403)


def test_a_password_change_on_the_site_ends_every_token(client, person):
    phone, laptop = log_in(person), log_in(person)
    client.force_login(person)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "quiet-harbour-77", "new_password2": "quiet-harbour-77"},
    )
    assert response.status_code == 302
    assert not works(phone) and not works(laptop)


def test_a_password_reset_ends_every_token(client, mailoutbox):
    person = factories.UserFactory(email="reset@example.cn")
    token = log_in(person)
    client.post(reverse("password_reset"), {"email": "reset@example.cn"})
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mailoutbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "quiet-harbour-77", "new_password2": "quiet-harbour-77"}
    )
    assert response["Location"] == reverse("password_reset_complete")
    assert not works(token)


def test_a_password_set_in_the_admin_ends_every_token(client, admin_user, person):
    token = log_in(person)
    client.force_login(admin_user)
    url = reverse("admin:auth_user_password_change", args=[person.pk])
    response = client.post(
        url, {"password1": "quiet-harbour-77", "password2": "quiet-harbour-77", "usable_password": "true"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not works(token)


def test_sms_login_tokens_end_with_a_password_change(settings, tmp_path, person):
    settings.SMS_BACKEND = "notifications.sms.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    client = APIClient()
    assert client.post(f"{API}auth/sms-code/", {"phone": person.phone}, format="json").status_code == 202
    message = json.loads(next((tmp_path / "sms").rglob("*.txt")).read_text(encoding="utf-8"))
    code = re.search(r"\b(\d{6})\b", message["text"]).group(1)
    response = client.post(f"{API}auth/sms-login/", {"phone": person.phone, "code": code}, format="json")
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert works(token)
    person.set_password("quiet-harbour-77")
    person.save()
    assert not works(token)


def test_a_hash_upgrade_at_login_ends_nothing(person, settings):
    token = log_in(person)
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    person.refresh_from_db()
    assert person.check_password(PASSWORD)  # rehashes with PBKDF2 and saves
    person.refresh_from_db()
    assert person.password.startswith("pbkdf2_")
    assert works(token)


def test_other_saves_end_nothing(person):
    token = log_in(person)
    person = get_user_model().objects.get(pk=person.pk)
    person.display_name = "新名字"
    person.save()
    assert works(token)


def test_a_sign_up_finished_with_its_sms_code_answers_a_working_token(api_client, community, sms_box):
    phone = "13912340000"
    response = api_client.post(
        f"{API}auth/signup/",
        {
            "phone": phone,
            "password": "quiet-harbour-77",
            "community": community.pk,
            "display_name": "新居民",
            "accept_terms": True,
        },
        format="json",
    )
    assert response.status_code == 202, response.content
    response = api_client.post(
        f"{API}auth/sms-login/", {"phone": phone, "code": sent_code(sms_box, phone)}, format="json"
    )
    assert response.status_code == 200, response.content
    assert works(response.json()["token"])


def test_a_token_that_is_not_text_is_401(person):
    client = APIClient()
    response = client.get(f"{API}me/", HTTP_AUTHORIZATION="Token \xff\xfe")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")


def test_at_most_the_limit_of_devices(person, settings, time_machine):
    settings.API_TOKEN_LIMIT = 3
    time_machine.move_to(timezone.now(), tick=False)
    keys = []
    for _ in range(4):
        keys.append(log_in(person))
        time_machine.shift(datetime.timedelta(minutes=5))
    assert AuthToken.objects.filter(user=person).count() == 3
    assert not works(keys[0]) and all(works(key) for key in keys[1:])


def test_beat_prunes_idle_tokens(person, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    log_in(person)
    time_machine.shift(datetime.timedelta(days=31))
    from django.conf import settings

    assert "civic.prune_tokens" in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tokens.prune() == 1
    assert not AuthToken.objects.exists()


def test_staff_cannot_see_or_mint_tokens_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/knox/authtoken/").status_code == 404
