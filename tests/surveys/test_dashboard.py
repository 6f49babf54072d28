"""The figures this app registers for the officials' dashboards (surveys.dashboard), against a
hand-worked fixture."""

import datetime

import pytest
from django.utils import timezone

from communities.models import Community
from core import dashboards
from surveys import dashboard
from tests import factories
from tests.surveys.figures import surveys_figures

pytestmark = pytest.mark.django_db


def test_good_impression_shares_per_body(measured, city):
    shares = surveys_figures()["impressions"]
    # party: good, good, average; committee: the same; council: poor, good, average; centre: don't know, good, average
    assert {key: figures["percent"] for key, figures in shares.items()} == {
        "party_organisation": 66.67,
        "residents_committee": 66.67,
        "deliberation_council": 33.33,
        "service_centre": 33.33,
    }
    assert shares["party_organisation"]["answered"] == 3
    home = surveys_figures(Community.objects.filter(pk=city.home.pk))["impressions"]
    assert {key: figures["percent"] for key, figures in home.items()} == {
        "party_organisation": 100.0,
        "residents_committee": 100.0,
        "deliberation_council": 50.0,
        "service_centre": 50.0,
    }
    assert surveys_figures(Community.objects.filter(pk=city.far.pk))["impressions"]["service_centre"]["percent"] is None


def test_activity_distribution_from_attendance(measured, city):
    figures = surveys_figures()["activity_participation"]
    # Six verified residents: resident 2, resident2 1, the other four none.
    assert figures["residents"] == 6
    assert figures["buckets"] == {"0": 4, "1": 1, "2-3": 1, "4-6": 0, "7-or-more": 0}
    assert figures["under_2"] == 83.33
    assert figures["mean"] == 0.5
    home = surveys_figures(Community.objects.filter(pk=city.home.pk))["activity_participation"]
    assert (home["residents"], home["buckets"]["0"], home["under_2"]) == (3, 1, 66.67)


def test_participation_and_information_satisfaction(measured):
    figures = surveys_figures()["information_satisfaction"]
    knowledge, taking_part = figures["knowledge_satisfaction"], figures["taking_part_satisfaction"]
    assert (knowledge["mean"], knowledge["dissatisfied"], knowledge["satisfied"]) == (2.5, 50.0, 0.0)
    assert knowledge["distribution"] == {1: 0, 2: 1, 3: 1, 4: 0, 5: 0}
    assert (taking_part["mean"], taking_part["dissatisfied"]) == (1.5, 100.0)
    assert figures["reported_activities"]["buckets"] == {"0": 0, "1": 1, "2-3": 1, "4-6": 0, "7-or-more": 0}
    assert figures["reported_activities"]["under_2"] == 50.0


def test_the_provider_is_registered_with_typed_figures():
    provider = dashboards.registry.provider("surveys")
    assert provider.figures is dashboard.SurveyFigures
    blank = provider.figures()
    assert blank.impressions["party_organisation"] == {"good": 0, "answered": 0}
    actions = {source.action for source in dashboards.registry.taking_part()}
    assert {"attended_activity", "answered_survey"} <= actions


@pytest.mark.parametrize("extra_communities", [0, 12])
def test_one_query_whatever_the_number_of_communities(measured, city, django_assert_num_queries, extra_communities):
    for _ in range(extra_communities):
        community = factories.CommunityFactory(street=city.street)
        factories.resident(community, actor=city.admin)
    for communities in (Community.objects.filter(street__district=city.district).values("pk"), None):
        area = dashboards.Area.of(communities, *_year())
        with django_assert_num_queries(1):
            dashboard.survey_rows(area)


def _year():
    today = timezone.localdate()
    return today - datetime.timedelta(days=365), today
