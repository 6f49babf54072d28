"""Issue 13, finding 12: an activity's 6-digit check-in code can no longer be guessed.

After CHECK_IN_ATTEMPTS wrong codes a person waits (429, a message saying how long and
that staff can check them in), even with the right code; other people and other activities
are not held; the count lives in the shared cache (Redis), so every process sees it."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from core import attempts
from surveys import services
from surveys.models import Attendance
from tests.fixtures.city import publish
from tests.fixtures.language import in_english

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def client(client):
    return in_english(client)


@pytest.fixture
def api_client(api_client):
    return in_english(api_client)


def wrong(activity):
    return "000000" if activity.check_in_code != "000000" else "111111"


def test_the_api_locks_after_a_few_wrong_codes(city, api_client):
    activity = publish(city)
    other = publish(city, theme="太极拳")
    api_client.force_authenticate(city.resident)
    url = f"/api/v1/activities/{activity.pk}/attendance/"
    with time_machine.travel(activity.starts_at, tick=False):
        statuses = [
            api_client.post(url, {"code": wrong(activity)}, format="json").status_code
            for _ in range(services.CHECK_IN_ATTEMPTS)
        ]
        assert statuses == [400] * services.CHECK_IN_ATTEMPTS
        locked = api_client.post(url, {"code": activity.check_in_code}, format="json")
        assert locked.status_code == 429
        assert "Too many wrong check-in codes" in locked.json()["detail"]
        assert "staff" in locked.json()["detail"]
        assert int(locked["Retry-After"]) > 0
        assert not Attendance.objects.filter(activity=activity, user=city.resident).exists()
        # Someone else at the same activity, and the same person at another, are not held.
        api_client.force_authenticate(city.resident2)
        assert api_client.post(url, {"code": activity.check_in_code}, format="json").status_code == 201
        api_client.force_authenticate(city.resident)
        other_url = f"/api/v1/activities/{other.pk}/attendance/"
        assert api_client.post(other_url, {"code": wrong(other)}, format="json").status_code == 400
    with time_machine.travel(activity.starts_at + datetime.timedelta(minutes=16), tick=False):
        assert api_client.post(url, {"code": activity.check_in_code}, format="json").status_code == 201


def test_the_page_answers_429_with_the_reason(city, client):
    activity = publish(city)
    client.force_login(city.resident)
    url = f"/activities/{activity.pk}/check-in/"
    with time_machine.travel(activity.starts_at, tick=False):
        for _ in range(services.CHECK_IN_ATTEMPTS):
            assert client.post(url, {"code": wrong(activity)}).status_code == 400
        response = client.post(url, {"code": activity.check_in_code})
        assert response.status_code == 429
        assert "Too many wrong check-in codes" in response.content.decode()


@pytest.mark.redis
def test_the_count_is_in_the_shared_cache(city, settings):
    """Another process's connection to Redis sees the wrong guesses: the lock holds across processes."""
    import redis

    activity = publish(city)
    with time_machine.travel(activity.starts_at, tick=False):
        for _ in range(services.CHECK_IN_ATTEMPTS):
            with pytest.raises(ValidationError):
                services.attendance_check_in(actor=city.resident, activity=activity, code=wrong(activity))
        elsewhere = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
        (key,) = elsewhere.keys(f"*attempts:check-in:{activity.pk}:{city.resident.pk}:*")
        assert int(elsewhere.get(key)) == services.CHECK_IN_ATTEMPTS
        with pytest.raises(attempts.TooManyAttempts):
            services.attendance_check_in(actor=city.resident, activity=activity, code=activity.check_in_code)
