"""Surveys' tests read English; their surveys, answers and figures are built here on the
`city` of tests/fixtures/city.py."""

import datetime
from types import SimpleNamespace

import pytest
import time_machine
from django.utils import timezone

from surveys import services
from surveys.models import QuestionKind, Scope
from tests import factories
from tests.fixtures.language import in_english


@pytest.fixture(autouse=True)
def _english(english):
    """Assertions read the English source strings, whatever the catalogue holds."""


@pytest.fixture
def client(client):
    return in_english(client)


@pytest.fixture
def api_client(api_client):
    return in_english(api_client)


def open_window():
    now = timezone.now()
    return {"opens_at": now - datetime.timedelta(days=1), "closes_at": now + datetime.timedelta(days=7)}


def build_survey(actor, *, scope=Scope.COMMUNITY, place=None, anonymous=True, title="夜间照明意见征集", **window):
    """A survey with one question of each kind: single, multiple, scale, number, free text."""
    survey = services.survey_create(
        actor=actor, title=title, scope=scope, place=place, anonymous=anonymous, **(window or open_window())
    )
    q = SimpleNamespace(survey=survey)
    q.single = services.question_add(
        actor=actor,
        survey=survey,
        kind=QuestionKind.SINGLE,
        text="哪一段最需要改造？",
        choices=["主街", "楼道", "停车棚"],
    )
    q.multiple = services.question_add(
        actor=actor,
        survey=survey,
        kind=QuestionKind.MULTIPLE,
        text="遇到过哪些问题？",
        choices=["灯坏", "太暗", "太亮", "没有"],
    )
    q.scale = services.question_add(actor=actor, survey=survey, kind=QuestionKind.SCALE, text="满意吗？")
    q.number = services.question_add(
        actor=actor,
        survey=survey,
        kind=QuestionKind.NUMBER,
        text="每周几晚出门？",
        min_value=0,
        max_value=7,
        required=False,
    )
    q.text = services.question_add(actor=actor, survey=survey, kind=QuestionKind.TEXT, text="其他建议", required=False)
    q.choices = {question: list(question.choices.order_by("position")) for question in (q.single, q.multiple)}
    return q


def answers_for(q, *, single=0, multiple=(0,), scale=3, number=None, text=None):
    answers = [
        {"question": q.single.pk, "choices": [q.choices[q.single][single].pk]},
        {"question": q.multiple.pk, "choices": [q.choices[q.multiple][i].pk for i in multiple]},
        {"question": q.scale.pk, "value": scale},
    ]
    if number is not None:
        answers.append({"question": q.number.pk, "value": number})
    if text is not None:
        answers.append({"question": q.text.pk, "text": text})
    return answers


@pytest.fixture
def survey(city):
    return build_survey(city.staff, place=city.home)


def impressions_answers(survey, picks):
    """Answers to the impressions survey: {body key: choice value}."""
    questions = {q.key: q for q in survey.questions.prefetch_related("choices")}
    return [
        {
            "question": questions[key].pk,
            "choices": [next(c.pk for c in questions[key].choices.all() if c.value == value)],
        }
        for key, value in picks.items()
    ]


def participation_answers(survey, bucket, knowledge, taking_part):
    questions = {q.key: q for q in survey.questions.prefetch_related("choices")}
    activities = questions["activities_last_year"]
    return [
        {"question": activities.pk, "choices": [next(c.pk for c in activities.choices.all() if c.value == bucket)]},
        {"question": questions["knowledge_satisfaction"].pk, "value": knowledge},
        {"question": questions["taking_part_satisfaction"].pk, "value": taking_part},
    ]


@pytest.fixture
def measured(city):
    """Everything the dashboard and the evaluation indicators read, worked out by hand.

    Residents: home has resident, resident2 and home3; neighbour, across and far one each.
    - impressions (district survey): resident good/good/poor/don't know; resident2 all good;
      neighbour all average.
    - participation survey: resident "2-3", knowledge 2, taking part 1; resident2 "1", 3, 2.
    - activities in home: resident attended 2, resident2 1, everyone else none.
    - topics of home archived in the last 30 days: one on time, one late; ratings 4 and 5.
    """
    from deliberation import clock
    from deliberation import services as deliberation_services
    from deliberation.models import Rating
    from surveys.models import ReadyMade

    home3 = factories.resident(city.home, actor=city.admin, username="home3", birth_year=2000)
    window = open_window()
    impressions = services.survey_launch_ready_made(
        actor=city.evaluator, kind=ReadyMade.IMPRESSIONS, scope=Scope.DISTRICT, place=city.district, **window
    )
    participation = services.survey_launch_ready_made(
        actor=city.evaluator, kind=ReadyMade.PARTICIPATION, scope=Scope.DISTRICT, place=city.district, **window
    )
    bodies = ("party_organisation", "residents_committee", "deliberation_council", "service_centre")
    for who, picks in (
        (city.resident, ("good", "good", "poor", "dont_know")),
        (city.resident2, ("good", "good", "good", "good")),
        (city.neighbour_resident, ("average", "average", "average", "average")),
    ):
        services.response_submit(
            actor=who, survey=impressions, answers=impressions_answers(impressions, dict(zip(bodies, picks)))
        )
    services.response_submit(
        actor=city.resident, survey=participation, answers=participation_answers(participation, "2-3", 2, 1)
    )
    services.response_submit(
        actor=city.resident2, survey=participation, answers=participation_answers(participation, "1", 3, 2)
    )

    now = timezone.now()
    for days_ago, attendees in ((25, [city.resident]), (10, [city.resident, city.resident2])):
        starts = now - datetime.timedelta(days=days_ago)
        with time_machine.travel(starts - datetime.timedelta(days=5)):
            activity = services.activity_publish(
                actor=city.staff,
                community=city.home,
                theme="活动",
                category="culture",
                starts_at=starts,
                ends_at=starts + datetime.timedelta(hours=2),
                place="活动室",
                capacity=10,
            )
        services.attendance_record(actor=city.staff, activity=activity, users=attendees)

    body = "楼道灯坏了三个月，晚上老人上下楼很危险，希望尽快更换并加装声控开关。"
    with clock.travel(now - datetime.timedelta(days=60)):
        late = deliberation_services.topic_raise(actor=city.resident, community=city.home, title="换楼道灯", body=body)
    with clock.travel(now - datetime.timedelta(days=20)):
        deliberation_services.topic_withdraw(actor=city.resident, topic=late)
    with clock.travel(now - datetime.timedelta(days=10)):
        on_time = deliberation_services.topic_raise(
            actor=city.resident2, community=city.home, title="加装路灯", body=body
        )
    with clock.travel(now - datetime.timedelta(days=5)):
        deliberation_services.topic_withdraw(actor=city.resident2, topic=on_time)
    Rating.objects.create(topic=late, user=city.resident, score=4, created_at=now - datetime.timedelta(days=3))
    Rating.objects.create(topic=late, user=city.resident2, score=5, created_at=now - datetime.timedelta(days=3))
    return SimpleNamespace(home3=home3, impressions=impressions, participation=participation)
