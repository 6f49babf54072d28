"""Posting limits (core.throttling): comments, topics, objections and sign-ups, per user and
per address, counted in one cache for pages and API, answered 429 with how long to wait."""

import datetime
import os
import subprocess
import sys
import uuid

import pytest
import time_machine
from django.test import RequestFactory
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from communities.models import User
from core import throttling, tokens
from core.client_ip import client_ip
from deliberation import services
from deliberation.models import Comment, Topic, TopicCategory
from tests import factories

pytestmark = pytest.mark.django_db

# The start of a minute, so that a test's posts all fall in one fixed window.
T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
BODY = "楼道灯坏了三个月，晚上老人上下楼很危险，希望尽快更换并加装声控开关。"
TOO_FAST = "You are posting too fast; please wait"


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def topic(community, admin_user):
    author = factories.resident(community, actor=admin_user)
    return services.topic_raise(
        actor=author, community=community, title="更换楼道灯", body=BODY, category=TopicCategory.PUBLIC_SPACE
    )


def token_client(user, address="203.0.113.7"):
    client = APIClient(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.issue(user)}")
    return client


def page_comment(client, topic, text, address="203.0.113.7"):
    return client.post(f"/topics/{topic.pk}/comments/", {"body": text}, REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")


def api_comment(user, topic, text, address="203.0.113.7"):
    return token_client(user, address).post(f"/api/v1/topics/{topic.pk}/comments/", {"body": text}, format="json")


# Comments on the page and in the API


def test_the_eleventh_comment_in_a_minute_is_refused_on_the_page_and_the_text_is_kept(client, clock, topic, resident):
    client.force_login(resident)
    clock.shift(datetime.timedelta(seconds=15))
    assert [page_comment(client, topic, f"意见 {n}").status_code for n in range(10)] == [302] * 10
    refused = page_comment(client, topic, "第十一条：请在周末施工")
    assert refused.status_code == 429
    html = refused.content.decode()
    assert f"{TOO_FAST} 45 seconds." in html
    assert "第十一条：请在周末施工</textarea>" in html
    assert Comment.objects.filter(topic=topic).count() == 10


def test_the_eleventh_comment_in_a_minute_gets_429_json_in_the_api(clock, topic, resident):
    assert [api_comment(resident, topic, f"意见 {n}").status_code for n in range(10)] == [201] * 10
    refused = api_comment(resident, topic, "第十一条")
    assert refused.status_code == 429
    assert refused.json() == {"code": "throttled", "detail": f"{TOO_FAST} 60 seconds."}
    assert refused["Retry-After"] == "60"
    assert Comment.objects.filter(topic=topic).count() == 10


def test_pages_and_api_count_in_one_bucket(client, clock, topic, resident):
    client.force_login(resident)
    for n in range(5):
        page_comment(client, topic, f"页面 {n}")
        api_comment(resident, topic, f"接口 {n}")
    assert page_comment(client, topic, "多一条").status_code == 429
    assert api_comment(resident, topic, "多一条").status_code == 429


def test_another_user_is_not_affected(settings, clock, topic, resident, community, admin_user):
    settings.CIVIC_THROTTLES = {**settings.CIVIC_THROTTLES, "comment": "2/min"}
    neighbour = factories.resident(community, actor=admin_user)
    assert [api_comment(resident, topic, f"意见 {n}").status_code for n in range(3)] == [201, 201, 429]
    assert api_comment(neighbour, topic, "我的意见").status_code == 201


def test_the_address_bucket_catches_many_users_from_one_address(settings, clock, topic, community, admin_user):
    settings.CIVIC_THROTTLES = {**settings.CIVIC_THROTTLES, "comment": "3/min", "comment_ip": "5/min"}
    residents = [factories.resident(community, actor=admin_user) for _ in range(3)]
    statuses = [api_comment(user, topic, f"意见 {n}").status_code for user in residents for n in range(2)]
    # Five a minute from one address, though no one of them passed their own three.
    assert statuses == [201] * 5 + [429]
    assert api_comment(residents[-1], topic, "换个网络", address="198.51.100.4").status_code == 201


def test_counts_start_again_in_the_next_window(settings, clock, topic, resident):
    settings.CIVIC_THROTTLES = {**settings.CIVIC_THROTTLES, "comment": "2/min"}
    for n in range(2):
        api_comment(resident, topic, f"意见 {n}")
    clock.shift(datetime.timedelta(seconds=59))
    refused = api_comment(resident, topic, "还早")
    assert refused.status_code == 429 and refused.json()["detail"] == f"{TOO_FAST} 1 second."
    clock.shift(datetime.timedelta(seconds=1))
    assert api_comment(resident, topic, "新的一分钟").status_code == 201


def test_rates_come_from_settings(settings, clock, topic, resident):
    settings.CIVIC_THROTTLES = {**settings.CIVIC_THROTTLES, "comment": "2/hour"}
    assert [api_comment(resident, topic, f"意见 {n}").status_code for n in range(3)] == [201, 201, 429]
    assert api_comment(resident, topic, "再来").json()["detail"] == "You are posting too fast; please wait 60 minutes."


def test_reading_is_never_throttled(settings, clock, topic, resident):
    settings.CIVIC_THROTTLES = {**settings.CIVIC_THROTTLES, "comment": "1/min"}
    for n in range(2):
        api_comment(resident, topic, f"意见 {n}")
    assert token_client(resident).get(f"/api/v1/topics/{topic.pk}/comments/").status_code == 200


# Topics, objections, sign-ups


def test_topics_are_throttled_on_the_page_with_the_form_kept(settings, client, clock, community, resident):
    settings.CIVIC_THROTTLES = {**settings.CIVIC_THROTTLES, "topic": "1/hour"}
    client.force_login(resident)
    data = {"title": "更换楼道灯", "category": TopicCategory.PUBLIC_SPACE, "body": BODY}
    url = f"/communities/{community.pk}/topics/new/"
    assert client.post(url, data, HTTP_ACCEPT_LANGUAGE="en").status_code == 302
    refused = client.post(url, {**data, "title": "加装声控开关"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert TOO_FAST in refused.content.decode() and 'value="加装声控开关"' in refused.content.decode()
    assert Topic.objects.count() == 1


def test_topics_are_throttled_in_the_api(settings, clock, community, resident):
    settings.CIVIC_THROTTLES = {**settings.CIVIC_THROTTLES, "topic": "1/hour"}
    data = {"community": community.pk, "title": "更换楼道灯", "body": BODY, "category": TopicCategory.PUBLIC_SPACE}
    assert token_client(resident).post("/api/v1/topics/", data, format="json").status_code == 201
    refused = token_client(resident).post("/api/v1/topics/", data, format="json")
    assert refused.status_code == 429 and refused.json()["detail"] == f"{TOO_FAST} 60 minutes."


def test_objections_are_throttled_on_the_page_and_in_the_api(settings, client, clock, topic, resident):
    settings.CIVIC_THROTTLES = {**settings.CIVIC_THROTTLES, "objection": "2/hour"}
    client.force_login(resident)
    # The topic is not in its publicity period: the first tries reach the service, which refuses.
    first = client.post(f"/topics/{topic.pk}/objections/", {"body": "费用太高"}, HTTP_ACCEPT_LANGUAGE="en")
    assert first.status_code == 409
    api = token_client(resident)
    assert api.post(f"/api/v1/topics/{topic.pk}/objections/", {"body": "费用太高"}, format="json").status_code == 409
    refused = client.post(f"/topics/{topic.pk}/objections/", {"body": "还是太高"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429 and TOO_FAST in refused.content.decode()
    assert api.post(f"/api/v1/topics/{topic.pk}/objections/", {"body": "x"}, format="json").status_code == 429


def signup_data(community, n):
    return {
        "display_name": f"居民{n}",
        "phone": f"1390000{n:04d}",
        "email": "",
        "community": community.pk,
        "password1": "Lamp-post-2026!",
        "password2": "Lamp-post-2026!",
        "accept_terms": "on",
    }


def test_sign_ups_are_throttled_per_address_on_the_page(settings, client, clock, community):
    settings.CIVIC_THROTTLES = {**settings.CIVIC_THROTTLES, "signup_ip": "2/hour"}
    for n in range(2):
        assert client.post("/accounts/signup/", signup_data(community, n)).status_code == 302
        client.logout()
    refused = client.post("/accounts/signup/", signup_data(community, 2), HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert TOO_FAST in refused.content.decode() and 'value="居民2"' in refused.content.decode()
    assert not User.objects.filter(phone="13900000002").exists()


def test_sign_ups_are_throttled_per_address_in_the_api(settings, clock, community):
    settings.CIVIC_THROTTLES = {**settings.CIVIC_THROTTLES, "signup_ip": "1/hour"}
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    payload = {"password": "Lamp-post-2026!", "community": community.pk, "accept_terms": True}
    assert api.post("/api/v1/auth/signup/", {**payload, "phone": "13900000001"}, format="json").status_code == 202
    refused = api.post("/api/v1/auth/signup/", {**payload, "phone": "13900000002"}, format="json")
    assert refused.status_code == 429 and TOO_FAST in refused.json()["detail"]
    other = APIClient(REMOTE_ADDR="198.51.100.4")
    assert other.post("/api/v1/auth/signup/", {**payload, "phone": "13900000003"}, format="json").status_code == 202


def test_the_login_page_is_throttled_per_address_without_checking_the_password(settings, client, clock):
    settings.CIVIC_THROTTLES = {**settings.CIVIC_THROTTLES, "login_ip": "3/min"}
    users = [factories.UserFactory() for _ in range(4)]
    for user in users[:3]:
        assert client.post("/accounts/login/", {"username": user.username, "password": "wrong"}).status_code == 400
    refused = client.post(
        "/accounts/login/", {"username": users[3].username, "password": factories.PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 429
    assert "Too many logins from your connection; please wait 60 seconds." in refused.content.decode()
    assert f'value="{users[3].username}"' in refused.content.decode()
    assert "_auth_user_id" not in client.session


# The client's address


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.9", "10.0.0.2"),
        (1, "", "10.0.0.2"),
        (1, "198.51.100.9", "198.51.100.9"),
        (1, "6.6.6.6, 198.51.100.9", "198.51.100.9"),
        (2, "6.6.6.6, 198.51.100.9, 10.0.0.1", "198.51.100.9"),
        (2, "198.51.100.9", "10.0.0.2"),
    ],
)
def test_the_client_address_is_the_one_the_trusted_proxies_saw(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_drf_counts_proxies_the_same_way(settings):
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.TRUSTED_PROXY_COUNT
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9")
    throttle = SimpleRateThrottle.__new__(SimpleRateThrottle)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("rest_framework.throttling.api_settings.NUM_PROXIES", 1)
        assert throttle.get_ident(request) == client_ip(request)


def test_forged_forwarded_headers_do_not_escape_the_limit_behind_a_proxy(settings, clock, topic, community, admin_user):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.CIVIC_THROTTLES = {**settings.CIVIC_THROTTLES, "comment_ip": "3/min"}
    residents = [factories.resident(community, actor=admin_user) for _ in range(4)]
    statuses = []
    for n, user in enumerate(residents):
        client = token_client(user, address="10.0.0.2")
        client.credentials(
            HTTP_AUTHORIZATION=client._credentials["HTTP_AUTHORIZATION"],
            HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, 198.51.100.9",
        )
        statuses.append(
            client.post(f"/api/v1/topics/{topic.pk}/comments/", {"body": "意见"}, format="json").status_code
        )
    assert statuses == [201, 201, 201, 429]


def test_sms_login_limits_count_the_forwarded_address(settings, client, tmp_path):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.SMS_BACKEND = "notifications.sms.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path)
    settings.SMS_CODE_PER_ADDRESS_HOURLY = 1
    api = APIClient(REMOTE_ADDR="10.0.0.2")
    first = api.post("/api/v1/auth/sms-code/", {"phone": "13900000001"}, HTTP_X_FORWARDED_FOR="198.51.100.9")
    again = api.post("/api/v1/auth/sms-code/", {"phone": "13900000002"}, HTTP_X_FORWARDED_FOR="198.51.100.9")
    neighbour = api.post("/api/v1/auth/sms-code/", {"phone": "13900000003"}, HTTP_X_FORWARDED_FOR="198.51.100.10")
    assert (first.status_code, again.status_code, neighbour.status_code) == (202, 429, 202)


# Shared across processes

RACER = """
import sys
import django
from django.conf import settings
django.setup()
settings.CACHES["default"]["LOCATION"] = sys.argv[1]
from core import throttling
throttling.cache.get("warm-up")
print("ready", flush=True)
sys.stdin.readline()
print(sum(throttling._hit("comment", sys.argv[2], "100/day") is None for _ in range(200)))
"""


@pytest.mark.redis
def test_two_processes_share_one_count_and_never_both_take_the_last_place(settings):
    """Two web processes, each with its own connection to Redis, race 400 posts for 100 places."""
    ident = f"user:race-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "civic.settings",
        "SECRET_KEY": "racer",
        "REDIS_URL": settings.REDIS_URL,
    }
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, settings.CACHES["default"]["LOCATION"], ident],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=settings.BASE_DIR,
            text=True,
        )
        for _ in range(2)
    ]
    for racer in racers:
        assert racer.stdout.readline().strip() == "ready"
    for racer in racers:
        racer.stdin.write("go\n")
        racer.stdin.flush()
    allowed = [int(racer.communicate(timeout=60)[0]) for racer in racers]
    assert sum(allowed) == 100
    # And this process, a third client, sees the same count.
    assert throttling._hit("comment", ident, "100/day") is not None
