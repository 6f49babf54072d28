"""Answering a survey through the API and the page: once, in scope, while open, well-formed."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from surveys.models import TEXT_ANSWER_MAX, Answer, Participation, Response, Scope, Survey

from .conftest import answers_for, build_survey

pytestmark = pytest.mark.django_db


def url(survey, suffix=""):
    return f"/api/v1/surveys/{survey.pk}/{suffix}"


def saved(survey):
    return (
        Participation.objects.filter(survey=survey).count(),
        Response.objects.filter(survey=survey).count(),
        Answer.objects.filter(question__survey=survey).count(),
    )


def post(api_client, user, survey, answers):
    api_client.force_authenticate(user)
    return api_client.post(url(survey, "responses/"), {"answers": answers}, format="json")


def test_list_filters_by_community_and_detail_has_questions_with_choices(api_client, city, survey):
    city_wide = build_survey(city.admin, scope=Scope.CITY, title="全市调查").survey
    far_only = build_survey(city.far_staff, place=city.far, title="明月村调查").survey

    listed = api_client.get("/api/v1/surveys/", {"community": city.home.pk})
    assert listed.status_code == 200
    assert {item["id"] for item in listed.json()["results"]} == {survey.survey.pk, city_wide.pk}
    assert far_only.pk not in {item["id"] for item in listed.json()["results"]}
    assert set(listed.json()) == {"count", "next", "previous", "results"}

    detail = api_client.get(url(survey.survey)).json()
    assert detail["state"] == "open" and detail["anonymous"] is True and detail["scope"] == "community"
    kinds = [q["kind"] for q in detail["questions"]]
    assert kinds == ["single", "multiple", "scale", "number", "text"]
    assert [c["label"] for c in detail["questions"][0]["choices"]] == ["主街", "楼道", "停车棚"]
    assert detail["questions"][3]["required"] is False


def test_unknown_filter_values_are_400(api_client, city):
    assert api_client.get("/api/v1/surveys/", {"community": 999999}).status_code == 400
    assert api_client.get("/api/v1/surveys/", {"state": "sometime"}).status_code == 400
    assert api_client.get("/api/v1/surveys/", {"community": "abc"}).status_code == 400


def test_a_resident_answers_once_the_second_time_is_409(api_client, city, survey):
    response = post(api_client, city.resident, survey.survey, answers_for(survey, number=2, text="装声控灯"))
    assert response.status_code == 201, response.content
    assert response.json() == {
        "survey": survey.survey.pk,
        "submitted_on": timezone.localdate().isoformat(),
        "anonymous": True,
    }
    assert saved(survey.survey) == (1, 1, 5)

    again = post(api_client, city.resident, survey.survey, answers_for(survey, scale=5))
    assert again.status_code == 409
    assert "already answered" in again.json()["detail"]
    assert saved(survey.survey) == (1, 1, 5)


def test_not_logged_in_is_401(api_client, survey):
    response = api_client.post(url(survey.survey, "responses/"), {"answers": answers_for(survey)}, format="json")
    assert response.status_code == 401


@pytest.mark.parametrize(
    "who",
    ["neighbour_resident", "far_resident", "staff", "street_official", "evaluator", "outsider"],
)
def test_only_residents_of_the_scope_answer(api_client, city, survey, who):
    response = post(api_client, getattr(city, who), survey.survey, answers_for(survey))
    assert response.status_code == 403
    assert "residents of 玉林东路社区" in response.json()["detail"]
    assert saved(survey.survey) == (0, 0, 0)


@pytest.mark.parametrize(
    "scope, place, answering, refused",
    [
        (Scope.STREET, "street", ["resident", "neighbour_resident"], ["across_resident", "far_resident"]),
        (Scope.DISTRICT, "district", ["resident", "across_resident"], ["far_resident"]),
        (Scope.CITY, None, ["resident", "far_resident"], []),
    ],
)
def test_wider_scopes_reach_their_residents(api_client, city, scope, place, answering, refused):
    builder = city.admin
    q = build_survey(builder, scope=scope, place=getattr(city, place) if place else None)
    for who in answering:
        assert post(api_client, getattr(city, who), q.survey, answers_for(q)).status_code == 201
    for who in refused:
        assert post(api_client, getattr(city, who), q.survey, answers_for(q)).status_code == 403


def test_closed_and_not_yet_open_surveys_take_no_answers(api_client, city):
    now = timezone.now()
    closed = build_survey(
        city.staff,
        place=city.home,
        opens_at=now - datetime.timedelta(days=9),
        closes_at=now - datetime.timedelta(days=1),
    )
    later = build_survey(
        city.staff,
        place=city.home,
        opens_at=now + datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=9),
    )
    response = post(api_client, city.resident, closed.survey, answers_for(closed))
    assert response.status_code == 409 and "closed on" in response.json()["detail"]
    response = post(api_client, city.resident, later.survey, answers_for(later))
    assert response.status_code == 409 and "opens on" in response.json()["detail"]
    assert saved(closed.survey) == saved(later.survey) == (0, 0, 0)


def test_the_survey_closes_at_its_closing_time(api_client, city, survey):
    with time_machine.travel(survey.survey.closes_at + datetime.timedelta(seconds=1)):
        assert post(api_client, city.resident, survey.survey, answers_for(survey)).status_code == 409


def bad(q, other):
    """Submissions that must be refused, each with the question whose error names it."""
    base = answers_for(q)
    return {
        "missing required": ([a for a in base if a["question"] != q.scale.pk], q.scale),
        "choice of another question": (
            [{**base[0], "choices": [q.choices[q.multiple][0].pk]}, *base[1:]],
            q.single,
        ),
        "choice of another survey": (
            [{**base[0], "choices": [other.choices[other.single][0].pk]}, *base[1:]],
            q.single,
        ),
        "two choices for a single choice": (
            [{**base[0], "choices": [c.pk for c in q.choices[q.single][:2]]}, *base[1:]],
            q.single,
        ),
        "scale out of range": ([*base[:2], {"question": q.scale.pk, "value": 6}], q.scale),
        "number out of range": ([*base, {"question": q.number.pk, "value": 8}], q.number),
        "text too long": ([*base, {"question": q.text.pk, "text": "长" * (TEXT_ANSWER_MAX + 1)}], q.text),
        "text for a choice question": ([{"question": q.single.pk, "text": "主街"}, *base[1:]], q.single),
        "value for a text question": ([*base, {"question": q.text.pk, "value": 3}], q.text),
        "question answered twice": ([*base, base[2]], q.scale),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing required",
        "choice of another question",
        "choice of another survey",
        "two choices for a single choice",
        "scale out of range",
        "number out of range",
        "text too long",
        "text for a choice question",
        "value for a text question",
        "question answered twice",
    ],
)
def test_bad_answers_are_400_naming_the_question_and_nothing_is_saved(api_client, city, survey, case):
    other = build_survey(city.staff, place=city.home, title="另一个调查")
    answers, question = bad(survey, other)[case]
    response = post(api_client, city.resident, survey.survey, answers)
    assert response.status_code == 400, response.content
    assert f"question-{question.pk}" in response.json()
    assert saved(survey.survey) == (0, 0, 0)
    # Nothing holds the resident back from answering properly afterwards.
    assert post(api_client, city.resident, survey.survey, answers_for(survey)).status_code == 201


def test_text_over_the_limit_says_how_long_it_is(api_client, city, survey):
    answers = [*answers_for(survey), {"question": survey.text.pk, "text": "长" * 2001}]
    message = post(api_client, city.resident, survey.survey, answers).json()[f"question-{survey.text.pk}"][0]
    assert "2000 characters" in message and "2001" in message


def test_a_question_of_another_survey_is_400(api_client, city, survey):
    other = build_survey(city.staff, place=city.home, title="另一个调查")
    answers = [*answers_for(survey), {"question": other.text.pk, "text": "hello"}]
    response = post(api_client, city.resident, survey.survey, answers)
    assert response.status_code == 400
    assert "is not part of this survey" in response.json()["answers"][0]


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"answers": "all good"},
        {"answers": [{"choices": [1]}]},
        {"answers": [{"question": "first", "value": 2}]},
        {"answers": [{"question": 1, "choices": "1"}]},
        {"answers": [{"question": 1, "value": "three"}]},
    ],
)
def test_malformed_payloads_are_400(api_client, city, survey, payload):
    api_client.force_authenticate(city.resident)
    response = api_client.post(url(survey.survey, "responses/"), payload, format="json")
    assert response.status_code == 400
    assert saved(survey.survey) == (0, 0, 0)


def test_unknown_survey_is_404(api_client, city):
    api_client.force_authenticate(city.resident)
    assert api_client.post("/api/v1/surveys/999999/responses/", {"answers": []}, format="json").status_code == 404


# The page -------------------------------------------------------------------------------


def form_data(q, **overrides):
    data = {
        f"question-{q.single.pk}": q.choices[q.single][1].pk,
        f"question-{q.multiple.pk}": [q.choices[q.multiple][0].pk, q.choices[q.multiple][2].pk],
        f"question-{q.scale.pk}": 2,
        f"question-{q.number.pk}": "",
        f"question-{q.text.pk}": "",
    }
    data.update(overrides)
    return data


def test_the_page_answers_without_javascript(client, city, survey):
    client.force_login(city.resident)
    page = client.get(survey.survey.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert f'name="question-{survey.single.pk}"' in html and 'type="radio"' in html and 'type="checkbox"' in html
    assert "<script" not in html.split("<main", 1)[1]

    response = client.post(
        survey.survey.get_absolute_url(), form_data(survey, **{f"question-{survey.text.pk}": "<b>亮一点</b>"})
    )
    assert response.status_code == 302
    answers = Answer.objects.filter(question__survey=survey.survey)
    assert {a.choice_id for a in answers if a.question_id == survey.multiple.pk} == {
        survey.choices[survey.multiple][0].pk,
        survey.choices[survey.multiple][2].pk,
    }
    assert answers.get(question=survey.text).text == "<b>亮一点</b>"
    after = client.get(survey.survey.get_absolute_url())
    assert "You have already answered this survey" in after.content.decode()
    assert "Thank you: your answers are saved." in after.content.decode()


def test_the_page_shows_errors_beside_their_questions(client, city, survey):
    client.force_login(city.resident)
    response = client.post(survey.survey.get_absolute_url(), form_data(survey, **{f"question-{survey.scale.pk}": ""}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "This question needs an answer." in html
    assert f'href="#question-{survey.scale.pk}"' in html
    assert saved(survey.survey) == (0, 0, 0)


def test_a_second_answer_from_the_page_gets_a_friendly_409(client, city, survey):
    client.force_login(city.resident)
    assert client.post(survey.survey.get_absolute_url(), form_data(survey)).status_code == 302
    again = client.post(survey.survey.get_absolute_url(), form_data(survey))
    assert again.status_code == 409
    assert "You have already answered this survey. Thank you!" in again.content.decode()
    assert saved(survey.survey)[0] == 1


def test_the_page_tells_others_why_they_cannot_answer(client, city, survey):
    assert "Log in as a verified resident" in client.get(survey.survey.get_absolute_url()).content.decode()
    client.force_login(city.neighbour_resident)
    page = client.get(survey.survey.get_absolute_url())
    assert "This survey is for the verified residents of 玉林东路社区." in page.content.decode()
    refused = client.post(survey.survey.get_absolute_url(), form_data(survey))
    assert refused.status_code == 403
    assert saved(survey.survey) == (0, 0, 0)


def test_a_closed_survey_page_says_so(client, city):
    now = timezone.now()
    closed = build_survey(
        city.staff,
        place=city.home,
        opens_at=now - datetime.timedelta(days=9),
        closes_at=now - datetime.timedelta(days=1),
    )
    client.force_login(city.resident)
    page = client.get(closed.survey.get_absolute_url())
    assert "This survey has closed" in page.content.decode()
    assert "See the results" in page.content.decode()
    assert client.post(closed.survey.get_absolute_url(), form_data(closed)).status_code == 409


def test_survey_list_shows_what_concerns_the_resident(client, city, survey):
    build_survey(city.far_staff, place=city.far, title="明月村调查")
    client.force_login(city.resident)
    html = client.get("/surveys/").content.decode()
    assert survey.survey.title in html and "明月村调查" not in html
    assert client.get("/surveys/?page=9").status_code == 404
    assert Survey.objects.count() == 2
