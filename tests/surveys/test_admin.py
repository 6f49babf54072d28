"""The admin as the workspace: surveys built with their questions, ready-made surveys launched in
one action, lists scoped to one's area, every write through the services."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from surveys import services
from surveys.models import Activity, Answer, Choice, EvaluationRound, Indicator, ReadyMade, Score, Survey

from .conftest import answers_for, build_survey

pytestmark = pytest.mark.django_db


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def survey_form(city, **overrides):
    now = timezone.now()
    data = {
        "title": "楼道改造意见",
        "description": "",
        "scope": "community",
        "community": city.home.pk,
        "street": "",
        "district": "",
        "opens_at_0": local(now).split()[0],
        "opens_at_1": local(now).split()[1],
        "closes_at_0": local(now + datetime.timedelta(days=10)).split()[0],
        "closes_at_1": local(now + datetime.timedelta(days=10)).split()[1],
        "anonymous": "on",
        "questions-TOTAL_FORMS": "2",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
        "questions-0-position": "1",
        "questions-0-text": "最需要改什么？",
        "questions-0-kind": "single",
        "questions-0-required": "on",
        "questions-0-choices_text": "楼道灯\n扶手\n墙面",
        "questions-1-position": "2",
        "questions-1-text": "其他意见",
        "questions-1-kind": "text",
        "questions-1-choices_text": "",
    }
    data.update(overrides)
    return data


def test_staff_build_a_survey_with_its_questions(city, client):
    client.force_login(city.staff)
    response = client.post("/admin/surveys/survey/add/", survey_form(city))
    assert response.status_code == 302, response.content.decode()[:3000]
    survey = Survey.objects.get(title="楼道改造意见")
    assert (survey.scope, survey.community, survey.created_by) == ("community", city.home, city.staff)
    assert list(survey.questions.values_list("text", "kind", "required")) == [
        ("最需要改什么？", "single", True),
        ("其他意见", "text", False),
    ]
    assert list(Choice.objects.filter(question__survey=survey).values_list("label", flat=True)) == [
        "楼道灯",
        "扶手",
        "墙面",
    ]


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"community": ""}, "Choose the community the survey is for."),
        ({"scope": "street", "street": "STREET"}, "Select a valid choice"),
        ({"community": "NEIGHBOUR"}, "Select a valid choice"),
        ({"questions-0-choices_text": "只有一个"}, "A choice question needs at least two choices."),
        ({"questions-1-choices_text": "多余"}, "Only single- and multiple-choice questions have choices."),
        ({"closes_at_0": "2000-01-01"}, "The survey must close after it opens."),
    ],
)
def test_bad_surveys_are_refused_in_the_form(city, client, overrides, error):
    overrides = {
        key: {"STREET": city.street.pk, "NEIGHBOUR": city.neighbour.pk}.get(value, value)
        for key, value in overrides.items()
    }
    client.force_login(city.staff)
    response = client.post("/admin/surveys/survey/add/", survey_form(city, **overrides))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Survey.objects.exists()


def test_questions_are_read_only_once_answered(city, client, survey):
    services.response_submit(actor=city.resident, survey=survey.survey, answers=answers_for(survey))
    client.force_login(city.staff)
    page = client.get(f"/admin/surveys/survey/{survey.survey.pk}/change/")
    assert page.status_code == 200
    assert 'name="questions-0-text"' not in page.content.decode()


def test_launch_a_ready_made_survey_in_one_action(city, client):
    client.force_login(city.evaluator)
    now = timezone.now()
    page = client.get("/admin/surveys/survey/launch/")
    assert page.status_code == 200
    response = client.post(
        "/admin/surveys/survey/launch/",
        {
            "kind": ReadyMade.IMPRESSIONS,
            "scope": "district",
            "district": city.district.pk,
            "opens_at": local(now),
            "closes_at": local(now + datetime.timedelta(days=30)),
            "anonymous": "on",
        },
    )
    assert response.status_code == 302
    survey = Survey.objects.get(ready_made=ReadyMade.IMPRESSIONS)
    assert (survey.scope, survey.district, survey.anonymous) == ("district", city.district, True)
    keys = list(survey.questions.values_list("key", flat=True))
    assert keys == ["party_organisation", "residents_committee", "deliberation_council", "service_centre"]
    assert list(survey.questions.first().choices.values_list("value", flat=True)) == [
        "good",
        "average",
        "poor",
        "dont_know",
    ]

    refused = client.post(
        "/admin/surveys/survey/launch/",
        {
            "kind": ReadyMade.PARTICIPATION,
            "scope": "district",
            "district": city.other_district.pk,
            "opens_at": local(now),
            "closes_at": local(now + datetime.timedelta(days=30)),
        },
    )
    assert refused.status_code == 200
    assert Survey.objects.count() == 1
    client.force_login(city.resident)
    assert client.get("/admin/surveys/survey/launch/").status_code == 302  # to the admin login


def test_ready_made_participation_survey(city):
    survey = services.survey_launch_ready_made(
        actor=city.admin,
        kind=ReadyMade.PARTICIPATION,
        scope="city",
        closes_at=timezone.now() + datetime.timedelta(days=9),
    )
    questions = list(survey.questions.all())
    assert [q.key for q in questions] == ["activities_last_year", "knowledge_satisfaction", "taking_part_satisfaction"]
    assert [q.kind for q in questions] == ["single", "scale", "scale"]
    assert list(questions[0].choices.values_list("value", flat=True)) == ["0", "1", "2-3", "4-6", "7-or-more"]
    with pytest.raises(ValidationError):
        services.survey_launch_ready_made(
            actor=city.admin, kind="mood", scope="city", closes_at=timezone.now() + datetime.timedelta(days=9)
        )


def test_admin_lists_are_scoped(city, client):
    home = build_survey(city.staff, place=city.home, title="本社区调查").survey
    far = build_survey(city.far_staff, place=city.far, title="明月村调查").survey
    client.force_login(city.staff)
    html = client.get("/admin/surveys/survey/").content.decode()
    assert "本社区调查" in html and "明月村调查" not in html
    assert client.get(f"/admin/surveys/survey/{far.pk}/change/").status_code == 302  # not in the list: "does not exist"
    client.force_login(city.district_official)
    html = client.get("/admin/surveys/survey/").content.decode()
    assert "本社区调查" in html and "明月村调查" not in html
    page = client.get(f"/admin/surveys/survey/{home.pk}/change/")
    assert page.status_code == 200 and 'name="title"' not in page.content.decode()  # officials read


def test_hide_answers_from_the_admin(city, client, survey):
    services.response_submit(actor=city.resident, survey=survey.survey, answers=answers_for(survey, text="骂人的话"))
    answer = Answer.objects.get(text="骂人的话")
    client.force_login(city.staff)
    response = client.post("/admin/surveys/answer/", {"action": "hide", "_selected_action": [str(answer.pk)]})
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.is_hidden and answer.hidden_by == city.staff
    client.force_login(city.neighbour_staff)
    assert "骂人的话" not in client.get("/admin/surveys/answer/").content.decode()


def test_staff_publish_an_activity_in_the_admin(city, client):
    starts = timezone.now() + datetime.timedelta(days=3)
    client.force_login(city.staff)
    data = {
        "community": city.home.pk,
        "theme": "坝坝宴邻里节",
        "category": "festival",
        "description": "",
        "starts_at_0": local(starts).split()[0],
        "starts_at_1": local(starts).split()[1],
        "ends_at_0": local(starts + datetime.timedelta(hours=3)).split()[0],
        "ends_at_1": local(starts + datetime.timedelta(hours=3)).split()[1],
        "place": "小区中心广场",
        "capacity": "80",
        "organiser": "",
        "signups-TOTAL_FORMS": "0",
        "signups-INITIAL_FORMS": "0",
        "attendances-TOTAL_FORMS": "0",
        "attendances-INITIAL_FORMS": "0",
    }
    response = client.post("/admin/surveys/activity/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    activity = Activity.objects.get(theme="坝坝宴邻里节")
    assert activity.created_by == city.staff and len(activity.check_in_code) == 6
    refused = client.post("/admin/surveys/activity/add/", {**data, "community": city.neighbour.pk})
    assert refused.status_code == 200
    assert Activity.objects.count() == 1


def test_evaluator_computes_scores_and_publishes_in_the_admin(city, client, measured):
    evaluation_round = services.round_create(
        actor=city.evaluator,
        engagement=city.engagement,
        title="后台评估",
        period_start=timezone.localdate() - datetime.timedelta(days=30),
        period_end=timezone.localdate(),
        indicators=[
            {"name": "好感度", "source": Indicator.BODY_IMPRESSIONS, "weight": 1},
            {"name": "创新", "source": Indicator.MANUAL, "weight": 1},
        ],
    )
    client.force_login(city.evaluator)
    assert (
        client.post(
            "/admin/surveys/evaluationround/", {"action": "compute", "_selected_action": [evaluation_round.pk]}
        ).status_code
        == 302
    )
    assert Score.objects.filter(indicator__round=evaluation_round).count() == 3
    manual = evaluation_round.indicators.get(source=Indicator.MANUAL)
    for community in (city.home, city.neighbour, city.across):
        response = client.post(
            "/admin/surveys/score/add/",
            {"indicator": manual.pk, "community": community.pk, "value": "66", "evidence": "查阅台账"},
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    no_evidence = client.post(
        "/admin/surveys/score/add/", {"indicator": manual.pk, "community": city.home.pk, "value": "10", "evidence": ""}
    )
    assert no_evidence.status_code == 200
    assert (
        client.post(
            "/admin/surveys/evaluationround/", {"action": "publish", "_selected_action": [evaluation_round.pk]}
        ).status_code
        == 302
    )
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == EvaluationRound.Status.PUBLISHED
    client.force_login(city.staff)
    assert "后台评估" in client.get("/admin/surveys/evaluationround/").content.decode()
    client.force_login(city.far_staff)
    assert "后台评估" not in client.get("/admin/surveys/evaluationround/").content.decode()


def test_every_ready_made_choice_value_fits_its_own_slug_field():
    """Issue 15: the participation survey's `7+` broke the pattern the schema gives a choice's value."""
    from django.core.validators import validate_slug

    from surveys import ready_made

    for definition in ready_made.DEFINITIONS.values():
        for question in definition.questions:
            for value, _label in question.choices:
                validate_slug(value)
