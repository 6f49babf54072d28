"""Score pages and the score sheet: they open for everyone who may see them, the evaluator
scores every community of the round's scope on one page, refusals stay on their cell, and the
round's actions report per row."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from surveys import services
from surveys.models import EvaluationRound, Indicator, Score

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored_round(city):
    evaluation_round = services.round_create(
        actor=city.evaluator,
        engagement=city.engagement,
        title="年度评估",
        period_start=timezone.localdate() - datetime.timedelta(days=30),
        period_end=timezone.localdate(),
        indicators=[
            {"name": "好感度", "source": Indicator.BODY_IMPRESSIONS, "weight": 1},
            {"name": "工作清单与创新", "source": Indicator.MANUAL, "weight": 1},
        ],
    )
    services.round_compute(actor=city.evaluator, evaluation_round=evaluation_round)
    return evaluation_round


def manual(evaluation_round):
    return evaluation_round.indicators.get(source=Indicator.MANUAL)


def sheet_url(evaluation_round):
    return reverse("admin:surveys_evaluationround_scores", args=[evaluation_round.pk])


def sheet(city, evaluation_round, value="80", **overrides):
    indicator = manual(evaluation_round)
    data = {}
    for community in (city.home, city.neighbour, city.across):
        data[f"v-{indicator.pk}-{community.pk}"] = value
        data[f"e-{indicator.pk}-{community.pk}"] = f"{community.name}台账"
    data.update(overrides)
    return data


def test_the_evaluator_scores_every_community_on_one_page_and_publishes(
    city, client, scored_round, django_assert_max_num_queries
):
    client.force_login(city.evaluator)
    with django_assert_max_num_queries(25):
        response = client.get(sheet_url(scored_round))
    assert response.status_code == 200
    assert {c for c, _cells in response.context["rows"]} == {city.home, city.neighbour, city.across}
    response = client.post(sheet_url(scored_round), {**sheet(city, scored_round), "_publish": "1"})
    assert response.status_code == 302
    scored_round.refresh_from_db()
    assert scored_round.status == EvaluationRound.Status.PUBLISHED
    assert Score.objects.filter(indicator=manual(scored_round), value=80).count() == 3
    # Published: read-only, and a post is refused.
    assert client.post(sheet_url(scored_round), sheet(city, scored_round, "50")).status_code == 403


def test_a_refused_cell_keeps_the_typing_and_saves_nothing(city, client, scored_round):
    client.force_login(city.evaluator)
    indicator = manual(scored_round)
    data = sheet(
        city, scored_round, **{f"v-{indicator.pk}-{city.home.pk}": "150", f"e-{indicator.pk}-{city.neighbour.pk}": ""}
    )
    response = client.post(sheet_url(scored_round), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {f"v-{indicator.pk}-{city.home.pk}", f"e-{indicator.pk}-{city.neighbour.pk}"}
    assert form[f"v-{indicator.pk}-{city.home.pk}"].value() == "150"
    assert not Score.objects.filter(indicator=indicator).exists()


def test_publishing_an_unfinished_sheet_says_what_is_missing(city, client, scored_round):
    client.force_login(city.evaluator)
    indicator = manual(scored_round)
    data = sheet(city, scored_round)
    del data[f"v-{indicator.pk}-{city.across.pk}"], data[f"e-{indicator.pk}-{city.across.pk}"]
    response = client.post(sheet_url(scored_round), {**data, "_publish": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Score every community on “工作清单与创新”." in response.content.decode()
    # The two scores typed are saved; the round stays a draft.
    assert Score.objects.filter(indicator=indicator).count() == 2
    scored_round.refresh_from_db()
    assert scored_round.status == EvaluationRound.Status.DRAFT


def test_score_pages_open_for_everyone_who_may_see_them(city, client, scored_round):
    indicator = manual(scored_round)
    client.force_login(city.evaluator)
    add = client.get(reverse("admin:surveys_score_add"))
    assert add.status_code == 200
    offered = set(add.context["adminform"].form.fields["community"].queryset)
    assert offered == {city.home, city.neighbour, city.across}
    response = client.post(
        reverse("admin:surveys_score_add"),
        {"indicator": indicator.pk, "community": city.home.pk, "value": "70", "evidence": "走访记录"},
    )
    assert response.status_code == 302
    score = Score.objects.get(indicator=indicator, community=city.home)
    computed = Score.objects.filter(indicator__round=scored_round).exclude(indicator=indicator).first()
    for pk in (score.pk, computed.pk):
        assert client.get(reverse("admin:surveys_score_change", args=[pk])).status_code == 200
    refused = client.post(
        reverse("admin:surveys_score_change", args=[score.pk]), {"value": "101", "evidence": "走访记录"}
    )
    assert refused.status_code == 200 and refused.context["adminform"].form.errors
    score.refresh_from_db()
    assert score.value == 70
    services.score_set(actor=city.evaluator, indicator=indicator, community=city.neighbour, value=60, evidence="记录")
    services.score_set(actor=city.evaluator, indicator=indicator, community=city.across, value=50, evidence="记录")
    services.round_publish(actor=city.evaluator, evaluation_round=scored_round)
    # After publishing, staff and officials read their own communities' scores.
    client.force_login(city.staff)
    assert client.get(reverse("admin:surveys_score_change", args=[score.pk])).status_code == 200
    listed = client.get(reverse("admin:surveys_score_changelist")).context["cl"].result_list
    assert {s.community for s in listed} == {city.home}
    response = client.get(sheet_url(scored_round))
    assert response.status_code == 200 and [c for c, _ in response.context["rows"]] == [city.home]
    client.force_login(city.district_official)
    response = client.get(sheet_url(scored_round))
    assert response.status_code == 200 and len(response.context["rows"]) == 3
    client.force_login(city.far_staff)
    assert client.get(sheet_url(scored_round)).status_code == 404


def test_round_actions_report_each_round(city, client, scored_round):
    ready = services.round_create(
        actor=city.evaluator,
        engagement=city.engagement,
        title="只算不评",
        period_start=timezone.localdate() - datetime.timedelta(days=30),
        period_end=timezone.localdate(),
        indicators=[{"name": "好感度", "source": Indicator.BODY_IMPRESSIONS, "weight": 1}],
    )
    services.round_compute(actor=city.evaluator, evaluation_round=ready)
    client.force_login(city.evaluator)
    response = client.post(
        reverse("admin:surveys_evaluationround_changelist"),
        {"action": "publish", "_selected_action": [scored_round.pk, ready.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("1 rounds published: 只算不评" in t for t in texts), texts
    assert any("年度评估" in t and "Score every community" in t for t in texts), texts
