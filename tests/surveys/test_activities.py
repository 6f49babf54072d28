"""Community activities: publish, sign up and cancel, check in by code or list, rate once;
a resident's activities per year come from attendance."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.errors import Conflict
from surveys import selectors, services
from surveys.models import ActivityCategory, ActivityRating, Attendance, SignUp
from tests import factories
from tests.fixtures.city import publish

pytestmark = pytest.mark.django_db


def test_publish_checks_its_fields(city):
    with pytest.raises(ValidationError) as error:
        services.activity_publish(
            actor=city.staff,
            community=city.home,
            theme="x",
            category=ActivityCategory.OTHER,
            starts_at=timezone.now(),
            ends_at=timezone.now() - datetime.timedelta(hours=1),
            place="y",
            capacity=5,
        )
    assert "ends_at" in error.value.message_dict
    from communities import services as community_services

    elsewhere = community_services.body_create(
        actor=city.admin, community=city.neighbour, kind="social_organisation", name="邻社"
    )
    with pytest.raises(ValidationError) as error:
        publish(city, organiser=elsewhere)
    assert "organiser" in error.value.message_dict
    activity = publish(city)
    assert len(activity.check_in_code) == 6 and activity.check_in_code.isdigit()


def test_sign_up_cancel_and_sign_up_again(city):
    activity = publish(city)
    signup, created = services.signup_take(actor=city.resident, activity=activity)
    assert created and signup.is_active
    assert services.signup_take(actor=city.resident, activity=activity) == (signup, False)
    services.signup_cancel(actor=city.resident, activity=activity)
    with pytest.raises(Conflict):
        services.signup_cancel(actor=city.resident, activity=activity)
    again, created = services.signup_take(actor=city.resident, activity=activity)
    assert created and again.pk == signup.pk and again.cancelled_at is None
    assert SignUp.objects.count() == 1


def test_the_last_place_is_taken_once(city):
    activity = publish(city, capacity=1)
    services.signup_take(actor=city.resident, activity=activity)
    with pytest.raises(Conflict) as conflict:
        services.signup_take(actor=city.resident2, activity=activity)
    assert "All 1 places are taken." in conflict.value.message
    services.signup_cancel(actor=city.resident, activity=activity)
    services.signup_take(actor=city.resident2, activity=activity)


def test_sign_up_closes_when_it_starts_and_for_cancelled_activities(city):
    activity = publish(city)
    with time_machine.travel(activity.starts_at), pytest.raises(Conflict):
        services.signup_take(actor=city.resident, activity=activity)
    services.activity_cancel(actor=city.staff, activity=activity)
    with pytest.raises(Conflict):
        services.signup_take(actor=city.resident, activity=activity)
    with pytest.raises(PermissionDenied):
        services.signup_take(actor=city.neighbour_resident, activity=publish(city))


def test_capacity_cannot_drop_below_those_signed_up(city):
    activity = publish(city, capacity=3)
    services.signup_take(actor=city.resident, activity=activity)
    services.signup_take(actor=city.resident2, activity=activity)
    with pytest.raises(Conflict):
        services.activity_update(actor=city.staff, activity=activity, capacity=1)
    assert services.activity_update(actor=city.staff, activity=activity, capacity=2).capacity == 2


def test_check_in_with_the_code(city):
    activity = publish(city)
    with pytest.raises(Conflict):
        services.attendance_check_in(actor=city.resident, activity=activity, code=activity.check_in_code)
    with time_machine.travel(activity.starts_at + datetime.timedelta(minutes=5)):
        with pytest.raises(ValidationError):
            services.attendance_check_in(
                actor=city.resident,
                activity=activity,
                code="000000" if activity.check_in_code != "000000" else "111111",
            )
        attendance, created = services.attendance_check_in(
            actor=city.resident, activity=activity, code=activity.check_in_code
        )
        assert created and attendance.method == Attendance.Method.CODE
        assert (
            services.attendance_check_in(actor=city.resident, activity=activity, code=activity.check_in_code)[1]
            is False
        )
    with time_machine.travel(activity.ends_at + datetime.timedelta(days=1)), pytest.raises(Conflict):
        services.attendance_check_in(actor=city.resident2, activity=activity, code=activity.check_in_code)


def test_staff_check_in_from_the_list(city):
    activity = publish(city)
    services.signup_take(actor=city.resident, activity=activity)
    with time_machine.travel(activity.starts_at):
        assert (
            services.attendance_record(actor=city.staff, activity=activity, users=[city.resident, city.resident2]) == 2
        )
        assert services.attendance_record(actor=city.staff, activity=activity, users=[city.resident]) == 0
        with pytest.raises(ValidationError):
            services.attendance_record(actor=city.staff, activity=activity, users=[city.far_resident])
        with pytest.raises(PermissionDenied):
            services.attendance_record(actor=city.neighbour_staff, activity=activity, users=[city.resident])
    assert set(Attendance.objects.values_list("user__username", "method", "recorded_by__username")) == {
        ("resident", "list", "staff"),
        ("resident2", "list", "staff"),
    }


def test_rating_once_by_attendees_after_it_took_place(city):
    activity = publish(city)
    with pytest.raises(PermissionDenied):
        services.activity_rate(actor=city.resident, activity=activity, score=5)
    with time_machine.travel(activity.starts_at):
        services.attendance_record(actor=city.staff, activity=activity, users=[city.resident])
        for score in (0, 6, "five"):
            with pytest.raises(ValidationError):
                services.activity_rate(actor=city.resident, activity=activity, score=score)
        services.activity_rate(actor=city.resident, activity=activity, score=4, comment="很好")
        with pytest.raises(Conflict):
            services.activity_rate(actor=city.resident, activity=activity, score=5)
    assert ActivityRating.objects.get().score == 4


def test_activities_per_year_come_from_attendance(city):
    this_year = timezone.localdate().year
    for days in (-40, -20, 5):
        activity = publish(city, days=days)
        with time_machine.travel(activity.starts_at):
            services.attendance_record(actor=city.staff, activity=activity, users=[city.resident])
    counted = sum(1 for a in Attendance.objects.filter(user=city.resident) if a.activity.starts_at.year == this_year)
    assert selectors.activities_per_year(city.resident) == counted


# API and pages --------------------------------------------------------------------------


def test_api_sign_up_and_cancel(city, api_client):
    activity = publish(city, capacity=1)
    api_client.force_authenticate(city.resident)
    response = api_client.post(f"/api/v1/activities/{activity.pk}/signup/")
    assert response.status_code == 201
    assert api_client.post(f"/api/v1/activities/{activity.pk}/signup/").status_code == 200
    api_client.force_authenticate(city.resident2)
    full = api_client.post(f"/api/v1/activities/{activity.pk}/signup/")
    assert full.status_code == 409 and "taken" in full.json()["detail"]
    api_client.force_authenticate(city.resident)
    assert api_client.delete(f"/api/v1/activities/{activity.pk}/signup/").status_code == 204
    assert api_client.delete(f"/api/v1/activities/{activity.pk}/signup/").status_code == 409
    listed = api_client.get("/api/v1/activities/", {"community": city.home.pk, "when": "upcoming"}).json()
    assert listed["results"][0]["places_left"] == 1
    assert api_client.get("/api/v1/activities/", {"when": "someday"}).status_code == 400


def test_api_publish_and_attendance(city, api_client):
    starts = timezone.now() + datetime.timedelta(days=2)
    payload = {
        "community": city.home.pk,
        "theme": "义诊进社区",
        "category": "health",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + datetime.timedelta(hours=2)).isoformat(),
        "place": "便民服务中心",
        "capacity": 20,
    }
    api_client.force_authenticate(city.neighbour_staff)
    assert api_client.post("/api/v1/activities/", payload, format="json").status_code == 403
    api_client.force_authenticate(city.staff)
    assert api_client.post("/api/v1/activities/", {**payload, "capacity": 0}, format="json").status_code == 400
    created = api_client.post("/api/v1/activities/", payload, format="json")
    assert created.status_code == 201, created.content
    activity_id = created.json()["id"]
    assert "check_in_code" not in created.json()

    api_client.force_authenticate(city.resident)
    api_client.post(f"/api/v1/activities/{activity_id}/signup/")
    assert api_client.get(f"/api/v1/activities/{activity_id}/signups/").status_code == 403
    with time_machine.travel(starts + datetime.timedelta(minutes=1)):
        from surveys.models import Activity

        code = Activity.objects.get(pk=activity_id).check_in_code
        assert (
            api_client.post(
                f"/api/v1/activities/{activity_id}/attendance/", {"code": "12345x"}, format="json"
            ).status_code
            == 400
        )
        assert (
            api_client.post(f"/api/v1/activities/{activity_id}/attendance/", {"code": code}, format="json").status_code
            == 201
        )
        assert (
            api_client.post(f"/api/v1/activities/{activity_id}/rating/", {"score": 5}, format="json").status_code == 201
        )
        assert (
            api_client.post(f"/api/v1/activities/{activity_id}/rating/", {"score": 4}, format="json").status_code == 409
        )
        assert (
            api_client.post(
                f"/api/v1/activities/{activity_id}/attendance/", {"users": [city.resident2.pk]}, format="json"
            ).status_code
            == 403
        )
        api_client.force_authenticate(city.staff)
        recorded = api_client.post(
            f"/api/v1/activities/{activity_id}/attendance/", {"users": [city.resident2.pk]}, format="json"
        )
        assert recorded.status_code == 201 and recorded.json() == {"recorded": 1}
        people = api_client.get(f"/api/v1/activities/{activity_id}/signups/").json()
        assert [(p["name"], p["attended"]) for p in people] == [(city.resident.name, True)]
        assert api_client.post(f"/api/v1/activities/{activity_id}/attendance/", {}, format="json").status_code == 400


def test_pages_sign_up_and_cancel_without_javascript(city, client):
    activity = publish(city, capacity=1)
    client.force_login(city.resident)
    page = client.get(activity.get_absolute_url())
    assert page.status_code == 200 and "<script" not in page.content.decode().split("<main", 1)[1]
    assert client.post(f"/activities/{activity.pk}/sign-up/").status_code == 302
    assert "You have a place." in client.get(activity.get_absolute_url()).content.decode()
    client.force_login(city.resident2)
    full = client.post(f"/activities/{activity.pk}/sign-up/")
    assert full.status_code == 409 and "All 1 places are taken." in full.content.decode()
    client.force_login(city.resident)
    assert client.post(f"/activities/{activity.pk}/cancel/").status_code == 302
    assert not SignUp.objects.filter(cancelled_at__isnull=True).exists()


def test_page_check_in_and_rate(city, client):
    activity = publish(city)
    client.force_login(city.resident)
    with time_machine.travel(activity.starts_at):
        wrong = client.post(f"/activities/{activity.pk}/check-in/", {"code": "abc"})
        assert wrong.status_code == 400
        assert client.post(f"/activities/{activity.pk}/check-in/", {"code": activity.check_in_code}).status_code == 302
        assert "You were there." in client.get(activity.get_absolute_url()).content.decode()
        assert client.post(f"/activities/{activity.pk}/rate/", {"score": "9"}).status_code == 400
        assert client.post(f"/activities/{activity.pk}/rate/", {"score": "4", "comment": "不错"}).status_code == 302
        assert "You rated it 4 out of 5." in client.get(activity.get_absolute_url()).content.decode()


def test_staff_page_shows_the_code_and_the_check_in_list(city, client):
    activity = publish(city)
    services.signup_take(actor=city.resident, activity=activity)
    client.force_login(city.staff)
    html = client.get(activity.get_absolute_url()).content.decode()
    assert activity.check_in_code in html and "1 person signed up" in html
    with time_machine.travel(activity.starts_at):
        html = client.get(activity.get_absolute_url()).content.decode()
        assert "Check-in list: tick who came" in html
        assert client.post(f"/activities/{activity.pk}/attendance/", {"users": [city.resident.pk]}).status_code == 302
    client.force_login(city.resident)
    assert activity.check_in_code not in client.get(activity.get_absolute_url()).content.decode()
    assert client.post(f"/activities/{activity.pk}/attendance/", {"users": [city.resident.pk]}).status_code == 403


def test_activity_list_and_filters(city, client):
    publish(city, theme="未来的活动")
    publish(city, days=-10, theme="过去的活动")
    publish(city, community=city.far, actor=city.far_staff, theme="别处的活动")
    client.force_login(city.resident)
    html = client.get("/activities/").content.decode()
    assert "未来的活动" in html and "过去的活动" not in html and "别处的活动" not in html
    assert "过去的活动" in client.get("/activities/?when=past").content.decode()
    assert client.get("/activities/?when=tomorrow").status_code == 400
    assert client.get("/activities/?community=nope").status_code == 400
    assert client.get("/activities/?community=999999").status_code == 400


@pytest.mark.parametrize("count", [2, 20])
def test_activity_page_query_count_is_constant(city, client, django_assert_num_queries, count):
    activity = publish(city, capacity=50)
    for _ in range(count):
        services.signup_take(actor=factories.resident(city.home, actor=city.admin), activity=activity)
    client.force_login(city.staff)
    client.get("/")
    with django_assert_num_queries(12):
        assert client.get(activity.get_absolute_url()).status_code == 200
