"""The dashboard over the small demo shows what the source article measured (DOMAIN.md), within
3 points: good impressions 63.35 / 70.74 / 29.26 / 39.2 %, about 40% of residents taking part in
activities fewer than twice a year, about 60% of cadres over 50, mostly junior college or below."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from civic import dashboard

ARTICLE = {
    "party_organisation": 63.35,
    "residents_committee": 70.74,
    "deliberation_council": 29.26,
    "service_centre": 39.2,
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def figures(demo, db):
    admin = get_user_model().objects.get(username="admin")
    scope = dashboard.scope_for(admin)
    area = dashboard.places(scope)
    filters = dashboard.DashboardFilterForm({}, places=area).filters()
    return dashboard.dashboard(scope, filters, area, use_cache=False)


@pytest.mark.parametrize("body", sorted(ARTICLE))
def test_good_impressions_match_the_article(figures, body):
    assert abs(figures["satisfaction_by_body"][body] - ARTICLE[body]) <= 3


def test_about_forty_percent_take_part_in_activities_fewer_than_twice(figures):
    assert abs(figures["activity_participation"]["under_2"] - 40) <= 3
    assert abs(figures["information_satisfaction"]["reported_activities"]["under_2"] - 40) <= 3


def test_about_sixty_percent_of_cadres_are_over_fifty(figures):
    cadres = figures["cadres"]
    assert cadres["count"] > 500
    assert abs(cadres["over_50"] - 60) <= 3
    assert cadres["junior_college_or_below"] > 50


def test_residents_are_dissatisfied_with_knowing_and_taking_part(figures):
    information = figures["information_satisfaction"]
    assert information["knowledge_satisfaction"]["mean"] < 3
    assert information["taking_part_satisfaction"]["mean"] < 3


def test_the_demo_official_sees_their_district_only(demo, db):
    official = get_user_model().objects.get(username="official")
    scope = dashboard.scope_for(official)
    area = dashboard.places(scope)
    assert area and len({place["district_id"] for place in area}) == 1
    filters = dashboard.DashboardFilterForm({}, places=area).filters()
    figures = dashboard.dashboard(scope, filters, area, use_cache=False)
    assert {row["district"] for row in figures["communities"]} == {area[0]["district"]}
    # The first community's story: a topic in every step, the evaluation round of the district.
    assert all(figures["topics_by_step"][step] for step in ("collect", "review", "archive"))
    assert figures["evaluation"] is not None
