"""Logging in (and signing up) with a phone number and an SMS code, in the API and on the site."""

import datetime
import json
import re

import pytest
from django.core.cache.backends.redis import RedisCache
from django.urls import reverse
from django.utils import timezone

from civic import sms_login
from civic.models import SmsCode
from communities.models import Residency, User
from tests import factories

pytestmark = pytest.mark.django_db

CODE_URL = "/api/v1/auth/sms-code/"
LOGIN_URL = "/api/v1/auth/sms-login/"


@pytest.fixture(autouse=True)
def _sms_files(settings, tmp_path):
    settings.SMS_BACKEND = "notifications.sms.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    return tmp_path / "sms"


def sent_code(folder, phone):
    """The code in the newest message the file backend wrote to `phone`."""
    messages = [json.loads(path.read_text(encoding="utf-8")) for path in folder.rglob("*.txt")]
    mine = sorted((m for m in messages if m["to"] == phone), key=lambda m: m["at"])
    assert mine, f"no SMS to {phone}"
    return re.search(r"\b(\d{6})\b", mine[-1]["text"]).group(1)


def ask(api_client, phone, **extra):
    return api_client.post(CODE_URL, {"phone": phone}, format="json", **extra)


def test_known_and_unknown_numbers_get_the_same_answer(api_client, _sms_files):
    factories.UserFactory(phone="13900000001")
    known = ask(api_client, "13900000001")
    unknown = ask(api_client, "13900000002")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert sent_code(_sms_files, "13900000001") and sent_code(_sms_files, "13900000002")


def test_codes_are_stored_hashed(api_client, _sms_files):
    ask(api_client, "13900000003")
    code = sent_code(_sms_files, "13900000003")
    record = SmsCode.objects.get()
    assert code not in record.code_hash and len(record.code_hash) == 64
    assert record.expires_at - record.created_at == datetime.timedelta(minutes=5)


def test_log_in_end_to_end_and_the_token_works(api_client, _sms_files):
    user = factories.UserFactory(phone="13900000004")
    ask(api_client, "13900000004")
    response = api_client.post(
        LOGIN_URL, {"phone": "139 0000 0004", "code": sent_code(_sms_files, "13900000004")}, format="json"
    )
    assert response.status_code == 200 and response.json()["created"] is False
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api_client.get("/api/v1/me/").json()["username"] == user.username
    # A code logs in once.
    again = api_client.post(
        LOGIN_URL, {"phone": "13900000004", "code": sent_code(_sms_files, "13900000004")}, format="json"
    )
    assert again.status_code == 400


def test_sign_up_by_the_same_path(api_client, _sms_files, community):
    ask(api_client, "13900000005")
    code = sent_code(_sms_files, "13900000005")
    missing = api_client.post(LOGIN_URL, {"phone": "13900000005", "code": code}, format="json")
    assert missing.status_code == 400 and "community" in missing.json()
    assert not User.objects.filter(phone="13900000005").exists()
    nameless = api_client.post(
        LOGIN_URL, {"phone": "13900000005", "code": code, "community": community.pk}, format="json"
    )
    assert nameless.status_code == 400 and "display_name" in nameless.json()
    unconsenting = api_client.post(
        LOGIN_URL,
        {"phone": "13900000005", "code": code, "community": community.pk, "display_name": "新居民"},
        format="json",
    )
    assert unconsenting.status_code == 400 and "accept_terms" in unconsenting.json()
    response = api_client.post(
        LOGIN_URL,
        {
            "phone": "13900000005",
            "code": code,
            "community": community.pk,
            "display_name": "新居民",
            "accept_terms": True,
        },
        format="json",
    )
    assert response.status_code == 200 and response.json()["created"] is True
    user = User.objects.get(phone="13900000005")
    assert not user.has_usable_password() and user.display_name == "新居民"
    assert user.terms_version and user.privacy_version and user.consented_at
    assert Residency.objects.get(user=user).status == Residency.Status.PENDING


def test_wrong_code_is_400_and_the_sixth_try_is_429(api_client, _sms_files):
    factories.UserFactory(phone="13900000006")
    ask(api_client, "13900000006")
    code = sent_code(_sms_files, "13900000006")
    wrong = "000000" if code != "000000" else "111111"
    for _left in (4, 3, 2, 1, 0):
        response = api_client.post(LOGIN_URL, {"phone": "13900000006", "code": wrong}, format="json")
        assert response.status_code == 400
        assert "wrong" in str(response.json()["fields"]["code"]).lower() or response.json()["fields"]["code"]
        assert response.json()["code"] == "invalid"
    sixth = api_client.post(LOGIN_URL, {"phone": "13900000006", "code": code}, format="json")
    assert sixth.status_code == 429 and sixth.json()["detail"]
    assert SmsCode.objects.get().attempts == 5 and SmsCode.objects.get().used_at is None


def test_expired_code_is_400(api_client, _sms_files, time_machine):
    factories.UserFactory(phone="13900000007")
    ask(api_client, "13900000007")
    code = sent_code(_sms_files, "13900000007")
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=5, seconds=1))
    response = api_client.post(
        LOGIN_URL, {"phone": "13900000007", "code": code}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400 and "expired" in str(response.json()["fields"]["code"])
    assert "token" not in response.json()


def test_resend_within_60_seconds_is_429_and_sends_nothing(api_client, _sms_files, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    assert ask(api_client, "13900000008").status_code == 202
    again = ask(api_client, "13900000008")
    assert again.status_code == 429 and int(again["Retry-After"]) <= 60
    assert "60" in again.json()["detail"] or "second" in again.json()["detail"]
    assert SmsCode.objects.count() == 1 and len(list(_sms_files.rglob("*.txt"))) == 1


def test_a_new_code_replaces_the_old_one(api_client, _sms_files, settings):
    factories.UserFactory(phone="13900000009")
    ask(api_client, "13900000009")
    first = sent_code(_sms_files, "13900000009")
    from django.core.cache import cache

    cache.delete("smscode:resend:13900000009")  # as if a minute had passed
    ask(api_client, "13900000009")
    second = sent_code(_sms_files, "13900000009")
    if first != second:
        assert api_client.post(LOGIN_URL, {"phone": "13900000009", "code": first}, format="json").status_code == 400
    assert api_client.post(LOGIN_URL, {"phone": "13900000009", "code": second}, format="json").status_code == 200


def test_throttled_per_number_and_per_address(api_client, _sms_files, settings):
    from django.core.cache import cache

    settings.SMS_CODE_PER_NUMBER_HOURLY = 2
    settings.SMS_CODE_PER_ADDRESS_HOURLY = 4
    for _attempt in range(3):
        cache.delete("smscode:resend:13900000010")
        response = ask(api_client, "13900000010")
    assert response.status_code == 429  # the third code to one number within the hour
    assert ask(api_client, "13900000011").status_code == 202
    assert ask(api_client, "13900000012").status_code == 429  # the fifth request from one address
    other = ask(api_client, "13900000013", REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 202


@pytest.mark.parametrize("phone", ["", "12345", "23900000000", "1390000000a"])
def test_malformed_numbers_are_400(api_client, phone):
    response = ask(api_client, phone)
    assert response.status_code == 400 and "phone" in response.json()
    assert not SmsCode.objects.exists()


@pytest.mark.parametrize("code", ["", "12345", "abcdef", "1234567"])
def test_malformed_codes_are_400(api_client, code):
    response = api_client.post(LOGIN_URL, {"phone": "13900000014", "code": code}, format="json")
    assert response.status_code == 400


def test_disabled_account_cannot_log_in(api_client, _sms_files):
    factories.UserFactory(phone="13900000015", is_active=False)
    ask(api_client, "13900000015")
    response = api_client.post(
        LOGIN_URL, {"phone": "13900000015", "code": sent_code(_sms_files, "13900000015")}, format="json"
    )
    assert response.status_code == 400


@pytest.mark.redis
def test_throttle_counters_live_in_redis(api_client, _sms_files):
    from django.core.cache import cache, caches

    ask(api_client, "13900000016")
    assert isinstance(caches["default"], RedisCache)
    assert cache.get("smscode:resend:13900000016") is not None


# --- The page -----------------------------------------------------------------------------


def test_page_logs_in_and_goes_back_to_next(client, _sms_files, community):
    user = factories.resident(community, phone="13900000020")
    target = community.get_absolute_url()
    page = client.get(reverse("sms-login"), {"next": target})
    assert page.status_code == 200
    response = client.post(reverse("sms-login"), {"action": "send", "phone": "13900000020", "next": target})
    assert response.status_code == 302
    step_two = client.get(response["Location"])
    assert "139****0020" in step_two.content.decode()
    wrong = client.post(reverse("sms-login"), {"action": "login", "code": "99999x", "next": target})
    assert wrong.status_code == 400 and 'role="alert"' in wrong.content.decode()
    code = sent_code(_sms_files, "13900000020")
    response = client.post(reverse("sms-login"), {"action": "login", "code": code, "next": target})
    assert response.status_code == 302 and response["Location"] == target
    assert client.get(reverse("profile")).context["user"] == user


def test_page_signs_up_a_new_number(client, _sms_files, community):
    client.post(reverse("sms-login"), {"action": "send", "phone": "13900000021"})
    code = sent_code(_sms_files, "13900000021")
    needs = client.post(reverse("sms-login"), {"action": "login", "code": code})
    assert needs.status_code == 400 and "aria-invalid" in needs.content.decode()
    response = client.post(
        reverse("sms-login"),
        {"action": "login", "code": code, "community": community.pk, "display_name": "李阿姨", "accept_terms": "on"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("profile")
    assert User.objects.get(phone="13900000021").display_name == "李阿姨"


def test_page_resend_within_a_minute_says_how_long_to_wait(client, _sms_files):
    client.post(reverse("sms-login"), {"action": "send", "phone": "13900000022"})
    response = client.post(reverse("sms-login"), {"action": "resend"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429 and "second" in response.content.decode()


def test_page_refuses_an_outside_next(client, _sms_files):
    factories.UserFactory(phone="13900000023")
    client.post(reverse("sms-login"), {"action": "send", "phone": "13900000023"})
    code = sent_code(_sms_files, "13900000023")
    response = client.post(reverse("sms-login"), {"action": "login", "code": code, "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response["Location"]


def test_password_login_page_offers_the_sms_login_with_next(client):
    html = client.get(reverse("login"), {"next": "/meetings/3/"}).content.decode()
    assert f"{reverse('sms-login')}?next=/meetings/3/" in html


def test_sms_login_service_refuses_without_a_code_sent():
    with pytest.raises(Exception) as raised:
        sms_login.sms_login(phone="13900000024", code="123456")
    assert "code" in str(raised.value)
