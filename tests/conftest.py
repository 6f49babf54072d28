import os

import pytest
from django.conf import settings

from tests import factories

# Fixtures every test module may take by name: the browser page, the SMS file box, English,
# and the worlds the packages' tests are built on (tests/fixtures/).
pytest_plugins = [
    "tests.browser",
    "tests.smsbox",
    "tests.fixtures.language",
    "tests.fixtures.world",
    "tests.fixtures.area",
    "tests.fixtures.city",
    "tests.fixtures.town",
]

IN_CI = bool(os.environ.get("CI"))

# Tests create many users: a fast hasher keeps the suite quick (login still checks passwords).
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _worker_redis_url(url):
    """Each xdist worker gets its own Redis database, so clearing the cache between tests
    never wipes another worker's throttle counts."""
    from urllib.parse import urlsplit, urlunsplit

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    number = int(worker[2:]) if worker[2:].isdigit() else 0
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{10 + number}"))


if settings.REDIS_URL:
    settings.CACHES["default"]["LOCATION"] = _worker_redis_url(settings.REDIS_URL)


def _service_missing(marker):
    if marker == "postgres":
        return settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql"
    if marker == "redis":
        return not settings.REDIS_URL
    return False


@pytest.fixture(autouse=True)
def _real_services(request):
    """Tests marked postgres/redis need the real service: skipped locally without it, failed in CI."""
    for marker in ("postgres", "redis"):
        if request.node.get_closest_marker(marker) and _service_missing(marker):
            message = f"needs {marker}: set {'DATABASE_URL' if marker == 'postgres' else 'REDIS_URL'}"
            if IN_CI:
                pytest.fail(message + " (CI must run every real-service test)")
            pytest.skip(message)


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def community(db):
    return factories.CommunityFactory()


@pytest.fixture
def other_community(db):
    return factories.CommunityFactory()


@pytest.fixture
def resident(community, admin_user):
    return factories.resident(community, actor=admin_user)


@pytest.fixture
def staff(community, admin_user):
    return factories.staff_member(community, actor=admin_user)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
