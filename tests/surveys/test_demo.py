"""The small demo reproduces what the source article measured (DOMAIN.md), within 3 points."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from communities.permissions import can
from surveys import ready_made, selectors, services
from surveys.models import Attendance, EvaluationRound, Participation, ReadyMade, Survey
from tests.surveys.figures import surveys_figures

User = get_user_model()

ARTICLE = {
    "party_organisation": 63.35,
    "residents_committee": 70.74,
    "deliberation_council": 29.26,
    "service_centre": 39.2,
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def figures(demo, db):
    return surveys_figures()


def test_the_step_reports_what_it_created(demo):
    assert "surveys.demo.seed: created" in demo


@pytest.mark.parametrize("body", sorted(ARTICLE))
def test_good_impressions_match_the_article(figures, body):
    assert abs(figures["satisfaction_by_body"][body] - ARTICLE[body]) <= 3
    # The shares are allocated exactly; only rounding stands between them and the article.
    assert abs(figures["satisfaction_by_body"][body] - ARTICLE[body]) <= 0.5


def test_about_forty_percent_take_part_fewer_than_twice_a_year(figures):
    activities = figures["activity_participation"]
    assert abs(activities["under_2"] - 40) <= 3
    assert activities["residents"] > 1000
    # What residents report in the survey agrees with the attendance records.
    assert abs(figures["information_satisfaction"]["reported_activities"]["under_2"] - activities["under_2"]) <= 3


def test_residents_are_dissatisfied_with_knowing_and_taking_part(figures):
    information = figures["information_satisfaction"]
    assert information["knowledge_satisfaction"]["mean"] < 3
    assert information["taking_part_satisfaction"]["mean"] < 3
    assert information["knowledge_satisfaction"]["dissatisfied"] > information["knowledge_satisfaction"]["satisfied"]


def test_reported_activities_come_from_attendance(demo, db):
    survey = Survey.objects.get(ready_made=ReadyMade.PARTICIPATION)
    attended = {}
    for user_id in Attendance.objects.values_list("user_id", flat=True):
        attended[user_id] = attended.get(user_id, 0) + 1
    respondents = list(Participation.objects.filter(survey=survey).values_list("user_id", flat=True))
    buckets = {}
    for user_id in respondents:
        bucket = ready_made.activity_bucket(attended.get(user_id, 0))
        buckets[bucket] = buckets.get(bucket, 0) + 1
    reported = surveys_figures()["information_satisfaction"]["reported_activities"]["buckets"]
    assert reported == {value: buckets.get(value, 0) for value in ready_made.ACTIVITY_BUCKET_VALUES}


@pytest.mark.parametrize("username", ["resident", "resident2"])
def test_demo_residents_can_still_answer(demo, db, username):
    person = User.objects.get(username=username)
    assert not Participation.objects.filter(user=person).exists()
    open_ones = [s for s in selectors.surveys_for(person) if s.is_open and can(person, "survey.answer", s)]
    assert len(open_ones) >= 3
    impressions = next(s for s in open_ones if s.ready_made == ReadyMade.IMPRESSIONS)
    answers = [
        {"question": q.pk, "choices": [q.choices.get(value=ready_made.GOOD).pk]} for q in impressions.questions.all()
    ]
    with transaction.atomic():
        services.response_submit(actor=person, survey=impressions, answers=answers)
        transaction.set_rollback(True)


def test_a_published_evaluation_round_ranks_the_first_district(demo, db):
    published = EvaluationRound.objects.get(status=EvaluationRound.Status.PUBLISHED)
    indicators, rows = selectors.round_ranking(published)
    assert len(indicators) == 6 and len(rows) >= 5
    assert all(row["total"] is not None for row in rows)
    assert EvaluationRound.objects.filter(status=EvaluationRound.Status.DRAFT).exists()
