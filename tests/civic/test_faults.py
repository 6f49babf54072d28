"""Faults against the real services: PostgreSQL dropping a request's connection, PostgreSQL out
of reach, and Redis (cache, rate limits, broker) going down and coming back.

The database drills kill the request's own PostgreSQL backend between two of its writes and
check that the answer is the clean 503 and that none of the request's rows remain. The Redis
drills run a redis-server of their own on a free port (never the shared one) and kill it.
"""

import socket
import subprocess
import time

import pytest
import redis
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from core.cache import ResilientRedisCache
from deliberation import services, trail
from deliberation.models import Comment, TopicCategory, TrailEntry
from deliberation.workflow import Step
from notifications.models import Follow, Notice
from tests import factories

BODY = "楼道灯坏了三个月，晚上老人上下楼很危险，希望尽快更换并加装声控开关，物业和居委会一起商量费用。"
UNAVAILABLE = "The service is briefly unavailable. Please try again in a minute."


@pytest.fixture
def place(db, community, admin_user):
    staff = factories.staff_member(community, actor=admin_user)
    resident = factories.resident(community, actor=admin_user)
    topic = services.topic_raise(
        actor=resident, community=community, title="楼道灯", body=BODY, category=TopicCategory.values[0]
    )
    return community, staff, resident, topic


def english(user=None):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# PostgreSQL
@pytest.fixture
def drop_after_first_trail_write(monkeypatch):
    """The request's PostgreSQL backend is terminated, from another connection, right after it
    writes its trail entry and before the rest of its writes."""
    append = trail.append

    def append_then_drop(**kwargs):
        entry = append(**kwargs)
        pid = connection.connection.info.backend_pid
        other = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        finally:
            other.close()
        return entry

    monkeypatch.setattr(trail, "append", append_then_drop)


def assert_clean_503_page(response):
    assert response.status_code == 503
    assert response["Retry-After"]
    page = response.content.decode()
    assert UNAVAILABLE in page
    assert "Traceback" not in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_comment_whose_connection_drops_answers_503_and_leaves_nothing(place, drop_after_first_trail_write):
    community, staff, resident, topic = place
    trail_before = TrailEntry.objects.filter(topic=topic).count()

    page = english(resident).post(f"/topics/{topic.pk}/comments/", {"body": "同意，尽快修。"}, format="multipart")
    assert_clean_503_page(page)
    api = english(resident).post(f"/api/v1/topics/{topic.pk}/comments/", {"body": "同意。"}, format="json")
    assert api.status_code == 503
    assert api.json() == {"code": "unavailable", "detail": UNAVAILABLE}
    assert api["Retry-After"]

    # Neither request left its comment, trail entry or follow row behind.
    assert not Comment.objects.filter(topic=topic).exists()
    assert TrailEntry.objects.filter(topic=topic).count() == trail_before
    assert not Follow.objects.filter(user=resident).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_step_change_whose_connection_drops_answers_503_and_leaves_nothing(
    place, drop_after_first_trail_write, monkeypatch
):
    community, staff, resident, topic = place
    trail_before = TrailEntry.objects.filter(topic=topic).count()
    notices_before = Notice.objects.count()

    response = english(staff).post(f"/api/v1/topics/{topic.pk}/advance/", {"to": "review"}, format="json")

    assert response.status_code == 503
    assert response.json() == {"code": "unavailable", "detail": UNAVAILABLE}
    topic.refresh_from_db()
    assert topic.step == Step.COLLECT
    assert TrailEntry.objects.filter(topic=topic).count() == trail_before
    assert Notice.objects.count() == notices_before
    # Repeated on a healthy connection, the same move goes through: the drop only delayed it.
    monkeypatch.undo()
    response = english(staff).post(f"/api/v1/topics/{topic.pk}/advance/", {"to": "review"}, format="json")
    assert response.status_code == 200
    assert response.json()["step"] == Step.REVIEW


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pages_and_api_answer_503_when_postgresql_cannot_be_reached(place, monkeypatch):
    community, staff, resident, topic = place
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", _free_port())  # nothing listens there
    try:
        for path in ("/", "/communities/", f"/topics/{topic.pk}/"):
            assert_clean_503_page(english().get(path))
        api = english().get("/api/v1/communities/")
        assert api.status_code == 503
        assert api.json() == {"code": "unavailable", "detail": UNAVAILABLE}
    finally:
        connection.close()


@pytest.mark.django_db
def test_the_503_page_is_chinese_by_default_and_other_errors_stay_500(client, monkeypatch):
    from django.db import OperationalError
    from rest_framework.views import APIView

    def lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("civic.views.render", lost)
    monkeypatch.setattr(APIView, "initial", lost)
    page = client.get("/")
    assert page.status_code == 503
    assert "服务暂时不可用，请一分钟后再试。" in page.content.decode()
    api = client.get("/api/v1/communities/")
    assert (api.status_code, api.json()) == (503, {"code": "unavailable", "detail": "服务暂时不可用，请一分钟后再试。"})

    monkeypatch.setattr("civic.views.render", lambda *args, **kwargs: 1 / 0)
    client.raise_request_exception = False
    assert client.get("/").status_code == 500


# Redis
class PrivateRedis:
    """A redis-server of the test's own on a free port, so killing it disturbs no one."""

    def __init__(self, tmp_path):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tmp_path
        self.process = None

    def start(self):
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", str(self.dir)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path, settings, monkeypatch):
    """The cache and the broker on a private redis-server, retried at once after a failure."""
    from civic.celery import app

    server = PrivateRedis(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "civic",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
    monkeypatch.setattr(ResilientRedisCache, "retry_seconds", 0)

    def publish_to(url, eager):
        app.conf.broker_url, app.conf.task_always_eager = url, eager
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url, app.conf.task_always_eager
    publish_to(server.url, False)
    yield server
    server.stop()
    publish_to(*previous)


@pytest.mark.redis
@pytest.mark.django_db
def test_with_redis_down_pages_serve_comments_post_and_throttles_count_per_process(
    private_redis, place, settings, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    community, staff, resident, topic = place
    monkeypatch.setattr(AnonRateThrottle, "rate", "4/min", raising=False)
    cache.set("before", "in redis")
    assert not cache.degraded
    private_redis.stop()

    anonymous = english()
    for path in ("/", "/communities/", f"/communities/{community.pk}/", f"/topics/{topic.pk}/"):
        assert anonymous.get(path).status_code == 200, path
    statuses = [anonymous.get("/api/v1/communities/").status_code for _ in range(5)]
    # The anonymous limit still holds, counted in this process's memory: 4 a minute.
    assert statuses == [200, 200, 200, 200, 429]
    assert cache.degraded

    response = english(resident).post(
        f"/topics/{topic.pk}/comments/", {"body": "Redis 停了也能留言。"}, format="multipart"
    )
    assert response.status_code == 302
    assert Comment.objects.get(topic=topic).body == "Redis 停了也能留言。"
    # The posting limit too: two comments a minute, the third refused.
    settings.CIVIC_THROTTLES = {**settings.CIVIC_THROTTLES, "comment": "2/min"}
    second = english(resident).post(f"/topics/{topic.pk}/comments/", {"body": "第二条。"}, format="multipart")
    third = english(resident).post(f"/topics/{topic.pk}/comments/", {"body": "第三条。"}, format="multipart")
    assert (second.status_code, third.status_code) == (302, 429)
    # A step change hands its notice to the dead broker once committed: the request succeeds,
    # and the notice waits in the database for the dispatcher.
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = english(staff).post(
            f"/topics/{topic.pk}/advance/", {"to": "review", "from": "collect"}, format="multipart"
        )
    assert response.status_code == 302
    assert time.monotonic() - started < 5, "a dead broker may not stall the request"
    topic.refresh_from_db()
    assert topic.step == Step.REVIEW
    assert Notice.objects.filter(status=Notice.Status.PENDING).exists()
    assert any("Could not queue notifications.dispatch" in r.getMessage() for r in caplog.records)
    # One warning for the outage, not one per call.
    assert sum(1 for r in caplog.records if r.name == "core.cache" and r.levelname == "WARNING") == 1


@pytest.mark.redis
@pytest.mark.django_db
def test_the_cache_goes_back_to_redis_when_it_restarts(private_redis):
    private_redis.stop()
    cache.set("during", "local", 60)
    assert cache.degraded
    assert cache.get("during") == "local"

    private_redis.start()
    assert cache.get("during") is None  # Redis again: what was kept locally is dropped
    assert not cache.degraded
    cache.set("after", "in redis", 60)
    assert redis.Redis.from_url(private_redis.url).keys("*after*")
    assert english().get("/healthz/").json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.redis
@pytest.mark.django_db
def test_healthz_reports_a_degraded_cache_but_keeps_the_process_in_service(private_redis):
    private_redis.stop()
    response = english().get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "degraded"}
