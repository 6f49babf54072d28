"""Two people acting at once, on PostgreSQL where rows are really locked and constraints really race."""

import datetime

import pytest
from django.utils import timezone

from core.errors import Conflict
from surveys import services
from surveys.models import ActivityCategory, Answer, Participation, Response, SignUp
from tests.fixtures.races import race

from .conftest import answers_for, build_survey

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("anonymous", [True, False])
@pytest.mark.parametrize("attempt", range(2))
def test_two_answers_from_one_resident_at_once_one_is_kept(city, anonymous, attempt):
    q = build_survey(city.staff, place=city.home, anonymous=anonymous)
    results = race(
        lambda: services.response_submit(actor=city.resident, survey=q.survey, answers=answers_for(q, scale=1)),
        lambda: services.response_submit(actor=city.resident, survey=q.survey, answers=answers_for(q, scale=5)),
    )
    winners = [r for r in results if isinstance(r, Response)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(conflicts) == 1, results
    assert Participation.objects.filter(survey=q.survey).count() == 1
    assert Response.objects.filter(survey=q.survey).count() == 1
    assert Answer.objects.filter(question__survey=q.survey).count() == 3


@pytest.mark.parametrize("attempt", range(2))
def test_two_residents_take_the_last_place_one_gets_it(city, attempt):
    starts = timezone.now() + datetime.timedelta(days=2)
    activity = services.activity_publish(
        actor=city.staff,
        community=city.home,
        theme="最后一个名额",
        category=ActivityCategory.CULTURE,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        place="活动室",
        capacity=2,
    )
    services.signup_take(actor=city.resident2, activity=activity)
    results = race(
        lambda: services.signup_take(actor=city.resident, activity=activity),
        lambda: services.signup_take(actor=city.home_third, activity=activity),
    )
    winners = [r for r in results if isinstance(r, tuple)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(conflicts) == 1, results
    assert SignUp.objects.filter(activity=activity, cancelled_at__isnull=True).count() == 2


@pytest.fixture
def city(city):
    from tests import factories

    city.home_third = factories.resident(city.home, actor=city.admin, username="home_third")
    return city
