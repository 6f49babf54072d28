import pytest
from django.core.management import call_command

from deliberation import selectors, services, trail
from deliberation.models import TrailEntry, TrailKind
from deliberation.workflow import STEPS, Outcome, Step

pytestmark = pytest.mark.django_db


def test_a_topic_goes_through_all_seven_steps(flow, world):
    topic = flow.at(Step.ARCHIVE)
    assert topic.step == Step.ARCHIVE
    assert topic.outcome == Outcome.ADOPTED
    assert topic.archived_at is not None
    assert topic.resolution.startswith("同意")
    history = selectors.topic_history(topic)
    assert [h["to"] for h in history] == [s.value for s in STEPS]
    assert [h["from"] for h in history] == [None, *[s.value for s in STEPS[:-1]]]
    assert all(len(h["hash"]) == 64 for h in history)
    assert history[-1]["by"] == world.staff.name
    kinds = list(TrailEntry.objects.filter(topic=topic).values_list("kind", flat=True))
    for kind in (TrailKind.AGENDA, TrailKind.ATTENDANCE, TrailKind.VOTE, TrailKind.TASK, TrailKind.PROGRESS):
        assert kind in kinds
    report = trail.verify()
    assert report.intact, report.broken
    assert report.chains == 1
    call_command("verify_trail")


def test_record_of_an_archived_topic_is_complete(flow, world):
    topic = flow.at(Step.EVALUATE)
    services.rating_give(actor=world.resident, topic=topic, score=4, comment="灯亮了")
    topic = flow.archive(topic)
    record = selectors.topic_record(topic)
    assert record["topic"]["step"] == "archive"
    assert record["meetings"][0]["vote"]["for"] == 3
    assert record["meetings"][0]["attendance"]
    assert record["tasks"][0]["percent"] == 100
    assert record["ratings"]["count"] == 1
    assert record["trail"][-1]["hash"] == selectors.topic_history(topic)[-1]["hash"]
