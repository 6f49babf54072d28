"""Who may do what with surveys, activities and evaluation rounds: role x scope, table-driven."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from communities.permissions import can
from core.errors import Conflict
from surveys import services
from surveys.models import ActivityCategory, Indicator, Scope

from .conftest import answers_for, build_survey

pytestmark = pytest.mark.django_db

EVERYONE = [
    "resident",
    "neighbour_resident",
    "across_resident",
    "far_resident",
    "staff",
    "neighbour_staff",
    "far_staff",
    "street_official",
    "district_official",
    "far_official",
    "evaluator",
    "idle_evaluator",
    "admin",
    "outsider",
    "anonymous",
]

# (scope, action) -> who may. The survey's place: `home` (community), `street`, the city.
ALLOWED = {
    (Scope.COMMUNITY, "survey.answer"): {"resident"},
    (Scope.COMMUNITY, "survey.build"): {"staff", "evaluator", "admin"},
    (Scope.COMMUNITY, "results while open"): {"staff", "street_official", "district_official", "evaluator", "admin"},
    (Scope.COMMUNITY, "results once closed"): {
        "resident",
        "staff",
        "street_official",
        "district_official",
        "evaluator",
        "admin",
    },
    (Scope.STREET, "survey.answer"): {"resident", "neighbour_resident"},
    (Scope.STREET, "survey.build"): {"evaluator", "admin"},
    (Scope.STREET, "results while open"): {
        "staff",
        "neighbour_staff",
        "street_official",
        "district_official",
        "evaluator",
        "admin",
    },
    (Scope.STREET, "results once closed"): {
        "resident",
        "neighbour_resident",
        "staff",
        "neighbour_staff",
        "street_official",
        "district_official",
        "evaluator",
        "admin",
    },
    (Scope.CITY, "survey.answer"): {"resident", "neighbour_resident", "across_resident", "far_resident"},
    (Scope.CITY, "survey.build"): {"admin"},
    (Scope.CITY, "results while open"): {
        "staff",
        "neighbour_staff",
        "far_staff",
        "street_official",
        "district_official",
        "far_official",
        "evaluator",
        "admin",
    },
}


def person(city, who):
    return AnonymousUser() if who == "anonymous" else getattr(city, who)


def surveys(city, closed=False):
    window = {}
    if closed:
        now = timezone.now()
        window = {"opens_at": now - datetime.timedelta(days=9), "closes_at": now - datetime.timedelta(days=1)}
    return {
        Scope.COMMUNITY: build_survey(city.staff, place=city.home, **window).survey,
        Scope.STREET: build_survey(city.admin, scope=Scope.STREET, place=city.street, **window).survey,
        Scope.CITY: build_survey(city.admin, scope=Scope.CITY, **window).survey,
    }


@pytest.mark.parametrize("scope, action", sorted(ALLOWED, key=str))
def test_survey_rules(city, scope, action):
    closed = action == "results once closed"
    survey = surveys(city, closed=closed)[scope]
    rule = "survey.results" if action.startswith("results") else action
    allowed = {who for who in EVERYONE if can(person(city, who), rule, survey)}
    assert allowed == ALLOWED[(scope, action)]


@pytest.mark.parametrize("who", EVERYONE)
def test_results_endpoint_follows_the_rule(city, api_client, who):
    survey = surveys(city)[Scope.COMMUNITY]
    if who != "anonymous":
        api_client.force_authenticate(person(city, who))
    response = api_client.get(f"/api/v1/surveys/{survey.pk}/results/")
    expected = 200 if who in ALLOWED[(Scope.COMMUNITY, "results while open")] else (401 if who == "anonymous" else 403)
    assert response.status_code == expected


def test_residents_are_told_they_see_results_after_closing(city, client, api_client):
    survey = surveys(city)[Scope.COMMUNITY]
    client.force_login(city.resident)
    page = client.get(f"/surveys/{survey.pk}/results/")
    assert page.status_code == 403
    assert "once the survey has closed" in page.content.decode()
    api_client.force_authenticate(city.resident)
    assert "once the survey has closed" in api_client.get(f"/api/v1/surveys/{survey.pk}/results/").json()["detail"]


def test_building_outside_ones_area_is_refused(city):
    with pytest.raises(PermissionDenied):
        build_survey(city.staff, place=city.neighbour)
    with pytest.raises(PermissionDenied):
        build_survey(city.staff, scope=Scope.STREET, place=city.street)
    with pytest.raises(PermissionDenied):
        build_survey(city.evaluator, place=city.far)
    with pytest.raises(PermissionDenied):
        build_survey(city.street_official, place=city.home)
    q = build_survey(city.evaluator, scope=Scope.DISTRICT, place=city.district)
    with pytest.raises(PermissionDenied):
        services.question_add(actor=city.neighbour_staff, survey=q.survey, kind="text", text="?")


def test_questions_are_frozen_once_residents_answered(city, survey):
    services.response_submit(actor=city.resident, survey=survey.survey, answers=answers_for(survey))
    with pytest.raises(Conflict):
        services.question_add(actor=city.staff, survey=survey.survey, kind="text", text="再问一个")
    with pytest.raises(Conflict):
        services.question_update(actor=city.staff, question=survey.single, choices=["A", "B"])
    with pytest.raises(Conflict):
        services.survey_update(actor=city.staff, survey=survey.survey, anonymous=False)
    with pytest.raises(Conflict):
        services.survey_delete(actor=city.staff, survey=survey.survey)
    later = survey.survey.closes_at + datetime.timedelta(days=3)
    assert services.survey_update(actor=city.staff, survey=survey.survey, closes_at=later).closes_at == later


# Activities


@pytest.fixture
def activity(city):
    starts = timezone.now() + datetime.timedelta(days=3)
    return services.activity_publish(
        actor=city.staff,
        community=city.home,
        theme="书法兴趣班",
        category=ActivityCategory.CULTURE,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        place="社区活动室",
        capacity=10,
    )


@pytest.mark.parametrize(
    "action, allowed",
    [
        ("activity.manage", {"staff", "admin"}),
        ("activity.sign_up", {"resident"}),
        ("activity.check_in", {"resident"}),
    ],
)
def test_activity_rules(city, activity, action, allowed):
    assert {who for who in EVERYONE if can(person(city, who), action, activity)} == allowed


def test_publishing_elsewhere_is_refused(city):
    starts = timezone.now() + datetime.timedelta(days=3)
    with pytest.raises(PermissionDenied):
        services.activity_publish(
            actor=city.neighbour_staff,
            community=city.home,
            theme="x",
            category=ActivityCategory.OTHER,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=1),
            place="y",
            capacity=5,
        )


# Evaluation


@pytest.fixture
def published(city):
    evaluation_round = services.round_create(
        actor=city.evaluator,
        engagement=city.engagement,
        title="年度评估",
        period_start=timezone.localdate() - datetime.timedelta(days=365),
        period_end=timezone.localdate(),
        indicators=[{"name": "好感度", "source": Indicator.BODY_IMPRESSIONS, "weight": 1}],
    )
    services.round_compute(actor=city.evaluator, evaluation_round=evaluation_round)
    return services.round_publish(actor=city.evaluator, evaluation_round=evaluation_round)


def test_round_rules(city, published):
    assert {who for who in EVERYONE if can(person(city, who), "round.manage", published)} == {"evaluator", "admin"}
    # Officials of the district and its streets see it; staff see their own report (below).
    assert {who for who in EVERYONE if can(person(city, who), "round.view", published)} == {
        "evaluator",
        "admin",
        "street_official",
        "district_official",
    }


def test_only_the_engaged_evaluator_defines_rounds(city):
    with pytest.raises(PermissionDenied):
        services.round_create(
            actor=city.idle_evaluator,
            engagement=city.engagement,
            title="x",
            period_start=timezone.localdate(),
            period_end=timezone.localdate(),
        )
    with pytest.raises(PermissionDenied):
        services.engagement_create(
            actor=city.district_official, evaluator=city.idle_evaluator, scope="district", district=city.district
        )
