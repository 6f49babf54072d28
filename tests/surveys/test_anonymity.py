"""An anonymous survey keeps no link from the answers to the person who gave them."""

import datetime

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

from core.errors import Conflict
from surveys import services
from surveys.models import Answer, Participation, Response

from .conftest import answers_for, build_survey

pytestmark = pytest.mark.django_db


def test_no_column_of_responses_or_answers_points_at_a_person_but_the_named_respondent():
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    for model in (Response, Answer):
        links = [f.name for f in model._meta.concrete_fields if f.is_relation and f.related_model is user_model]
        assert links == {Response: ["respondent"], Answer: ["hidden_by"]}[model]
    # Nor does the participation record point at the response.
    assert not [
        f for f in Participation._meta.concrete_fields if f.is_relation and f.related_model in (Response, Answer)
    ]


def test_an_anonymous_answer_stores_no_link_to_the_resident(city, survey):
    participations_before = set(Participation.objects.values_list("pk", flat=True))
    services.response_submit(actor=city.resident, survey=survey.survey, answers=answers_for(survey, text="我住3栋"))
    response = Response.objects.get(survey=survey.survey)
    assert response.respondent_id is None
    participation = Participation.objects.exclude(pk__in=participations_before).get()
    assert participation.user == city.resident
    # The response keeps only the day: no shared moment matches it with the participation.
    assert isinstance(response.submitted_on, datetime.date) and not isinstance(response.submitted_on, datetime.datetime)
    # Random keys: the order of rows says nothing either.
    assert len(str(response.pk)) == 36 and all(len(str(a.pk)) == 36 for a in response.answers.all())

    # In the stored rows, the columns that could name a person are empty.
    key = response.pk.hex if connection.vendor == "sqlite" else response.pk
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT respondent_id FROM {Response._meta.db_table} WHERE id = %s", [key])
        assert cursor.fetchall() == [(None,)]
        cursor.execute(f"SELECT hidden_by_id FROM {Answer._meta.db_table} WHERE response_id = %s", [key])
        assert cursor.fetchall() == [(None,)] * 4


def test_a_named_survey_keeps_the_respondent(city):
    q = build_survey(city.staff, place=city.home, anonymous=False)
    services.response_submit(actor=city.resident, survey=q.survey, answers=answers_for(q))
    assert Response.objects.get(survey=q.survey).respondent == city.resident


def test_one_answer_per_resident_holds_for_anonymous_surveys_too(city, survey):
    services.response_submit(actor=city.resident, survey=survey.survey, answers=answers_for(survey))
    with pytest.raises(Conflict):
        services.response_submit(actor=city.resident, survey=survey.survey, answers=answers_for(survey))
    assert Response.objects.filter(survey=survey.survey).count() == 1


def test_the_api_never_shows_who_answered(city, survey, api_client):
    services.response_submit(actor=city.resident, survey=survey.survey, answers=answers_for(survey, text="我住3栋"))
    api_client.force_authenticate(city.staff)
    body = api_client.get(f"/api/v1/surveys/{survey.survey.pk}/results/").content.decode()
    assert city.resident.username not in body and city.resident.display_name not in body
    assert str(city.resident.pk) not in [str(v) for v in Response.objects.values_list("respondent_id", flat=True)]
