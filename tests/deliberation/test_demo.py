"""The demo data: a topic in every step and one told in full, a real trail, bulk chains that verify."""

import io
import random

import pytest
from django.core.management import call_command
from faker import Faker

from civic import demo as civic_demo
from communities.models import Community
from deliberation import demo, selectors, trail
from deliberation.models import Comment, Meeting, Topic
from deliberation.workflow import STEPS, Outcome, Step

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_demo():
    civic_demo.run_steps(civic_demo.SMALL, io.StringIO())
    return Community.objects.order_by("code").first()


def test_the_deliberation_step_is_registered():
    assert "deliberation.demo.seed" in civic_demo.DEMO_STEPS


def test_first_community_holds_a_topic_in_every_step(small_demo):
    steps = set(Topic.objects.filter(community=small_demo).values_list("step", flat=True))
    assert steps == {s.value for s in STEPS}
    assert Topic.objects.filter(community=small_demo).overdue().exists()
    assert Topic.objects.exclude(community=small_demo).exists()
    outcomes = set(Topic.objects.filter(community=small_demo, step=Step.ARCHIVE).values_list("outcome", flat=True))
    assert outcomes == {Outcome.ADOPTED, Outcome.REJECTED, Outcome.VOTED_DOWN, Outcome.WITHDRAWN}


def test_one_archived_topic_went_through_all_seven_with_its_whole_record(small_demo):
    topic = Topic.objects.get(community=small_demo, step=Step.ARCHIVE, outcome=Outcome.ADOPTED)
    assert [h["to"] for h in selectors.topic_history(topic)] == [s.value for s in STEPS]
    record = selectors.topic_record(topic)
    meeting = record["meetings"][0]
    assert meeting["status"] == Meeting.Status.HELD and meeting["minutes"]
    assert any(a["status"] == "present" for a in meeting["attendance"])
    assert meeting["vote"]["passed"] and meeting["vote"]["quorum_met"]
    assert record["objections"] and all(o["answer"] for o in record["objections"])
    assert record["tasks"] and all(t["done_at"] for t in record["tasks"])
    assert record["ratings"]["count"] >= 5
    assert len(record["comments"]) >= 5 and record["supports"] > 0


def test_demo_trail_verifies_and_a_second_run_changes_nothing(small_demo):
    assert trail.verify().intact
    call_command("verify_trail", stdout=io.StringIO())
    counts = Topic.objects.count(), Comment.objects.count()
    assert demo.seed("small", random.Random(1), Faker("zh_CN"), io.StringIO()) == {}
    assert (Topic.objects.count(), Comment.objects.count()) == counts


def test_upcoming_deliberation_days_exist_for_every_community(small_demo):
    with_days = Meeting.objects.filter(is_deliberation_day=True, status=Meeting.Status.SCHEDULED).values("community")
    assert Community.objects.exclude(pk__in=with_days).count() == 0


def test_the_large_bulk_writes_valid_chains(small_demo, monkeypatch):
    topics, comments = Topic.objects.count(), Comment.objects.count()
    monkeypatch.setattr(demo, "LARGE_TOPICS", topics + 90)
    monkeypatch.setattr(demo, "LARGE_COMMENTS", comments + 3000)
    monkeypatch.setattr(demo, "CHUNK", 40)
    created = demo.seed("large", random.Random(7), Faker("zh_CN"), None)
    assert created["topics"] == 90 and created["comments"] == 3000
    assert (Topic.objects.count(), Comment.objects.count()) == (topics + 90, comments + 3000)
    report = trail.verify()
    assert report.intact, report.broken
    assert Topic.objects.filter(comments__parent__isnull=False).exists()
    assert demo.seed("large", random.Random(7), Faker("zh_CN"), None) == {}


def test_past_meetings_with_an_agenda_had_their_notice_as_history_would(small_demo):
    from django.utils import timezone

    from deliberation import notices
    from notifications.models import Delivery, Notice

    past = Meeting.objects.filter(community=small_demo, starts_at__lt=timezone.now()).exclude(status="cancelled")
    with_agenda = [m for m in past if m.agenda_items.exists()]
    assert with_agenda
    for meeting in with_agenda:
        told = Notice.objects.filter(
            kind=notices.MEETING_NOTICE, subject_id=meeting.pk, status=Notice.Status.DISPATCHED
        ).first()
        assert told is not None, meeting
        assert told.dispatched_at == told.due_at <= meeting.starts_at
        sent = Delivery.objects.filter(notice=told, status="sent")
        assert sent.exists() and not sent.exclude(sent_at=told.due_at).exists()
    # Nothing about a meeting already past is left to go out now.
    assert not Notice.objects.filter(
        kind__in=notices.MEETING_KINDS, status="pending", subject_id__in=past.values("pk")
    ).exists()
