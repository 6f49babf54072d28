"""Third-party evaluation: indicators computed from the portal's records or scored by hand,
weighted totals, a ranking, and who sees which report."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.errors import Conflict
from surveys import services
from surveys.models import EvaluationRound, Indicator, Score

pytestmark = pytest.mark.django_db

WEIGHTS = [
    ("参与率", Indicator.PARTICIPATION_RATE, 2),
    ("按时办结", Indicator.TOPICS_ON_TIME, 1),
    ("结果满意度", Indicator.OUTCOME_SATISFACTION, 1),
    ("好感度", Indicator.BODY_IMPRESSIONS, 2),
    ("活动参与", Indicator.ACTIVITY_PARTICIPATION, 2),
    ("创新", Indicator.MANUAL, 2),
]


@pytest.fixture
def evaluation_round(measured, city):
    return services.round_create(
        actor=city.evaluator,
        engagement=city.engagement,
        title="近30天评估",
        period_start=timezone.localdate() - datetime.timedelta(days=30),
        period_end=timezone.localdate(),
        indicators=[{"name": name, "source": source, "weight": weight} for name, source, weight in WEIGHTS],
    )


def scores(evaluation_round, community):
    return {
        s.indicator.source: (None if s.value is None else float(s.value))
        for s in Score.objects.filter(indicator__round=evaluation_round, community=community).select_related(
            "indicator"
        )
    }


def score_by_hand(city, evaluation_round):
    manual = evaluation_round.indicators.get(source=Indicator.MANUAL)
    for community, value in ((city.home, 80), (city.neighbour, 60), (city.across, 70)):
        services.score_set(
            actor=city.evaluator, indicator=manual, community=community, value=value, evidence="工作清单已公开"
        )
    return manual


def test_computed_indicators_equal_hand_worked_values(city, evaluation_round):
    assert services.round_compute(actor=city.evaluator, evaluation_round=evaluation_round) == 15
    assert scores(evaluation_round, city.home) == {
        Indicator.PARTICIPATION_RATE: 66.67,  # resident and resident2 answered; home3 did not
        Indicator.TOPICS_ON_TIME: 50.0,  # one topic left collect after its 30 days, one before
        Indicator.OUTCOME_SATISFACTION: 87.5,  # ratings 4 and 5: mean 4.5 on 1-5
        Indicator.BODY_IMPRESSIONS: 75.0,  # 6 good of 8 answers
        Indicator.ACTIVITY_PARTICIPATION: 33.33,  # resident twice; resident2 once; home3 never
    }
    assert scores(evaluation_round, city.neighbour) == {
        Indicator.PARTICIPATION_RATE: 100.0,
        Indicator.TOPICS_ON_TIME: None,
        Indicator.OUTCOME_SATISFACTION: None,
        Indicator.BODY_IMPRESSIONS: 0.0,
        Indicator.ACTIVITY_PARTICIPATION: 0.0,
    }
    # The far community is outside the engagement: not evaluated.
    assert not Score.objects.filter(community=city.far).exists()


def test_weighted_totals_and_ranking(city, evaluation_round):
    from surveys.selectors import round_ranking

    services.round_compute(actor=city.evaluator, evaluation_round=evaluation_round)
    score_by_hand(city, evaluation_round)
    _indicators, rows = round_ranking(evaluation_round)
    assert [(row["rank"], row["community"].name, row["total"]) for row in rows] == [
        (1, "玉林东路社区", 64.75),  # (2*66.67 + 50 + 87.5 + 2*75 + 2*33.33 + 2*80) / 10
        (2, "倪家桥社区", 40.0),  # (2*100 + 2*0 + 2*0 + 2*60) / 8: no topics, no ratings
        (3, "洗面桥社区", 23.33),  # (2*0 + 2*0 + 2*70) / 6
    ]


def test_a_hand_score_needs_evidence_and_a_range(city, evaluation_round):
    manual = evaluation_round.indicators.get(source=Indicator.MANUAL)
    computed = evaluation_round.indicators.get(source=Indicator.BODY_IMPRESSIONS)
    for value, evidence, field in ((80, "", "evidence"), (101, "x", "value"), (-1, "x", "value")):
        with pytest.raises(ValidationError) as error:
            services.score_set(
                actor=city.evaluator, indicator=manual, community=city.home, value=value, evidence=evidence
            )
        assert field in error.value.message_dict
    with pytest.raises(ValidationError):
        services.score_set(actor=city.evaluator, indicator=computed, community=city.home, value=50, evidence="x")
    with pytest.raises(ValidationError):
        services.score_set(actor=city.evaluator, indicator=manual, community=city.far, value=50, evidence="x")
    with pytest.raises(PermissionDenied):
        services.score_set(actor=city.district_official, indicator=manual, community=city.home, value=50, evidence="x")
    score = services.score_set(
        actor=city.evaluator, indicator=manual, community=city.home, value="77.5", evidence="台账齐全"
    )
    assert score.value == Decimal("77.50") and score.scored_by == city.evaluator


def test_publishing_needs_every_score_then_freezes_the_round(city, evaluation_round):
    with pytest.raises(Conflict) as conflict:
        services.round_publish(actor=city.evaluator, evaluation_round=evaluation_round)
    assert len(conflict.value.blockers) == 2
    services.round_compute(actor=city.evaluator, evaluation_round=evaluation_round)
    manual = score_by_hand(city, evaluation_round)
    published = services.round_publish(actor=city.evaluator, evaluation_round=evaluation_round)
    assert published.status == EvaluationRound.Status.PUBLISHED
    with pytest.raises(Conflict):
        services.round_compute(actor=city.evaluator, evaluation_round=published)
    with pytest.raises(Conflict):
        services.score_set(actor=city.evaluator, indicator=manual, community=city.home, value=1, evidence="x")
    with pytest.raises(Conflict):
        services.indicator_add(actor=city.evaluator, evaluation_round=published, name="x", source="manual", weight=1)


def test_bad_indicators_are_refused(city, evaluation_round):
    for name, source, weight in (("", "manual", 1), ("x", "luck", 1), ("x", "manual", 0), ("x", "manual", "heavy")):
        with pytest.raises(ValidationError):
            services.indicator_add(
                actor=city.evaluator, evaluation_round=evaluation_round, name=name, source=source, weight=weight
            )
    with pytest.raises(ValidationError):
        services.round_create(
            actor=city.evaluator,
            engagement=city.engagement,
            title="倒着的",
            period_start=timezone.localdate(),
            period_end=timezone.localdate() - datetime.timedelta(days=1),
        )


@pytest.fixture
def published(city, evaluation_round):
    services.round_compute(actor=city.evaluator, evaluation_round=evaluation_round)
    score_by_hand(city, evaluation_round)
    return services.round_publish(actor=city.evaluator, evaluation_round=evaluation_round)


def test_who_sees_the_ranking_and_which_rows(city, published, client):
    def names(who):
        client.force_login(who)
        response = client.get(f"/evaluation/{published.pk}/")
        if response.status_code != 200:
            return response.status_code
        return [
            name for name in ("玉林东路社区", "倪家桥社区", "洗面桥社区") if f">{name}</a>" in response.content.decode()
        ]

    everyone = ["玉林东路社区", "倪家桥社区", "洗面桥社区"]
    assert names(city.evaluator) == everyone
    assert names(city.admin) == everyone
    assert names(city.district_official) == everyone
    assert names(city.street_official) == ["玉林东路社区", "倪家桥社区"]
    assert names(city.staff) == ["玉林东路社区"]
    assert names(city.far_official) == 403
    assert names(city.far_staff) == 403
    assert names(city.resident) == 403
    assert names(city.idle_evaluator) == 403


def test_staff_see_their_own_report_only(city, published, client):
    client.force_login(city.staff)
    own = client.get(f"/evaluation/{published.pk}/communities/{city.home.pk}/")
    assert own.status_code == 200
    html = own.content.decode()
    assert "64.8" in html and "1 of 3" in html and "工作清单已公开" in html
    assert '<svg class="chart"' in html
    assert client.get(f"/evaluation/{published.pk}/communities/{city.neighbour.pk}/").status_code == 403
    assert client.get(f"/evaluation/{published.pk}/communities/{city.far.pk}/").status_code == 404


def test_drafts_stay_with_the_evaluator(city, evaluation_round, client, api_client):
    client.force_login(city.district_official)
    assert client.get(f"/evaluation/{evaluation_round.pk}/").status_code == 403
    client.force_login(city.staff)
    assert client.get(f"/evaluation/{evaluation_round.pk}/communities/{city.home.pk}/").status_code == 403
    api_client.force_authenticate(city.district_official)
    assert api_client.get("/api/v1/evaluation-rounds/").json()["count"] == 0
    api_client.force_authenticate(city.evaluator)
    assert api_client.get("/api/v1/evaluation-rounds/").json()["count"] == 1


def test_the_api_defines_scores_and_publishes_a_round(city, measured, api_client):
    api_client.force_authenticate(city.evaluator)
    payload = {
        "engagement": city.engagement.pk,
        "title": "接口评估",
        "period_start": (timezone.localdate() - datetime.timedelta(days=30)).isoformat(),
        "period_end": timezone.localdate().isoformat(),
        "indicators": [
            {"name": "好感度", "source": "body_impressions", "weight": 3},
            {"name": "创新", "source": "manual", "weight": 1},
        ],
    }
    created = api_client.post("/api/v1/evaluation-rounds/", payload, format="json")
    assert created.status_code == 201, created.content
    round_id = created.json()["id"]
    manual_id = next(i["id"] for i in created.json()["indicators"] if i["source"] == "manual")
    assert api_client.post(f"/api/v1/evaluation-rounds/{round_id}/publish/").status_code == 409
    assert api_client.post(f"/api/v1/evaluation-rounds/{round_id}/compute/").json() == {"scores": 3}
    for community, value in ((city.home, 90), (city.neighbour, 50), (city.across, 70)):
        response = api_client.post(
            f"/api/v1/evaluation-rounds/{round_id}/scores/",
            {"indicator": manual_id, "community": community.pk, "value": value, "evidence": "现场核查"},
            format="json",
        )
        assert response.status_code == 200, response.content
    assert (
        api_client.post(
            f"/api/v1/evaluation-rounds/{round_id}/scores/",
            {"indicator": manual_id, "community": city.home.pk, "value": 90},
            format="json",
        ).status_code
        == 400
    )
    assert api_client.post(f"/api/v1/evaluation-rounds/{round_id}/publish/").status_code == 200
    ranking = api_client.get(f"/api/v1/evaluation-rounds/{round_id}/").json()["ranking"]
    assert [(row["community_name"], row["total"]) for row in ranking] == [
        ("玉林东路社区", 78.75),  # (3*75 + 90) / 4
        ("洗面桥社区", 70.0),  # impressions: no answers; the hand score alone
        ("倪家桥社区", 12.5),  # (3*0 + 50) / 4
    ]
    api_client.force_authenticate(city.staff)
    assert (
        api_client.get(f"/api/v1/evaluation-rounds/{round_id}/").json()["ranking"][0]["community_name"]
        == "玉林东路社区"
    )
    assert len(api_client.get(f"/api/v1/evaluation-rounds/{round_id}/").json()["ranking"]) == 1
    report = api_client.get(f"/api/v1/evaluation-rounds/{round_id}/report/{city.home.pk}/")
    assert report.status_code == 200 and report.json()["rank"] == 1 and report.json()["out_of"] == 3
    assert api_client.get(f"/api/v1/evaluation-rounds/{round_id}/report/{city.neighbour.pk}/").status_code == 403
    assert api_client.post(f"/api/v1/evaluation-rounds/{round_id}/compute/").status_code == 403
    api_client.force_authenticate(city.idle_evaluator)
    assert api_client.post("/api/v1/evaluation-rounds/", payload, format="json").status_code == 403
