"""The portal on the real services CI provides: PostgreSQL for data, Redis for cache and limits."""

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from communities.models import Residency
from tests import factories


@pytest.mark.postgres
@pytest.mark.django_db
def test_runs_on_postgresql_and_its_constraints_hold(community, other_community):
    assert connection.vendor == "postgresql"
    user = factories.resident(community)
    with pytest.raises(IntegrityError), transaction.atomic():
        Residency.objects.create(user=user, community=other_community, status=Residency.Status.VERIFIED)


@pytest.mark.redis
def test_cache_is_redis_and_shared_between_processes():
    import redis
    from django.core.cache import cache

    assert settings.CACHES["default"]["BACKEND"] == "core.cache.ResilientRedisCache"
    cache.set("shared-probe", "from-django", 30)
    # Another process sees the value: read it over a separate connection.
    raw = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    assert any(b"shared-probe" in key for key in raw.keys("*shared-probe*"))


@pytest.mark.redis
@pytest.mark.django_db
def test_login_throttle_counts_in_redis(api_client):
    import redis

    raw = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    statuses = [
        api_client.post("/api/v1/auth/token/", {"username": "nobody", "password": "wrong"}, format="json").status_code
        for _ in range(12)
    ]
    assert statuses[0] == 400
    assert statuses[-1] == 429
    assert raw.keys("*throttle_login*"), "the throttle history lives in Redis, shared by every web process"


@pytest.mark.django_db
def test_healthz_reports_database_and_cache(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_cache_is_down(client, settings):
    # Nothing listens on port 1: the cache is unreachable (Django resets its cache handlers).
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.json()["cache"] == "unavailable"
