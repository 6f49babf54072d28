"""Every (from, to) pair of the seven steps x every role: who may move a topic, and a skipped
step is always refused. Each role tries in a savepoint that is rolled back, on a topic whose
guard for that move holds nothing back, so only the table and the roles decide."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from core.errors import Conflict
from deliberation import services
from deliberation.models import TrailEntry
from deliberation.workflow import STEPS, TRANSITIONS, Step

pytestmark = pytest.mark.django_db

ROLES = ["staff", "superuser", "author", "resident", "council", "official", "other_staff", "anonymous"]


def expected(role, source, target):
    valid = (source, target) in TRANSITIONS
    if role in ("staff", "superuser"):
        if not valid:
            return "conflict"
        # Only its author withdraws a topic.
        return "forbidden" if (source, target) == (Step.COLLECT, Step.ARCHIVE) else "moved"
    if role == "author":
        if (source, target) == (Step.COLLECT, Step.ARCHIVE):
            return "moved"
        # Too late to withdraw: a state conflict, not a missing right.
        return "conflict" if target == Step.ARCHIVE else "forbidden"
    return "forbidden"


def actor(world, role):
    return world.council[0] if role == "council" else getattr(world, role)


def attempt(world, topic, role, target):
    try:
        with transaction.atomic():
            services.topic_advance(actor=actor(world, role), topic=topic, to=target, note="理由")
            transaction.set_rollback(True)
    except PermissionDenied:
        return "forbidden"
    except Conflict:
        return "conflict"
    return "moved"


@pytest.mark.parametrize(("source", "target"), list(itertools.product(STEPS, STEPS)), ids=lambda s: s.value)
def test_every_move_for_every_role(flow, world, source, target):
    valid = (source, target) in TRANSITIONS
    topic = flow.ready_to_leave(source, target) if valid else flow.at(source)
    trail_length = TrailEntry.objects.filter(topic=topic).count()
    results = {role: attempt(world, topic, role, target) for role in ROLES}
    wanted = {role: expected(role, source, target) for role in ROLES}
    assert results == wanted
    topic.refresh_from_db()
    assert topic.step == source
    assert TrailEntry.objects.filter(topic=topic).count() == trail_length


def test_the_table_never_skips_a_step():
    for (source, target), move in TRANSITIONS.items():
        forward = STEPS.index(target) == STEPS.index(source) + 1
        assert forward or (target == Step.ARCHIVE and move.outcome is not None), (source, target)
