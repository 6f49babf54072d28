"""Two people acting on the same thing at once, on PostgreSQL where rows are really locked."""

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import Conflict
from deliberation import services
from deliberation.models import ObserverRegistration, TrailEntry, TrailKind
from deliberation.workflow import Step
from tests import factories
from tests.fixtures.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("attempt", range(3))
def test_two_staff_advance_one_topic_one_wins(flow, world, attempt):
    second_staff = factories.staff_member(world.community, actor=world.superuser)
    topic = flow.raise_topic()
    results = race(
        lambda: services.topic_advance(actor=world.staff, topic=topic, to=Step.REVIEW),
        lambda: services.topic_advance(actor=second_staff, topic=topic, to=Step.REVIEW),
    )
    conflicts = [r for r in results if isinstance(r, Conflict)]
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1 and len(conflicts) == 1, results
    topic.refresh_from_db()
    assert topic.step == Step.REVIEW
    assert TrailEntry.objects.filter(topic=topic, kind=TrailKind.STEP).count() == 1


def test_two_moves_from_one_step_only_one_happens(flow, world):
    """Staff send a topic to review while its author withdraws it: one of the two, never both."""
    topic = flow.raise_topic()
    results = race(
        lambda: services.topic_advance(actor=world.staff, topic=topic, to=Step.REVIEW),
        lambda: services.topic_withdraw(actor=world.author, topic=topic),
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert all(isinstance(r, (Conflict, PermissionDenied)) for r in results if isinstance(r, Exception))
    assert TrailEntry.objects.filter(topic=topic, kind=TrailKind.STEP).count() == 1


@pytest.mark.parametrize("attempt", range(3))
def test_two_residents_take_the_last_gallery_seat_one_gets_it(flow, world, attempt):
    meeting = flow.meeting(observer_seats=2)
    services.observer_register(actor=world.author, meeting=meeting)
    results = race(
        lambda: services.observer_register(actor=world.resident, meeting=meeting),
        lambda: services.observer_register(actor=world.supervisor, meeting=meeting),
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    assert ObserverRegistration.objects.filter(meeting=meeting, cancelled_at__isnull=True).count() == 2


def test_concurrent_comments_keep_one_unbroken_chain(flow, world):
    from deliberation import trail

    topic = flow.raise_topic()
    people = [world.resident, world.author, world.supervisor, *world.council]
    results = race(*[lambda p=p: services.comment_post(actor=p, topic=topic, body=f"{p.pk}的意见") for p in people])
    assert not [r for r in results if isinstance(r, Exception)]
    assert list(TrailEntry.objects.filter(topic=topic).values_list("seq", flat=True)) == list(range(1, len(people) + 2))
    assert trail.verify().intact


def test_two_schedulers_create_each_deliberation_day_once(world):
    from deliberation.models import Meeting

    results = race(services.deliberation_days_ensure, services.deliberation_days_ensure)
    assert not [r for r in results if isinstance(r, Exception)], results
    per_month = Meeting.objects.filter(is_deliberation_day=True).values_list("community_id", "deliberation_month")
    assert len(per_month) == len(set(per_month)) > 0
    assert sum(results) == len(per_month)
