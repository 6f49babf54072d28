"""The figures the officials' dashboard reads from this app, against a hand-worked fixture."""

import pytest

from communities.models import Community
from surveys import selectors
from tests import factories

pytestmark = pytest.mark.django_db


def test_good_impression_shares_per_body(measured, city):
    shares = selectors.impression_shares()
    # party: good, good, average; committee: the same; council: poor, good, average; centre: don't know, good, average
    assert {key: figures["percent"] for key, figures in shares.items()} == {
        "party_organisation": 66.67,
        "residents_committee": 66.67,
        "deliberation_council": 33.33,
        "service_centre": 33.33,
    }
    assert shares["party_organisation"]["answered"] == 3
    home = selectors.impression_shares(Community.objects.filter(pk=city.home.pk))
    assert {key: figures["percent"] for key, figures in home.items()} == {
        "party_organisation": 100.0,
        "residents_committee": 100.0,
        "deliberation_council": 50.0,
        "service_centre": 50.0,
    }
    assert selectors.impression_shares(Community.objects.filter(pk=city.far.pk))["service_centre"]["percent"] is None


def test_activity_distribution_from_attendance(measured, city):
    figures = selectors.activity_distribution()
    # Six verified residents: resident 2, resident2 1, the other four none.
    assert figures["residents"] == 6
    assert figures["buckets"] == {"0": 4, "1": 1, "2-3": 1, "4-6": 0, "7-or-more": 0}
    assert figures["under_2"] == 83.33
    assert figures["mean"] == 0.5
    home = selectors.activity_distribution(Community.objects.filter(pk=city.home.pk))
    assert (home["residents"], home["buckets"]["0"], home["under_2"]) == (3, 1, 66.67)


def test_participation_and_information_satisfaction(measured):
    figures = selectors.information_satisfaction()
    knowledge, taking_part = figures["knowledge_satisfaction"], figures["taking_part_satisfaction"]
    assert (knowledge["mean"], knowledge["dissatisfied"], knowledge["satisfied"]) == (2.5, 50.0, 0.0)
    assert knowledge["distribution"] == {1: 0, 2: 1, 3: 1, 4: 0, 5: 0}
    assert (taking_part["mean"], taking_part["dissatisfied"]) == (1.5, 100.0)
    assert figures["reported_activities"]["buckets"] == {"0": 0, "1": 1, "2-3": 1, "4-6": 0, "7-or-more": 0}
    assert figures["reported_activities"]["under_2"] == 50.0


def test_dashboard_figures_bundle(measured):
    figures = selectors.dashboard_figures()
    assert figures["satisfaction_by_body"]["party_organisation"] == 66.67
    assert figures["activity_participation"]["under_2"] == 83.33
    assert figures["information_satisfaction"]["knowledge_satisfaction"]["mean"] == 2.5


@pytest.mark.parametrize("extra_communities", [0, 12])
def test_three_queries_whatever_the_number_of_communities(measured, city, django_assert_num_queries, extra_communities):
    for _ in range(extra_communities):
        community = factories.CommunityFactory(street=city.street)
        factories.resident(community, actor=city.admin)
    with django_assert_num_queries(3):
        selectors.dashboard_figures(Community.objects.filter(street__district=city.district))
    with django_assert_num_queries(3):
        selectors.dashboard_figures()
