"""The officials' dashboard figures, each against a value worked out by hand on a small town
set up through the services (time moved with time_machine so that steps take days): the
`town` fixture of tests/fixtures/town.py, which describes it.
"""

import datetime

import pytest
from django.utils import translation

from civic import dashboard
from communities.models import Community, Stage, Typology
from surveys.models import Indicator
from surveys.selectors import indicator_values
from tests import factories
from tests.fixtures.town import grow

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def figures_for(user, **params):
    scope = dashboard.scope_for(user)
    area = dashboard.places(scope)
    filters = dashboard.DashboardFilterForm({k: str(v) for k, v in params.items()}, places=area).filters()
    return dashboard.dashboard(scope, filters, area, use_cache=False)


# Participation -----------------------------------------------------------------------------------


def test_participation_counts_each_kind_of_taking_part(town):
    participation = figures_for(town.admin)["participation"]
    assert participation["residents"] == 9
    assert {action: participation[action]["count"] for action in dashboard.ACTIONS} == {
        "commented": 1,  # a2
        "raised_topic": 3,  # a1, b1, f1
        "attended_meeting": 1,  # a2, checked in at the gallery
        "attended_activity": 2,  # b1, b2
        "answered_survey": 6,  # a1, a3, b1, b2, c1, f1
        "any": 7,  # all but a4 and f2
    }
    assert participation["any"]["percent"] == 77.78
    assert participation["commented"]["percent"] == 11.11


def test_took_part_means_one_thing_on_the_dashboard_and_in_the_evaluation(town):
    """The evaluation counted comments, gallery registrations and survey answers; the dashboard
    comments, topics raised, gallery check-ins, seats at the table, activities and answers.
    Both read communities.dashboard now: b2 (an activity and a survey) took part in both."""
    since, until = dashboard.default_period()
    rows = {row["id"]: row["took_part"] for row in figures_for(town.admin)["communities"]}
    communities = Community.objects.filter(pk__in=rows)
    rates = indicator_values(Indicator.PARTICIPATION_RATE, communities, since, until)
    assert rates == rows
    assert rows[town.b.pk] == 100.0


def test_activity_distribution_counts_attendance_in_the_period(town):
    activity = figures_for(town.admin)["activity_participation"]
    # b1 went twice, b2 once (and once more, 400 days ago), nobody else.
    assert activity["buckets"] == {"0": 7, "1": 1, "2-3": 1, "4-6": 0, "7-or-more": 0}
    assert activity["under_2"] == 88.89
    assert activity["mean"] == 0.33


def test_a_shorter_period_counts_only_what_happened_in_it(town):
    since = (town.now - datetime.timedelta(days=35)).date().isoformat()
    figures = figures_for(town.admin, since=since)
    assert figures["activity_participation"]["buckets"]["1"] == 1  # b1's visit at -30
    assert figures["activity_participation"]["buckets"]["2-3"] == 0
    assert figures["participation"]["raised_topic"]["count"] == 2  # a1 and f1; b1 raised t4 at -40


# Deliberation -------------------------------------------------------------------------------------


def test_topics_by_step_funnel_and_outcomes(town):
    figures = figures_for(town.admin)
    assert figures["topics_raised"] == 6
    assert figures["topics_by_step"] == {
        "collect": 2, "review": 1, "resolve": 1, "publicize": 0, "implement": 0, "evaluate": 0, "archive": 2,
    }  # fmt: skip
    # t1 was rejected at review and t2 withdrawn in collect: both reached the archive, only t1 review.
    assert [(row["step"], row["count"], row["percent"]) for row in figures["funnel"]] == [
        ("collect", 6, 100.0),
        ("review", 3, 50.0),
        ("resolve", 1, 16.67),
        ("publicize", 0, 0.0),
        ("implement", 0, 0.0),
        ("evaluate", 0, 0.0),
        ("archive", 2, 33.33),
    ]
    assert figures["outcomes"] == {"pending": 4, "adopted": 0, "rejected": 1, "voted_down": 0, "withdrawn": 1}


def test_median_days_in_each_step_against_its_limit(town):
    days = {row["step"]: row for row in figures_for(town.admin)["step_days"]}
    # Collect: t1 5 days, t2 1, t3 7, t6 1 -> median 3. Review: t1 3 days, t6 1 -> median 2.
    assert (days["collect"]["stays"], days["collect"]["median_days"], days["collect"]["limit_days"]) == (4, 3.0, 30.0)
    assert (days["review"]["stays"], days["review"]["median_days"], days["review"]["limit_days"]) == (2, 2.0, 15.0)
    assert days["collect"]["on_time_percent"] == 100.0
    assert days["resolve"] == {
        "step": "resolve",
        "stays": 0,
        "median_days": None,
        "limit_days": None,
        "on_time_percent": None,
    }


def test_overdue_topics_are_counted_and_listed(town):
    figures = figures_for(town.admin)
    assert figures["overdue"] == 1
    [overdue] = figures["overdue_topics"]
    assert (overdue["id"], overdue["step"], overdue["days_overdue"], overdue["community"]) == (
        town.topics.t4.pk, "collect", 10, "倪家桥社区",
    )  # fmt: skip
    assert overdue["url"] == f"/topics/{town.topics.t4.pk}/"


def test_meetings_notices_and_gallery(town):
    meetings = figures_for(town.admin)["meetings"]
    # m1 and m2 took place (m3 was cancelled, the next one is still to come).
    assert meetings["meetings"] == 2
    assert meetings["held"] == 2
    assert (meetings["on_time"], meetings["on_time_percent"]) == (1, 50.0)
    assert meetings["short_notice"] == 1
    assert meetings["not_noticed"] == 0
    assert (meetings["seats"], meetings["taken"], meetings["seats_used_percent"], meetings["checked_in"]) == (
        40,
        1,
        2.5,
        1,
    )


# Satisfaction -------------------------------------------------------------------------------------


def test_good_impressions_come_from_each_communitys_latest_survey(town):
    figures = figures_for(town.admin)
    # A, B and C answered the newer survey; F only the older one (f1: all good). a3's older,
    # all-poor answers are not counted: A's latest survey is the newer one.
    assert figures["satisfaction_by_body"] == {
        "party_organisation": 75.0,
        "residents_committee": 50.0,
        "deliberation_council": 50.0,
        "service_centre": 50.0,
    }
    assert figures["impressions"]["party_organisation"] == {"good": 3, "answered": 4, "percent": 75.0}


def test_information_satisfaction_and_outcome_ratings(town):
    figures = figures_for(town.admin)
    information = figures["information_satisfaction"]
    assert information["knowledge_satisfaction"] == {
        "answered": 2, "mean": 3.0, "distribution": {1: 0, 2: 1, 3: 0, 4: 1, 5: 0}, "satisfied": 50.0, "dissatisfied": 50.0,
    }  # fmt: skip
    assert information["taking_part_satisfaction"]["mean"] == 3.0
    assert information["reported_activities"]["under_2"] == 50.0
    assert figures["outcome_ratings"] == {
        "count": 2, "mean": 4.5, "distribution": {1: 0, 2: 0, 3: 0, 4: 1, 5: 1}, "satisfied": 100.0,
    }  # fmt: skip


# Cadres -------------------------------------------------------------------------------------------


def test_cadres_by_age_education_and_body(town):
    cadres = figures_for(town.admin)["cadres"]
    # p1 (60, two posts), p2 (40), p3 (55), p4 (30); p5's term has ended.
    assert cadres["count"] == 4
    assert cadres["over_50"] == 50.0
    assert {key: band["count"] for key, band in cadres["age_bands"].items()} == {
        "under_35": 1, "35_50": 1, "51_60": 2, "over_60": 0,
    }  # fmt: skip
    assert cadres["education"] == {
        "primary": 25.0, "junior_secondary": 0.0, "senior_secondary": 25.0, "junior_college": 25.0,
        "bachelor": 25.0, "postgraduate": 0.0,
    }  # fmt: skip
    assert cadres["junior_college_or_below"] == 75.0
    by_body = {row["kind"]: row for row in cadres["by_body"]}
    assert (by_body["party_organisation"]["count"], by_body["party_organisation"]["over_50"]) == (2, 50.0)
    assert (by_body["residents_committee"]["count"], by_body["residents_committee"]["over_50"]) == (2, 100.0)
    assert (by_body["deliberation_council"]["count"], by_body["deliberation_council"]["over_50"]) == (1, 0.0)
    assert (by_body["service_centre"]["count"], by_body["service_centre"]["over_50"]) == (0, None)


# Typologies, stages, communities ------------------------------------------------------------------


def test_one_row_per_typology_and_per_stage(town):
    figures = figures_for(town.admin)
    typologies = {row["key"]: row for row in figures["typologies"]}
    assert list(typologies) == list(Typology.values)
    assert [row["key"] for row in figures["stages"]] == list(Stage.values)
    old = typologies["old_neighbourhood"]  # community A
    assert old == {
        "key": "old_neighbourhood", "communities": 1, "residents": 4, "took_part": 75.0, "under_2": 100.0,
        "topics": 4, "adopted": 0.0, "overdue": 0, "rating_mean": 4.5, "good_committee": 100.0,
        "good_council": 0.0, "cadres_over_50": 66.67,
    }  # fmt: skip
    assert typologies["mixed_function"]["communities"] == 0
    assert typologies["mixed_function"]["took_part"] is None
    urban = next(row for row in figures["stages"] if row["key"] == "urban")  # A and B
    assert (urban["communities"], urban["residents"], urban["overdue"]) == (2, 6, 1)


def test_filters_narrow_every_figure(town):
    figures = figures_for(town.admin, typology="commercial_housing")  # community B alone
    assert [row["name"] for row in figures["communities"]] == ["倪家桥社区"]
    assert figures["residents"] == 2
    assert figures["topics_by_step"]["collect"] == 1
    assert figures["satisfaction_by_body"]["party_organisation"] == 100.0
    assert figures["cadres"]["count"] == 1
    staged = figures_for(town.admin, stage="rural")
    assert [row["name"] for row in staged["communities"]] == ["洗面桥社区"]
    by_street = figures_for(town.admin, district=town.d1.pk, street=town.s2.pk)
    assert [row["name"] for row in by_street["communities"]] == ["洗面桥社区"]


# Evaluation --------------------------------------------------------------------------------------


def test_the_latest_rounds_ranking_within_the_area(town):
    evaluation = figures_for(town.admin)["evaluation"]
    assert evaluation["round"]["title"] == "年度评估"
    assert [(row["rank"], row["community"], row["total"]) for row in evaluation["ranking"]] == [
        (1, "玉林东路社区", 80.0), (2, "洗面桥社区", 70.0), (3, "倪家桥社区", 60.0),
    ]  # fmt: skip
    # The street official sees their two communities, with their ranks among all three.
    street = figures_for(town.street_official)["evaluation"]
    assert [(row["rank"], row["community"]) for row in street["ranking"]] == [(1, "玉林东路社区"), (3, "倪家桥社区")]
    assert figures_for(town.far_official)["evaluation"] is None


# Scope ----------------------------------------------------------------------------------------------


def test_each_official_reads_only_their_area(town):
    street = figures_for(town.street_official)
    assert {row["name"] for row in street["communities"]} == {"玉林东路社区", "倪家桥社区"}
    assert street["residents"] == 6
    district = figures_for(town.district_official)
    assert {row["name"] for row in district["communities"]} == {"玉林东路社区", "倪家桥社区", "洗面桥社区"}
    far = figures_for(town.far_official)
    assert [row["name"] for row in far["communities"]] == ["明月村"]
    assert far["residents"] == 2
    assert far["satisfaction_by_body"]["party_organisation"] == 100.0  # f1, older survey
    assert far["overdue"] == 0
    assert far["cadres"]["count"] == 0


@pytest.mark.parametrize(
    "params, error",
    [
        ({"typology": "castle"}, "typology"),
        ({"stage": "suburb"}, "stage"),
        ({"district": "abc"}, "district"),
        ({"street": "999999"}, "street"),
        ({"since": "2026-02-30"}, "since"),
        ({"since": "2026-05-01", "until": "2026-01-01"}, "until"),
    ],
)
def test_bad_filters_are_refused_with_a_reason(town, params, error):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as raised:
        figures_for(town.admin, **params)
    assert error in raised.value.message_dict


def test_a_street_of_another_district_is_refused(town):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        figures_for(town.far_official, street=town.s1.pk)
    with pytest.raises(PermissionDenied):
        figures_for(town.far_official, district=town.d1.pk)
    with pytest.raises(PermissionDenied):
        figures_for(town.street_official, street=town.s2.pk)
    with pytest.raises(ValidationError):
        figures_for(town.admin, district=town.d2.pk, street=town.s1.pk)


def test_residents_and_staff_have_no_scope(town):
    from django.core.exceptions import PermissionDenied

    for user in (town.p.a1, town.staff_a, town.evaluator):
        with pytest.raises(PermissionDenied):
            dashboard.scope_for(user)


# The cache -------------------------------------------------------------------------------------------


def test_figures_are_cached_at_most_five_minutes(town, time_machine, settings):
    # The clock is moved here, so the cache must be one whose clock it moves (Redis keeps its own).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dash"}}
    dashboard.cache.clear()
    settings.DASHBOARD_CACHE_SECONDS = 3600  # asked for more; five minutes is the most it keeps
    scope = dashboard.scope_for(town.admin)
    filters = dashboard.DashboardFilterForm({}, places=dashboard.places(scope)).filters()
    assert dashboard.dashboard(scope, filters)["residents"] == 9
    factories.resident(town.a, actor=town.admin)
    time_machine.move_to(town.now + datetime.timedelta(seconds=290), tick=False)
    assert dashboard.dashboard(scope, filters)["residents"] == 9
    time_machine.move_to(town.now + datetime.timedelta(seconds=301), tick=False)
    assert dashboard.dashboard(scope, filters)["residents"] == 10


@pytest.fixture
def eager_tasks():
    from civic.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_a_view_read_after_four_minutes_is_recomputed_in_the_background(
    town, time_machine, settings, eager_tasks, django_capture_on_commit_callbacks
):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dash"}}
    dashboard.cache.clear()
    scope = dashboard.scope_for(town.admin)
    filters = dashboard.DashboardFilterForm({}, places=dashboard.places(scope)).filters()
    assert dashboard.dashboard(scope, filters)["residents"] == 9
    factories.resident(town.a, actor=town.admin)
    time_machine.move_to(town.now + datetime.timedelta(seconds=200), tick=False)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert dashboard.dashboard(scope, filters)["residents"] == 9
    assert not queued  # fresh enough: nothing queued
    time_machine.move_to(town.now + datetime.timedelta(seconds=250), tick=False)
    # This reader is served the cached figures at once and queues one refresh (run eagerly here)...
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert dashboard.dashboard(scope, filters)["residents"] == 9
        assert dashboard.dashboard(scope, filters)["residents"] == 9
    assert len(queued) == 1
    # ...so the next reader, still within the five minutes, reads the recomputed figures.
    assert dashboard.dashboard(scope, filters)["residents"] == 10


def test_beat_keeps_the_city_and_every_district_warm(town, time_machine, settings, monkeypatch):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dash"}}
    settings.DASHBOARD_KEEP_WARM = True
    dashboard.cache.clear()
    assert dashboard.keep_warm() == 3  # the city and its two districts
    assert dashboard.keep_warm() == 0  # all fresh: nothing computed twice

    # The first official of the day is served what beat computed, computing nothing.
    def refuse(*args, **kwargs):
        raise AssertionError("an official waited on a computation")

    with monkeypatch.context() as patched:
        patched.setattr(dashboard, "compute", refuse)
        assert {row["name"] for row in figures_for_cached(town.district_official)["communities"]} == {
            "玉林东路社区",
            "倪家桥社区",
            "洗面桥社区",
        }
        assert figures_for_cached(town.admin)["residents"] == 9

    factories.resident(town.a, actor=town.admin)
    time_machine.move_to(town.now + datetime.timedelta(seconds=130), tick=False)
    assert dashboard.keep_warm() == 0
    time_machine.move_to(town.now + datetime.timedelta(seconds=150), tick=False)
    assert dashboard.keep_warm() == 3  # refreshed a run early: the next run may come after expiry
    assert figures_for_cached(town.admin)["residents"] == 10


def test_keeping_warm_is_off_without_a_shared_cache(town, settings):
    settings.DASHBOARD_KEEP_WARM = False
    assert dashboard.keep_warm() == 0


def test_a_view_being_computed_elsewhere_is_left_to_it(town, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dash"}}
    settings.DASHBOARD_KEEP_WARM = True
    dashboard.cache.clear()
    filters = dashboard.Filters(*dashboard.default_period())
    city = dashboard._figures_key(dashboard.Scope(city=True), filters)
    dashboard.cache.add(f"{city}:refreshing", 1, 60)  # another worker holds the city view
    assert dashboard.keep_warm() == 2
    assert dashboard.cache.get(city) is None


def test_nothing_is_cached_longer_than_five_minutes(town, settings, monkeypatch):
    settings.DASHBOARD_CACHE_SECONDS = 3600
    timeouts = []
    original = dashboard.cache.set

    def recording(key, value, timeout=None, **kwargs):
        timeouts.append(timeout)
        return original(key, value, timeout, **kwargs)

    monkeypatch.setattr(dashboard.cache, "set", recording)
    figures_for_cached(town.admin)
    assert timeouts and all(0 < timeout <= 300 for timeout in timeouts)


@pytest.mark.redis
def test_redis_holds_the_figures_five_minutes_at_most(town):
    from django.core.cache import cache

    figures_for_cached(town.admin)
    client = cache._cache.get_client()
    keys = client.keys(cache.make_key("dashboard:*"))
    assert keys
    assert all(0 < client.ttl(key) <= 300 for key in keys)


def test_the_cache_never_serves_another_area_or_filter(town):
    street_scope = dashboard.scope_for(town.street_official)
    district_scope = dashboard.scope_for(town.district_official)
    assert street_scope.key != district_scope.key
    street = figures_for_cached(town.street_official)
    district = figures_for_cached(town.district_official)
    assert (street["residents"], district["residents"]) == (6, 7)
    assert figures_for_cached(town.district_official, typology="rural")["residents"] == 1
    assert figures_for_cached(town.district_official)["residents"] == 7


def figures_for_cached(user, **params):
    scope = dashboard.scope_for(user)
    area = dashboard.places(scope)
    filters = dashboard.DashboardFilterForm(params, places=area).filters()
    return dashboard.dashboard(scope, filters, area)


# Cost ------------------------------------------------------------------------------------------------

# places, residents, survey answers, topics, ratings, meetings, cadres, step days, overdue list,
# the latest round, and its ranking (indicators, communities, scores).
FIGURE_QUERIES = 13


@pytest.mark.parametrize("communities", [5, 50])
def test_query_count_does_not_grow_with_communities(town, django_assert_num_queries, communities):
    grow(town, communities - 4)
    scope = dashboard.scope_for(town.admin)
    with django_assert_num_queries(FIGURE_QUERIES):
        area = dashboard.places(scope)
        filters = dashboard.DashboardFilterForm({}, places=area).filters()
        figures = dashboard.dashboard(scope, filters, area, use_cache=False)
    assert len(figures["communities"]) == communities
