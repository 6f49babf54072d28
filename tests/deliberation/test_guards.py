"""Each guard holds its move back with reasons a person understands, and lets it go once they
are dealt with; `next_steps` shows the same reasons."""

import pytest

from core.errors import Conflict
from deliberation import selectors, services
from deliberation.workflow import Outcome, Step

pytestmark = pytest.mark.django_db


def blockers_of(world, topic, target, user=None):
    for move in selectors.next_steps(user or world.staff, topic):
        if move["step"] == target:
            return move["blockers"]
    raise AssertionError(f"{target} is not a next step of {topic.step}")


def refused(world, topic, target, **kwargs):
    with pytest.raises(Conflict) as info:
        services.topic_advance(actor=world.staff, topic=topic, to=target, **kwargs)
    topic.refresh_from_db()
    return info.value


def test_review_needs_a_complete_topic(flow, world):
    topic = flow.raise_topic(category="", body="灯坏了")
    blockers = blockers_of(world, topic, Step.REVIEW)
    assert len(blockers) == 2
    assert any("category" in b for b in blockers)
    assert refused(world, topic, Step.REVIEW).blockers == blockers
    assert topic.step == Step.COLLECT
    topic = services.topic_update(actor=world.author, topic=topic, category="safety", body="灯坏了" * 20)
    assert blockers_of(world, topic, Step.REVIEW) == []
    services.topic_advance(actor=world.staff, topic=topic, to=Step.REVIEW)


def test_resolve_needs_a_place_on_a_scheduled_meeting(flow, world):
    topic = flow.at(Step.REVIEW)
    assert blockers_of(world, topic, Step.RESOLVE)
    refused(world, topic, Step.RESOLVE)
    meeting = flow.meeting()
    services.agenda_add(actor=world.staff, meeting=meeting, topic=topic)
    assert blockers_of(world, topic, Step.RESOLVE) == []
    # A cancelled meeting's agenda does not count.
    services.meeting_cancel(actor=world.staff, meeting=meeting, reason="台风")
    assert blockers_of(world, topic, Step.RESOLVE)
    services.agenda_add(actor=world.staff, meeting=flow.meeting(days=14), topic=topic)
    services.topic_advance(actor=world.staff, topic=topic, to=Step.RESOLVE)


def test_reject_needs_a_reason_the_author_sees(flow, world):
    from django.core.exceptions import ValidationError

    topic = flow.at(Step.REVIEW)
    with pytest.raises(ValidationError):
        services.topic_advance(actor=world.staff, topic=topic, to=Step.ARCHIVE, note="  ")
    services.topic_advance(actor=world.staff, topic=topic, to=Step.ARCHIVE, note="不属于议事会职权范围")
    topic.refresh_from_db()
    assert (topic.step, topic.outcome, topic.outcome_note) == (Step.ARCHIVE, Outcome.REJECTED, "不属于议事会职权范围")


def test_publicize_needs_a_recorded_vote_that_passed(flow, world):
    topic = flow.at(Step.RESOLVE)
    assert any("Record the council's vote" in b for b in blockers_of(world, topic, Step.PUBLICIZE))
    assert blockers_of(world, topic, Step.ARCHIVE)  # nor is it voted down before a vote
    flow.vote(topic, votes_for=1, votes_against=2)
    assert any("majority" in b for b in blockers_of(world, topic, Step.PUBLICIZE))
    assert blockers_of(world, topic, Step.ARCHIVE) == []
    refused(world, topic, Step.PUBLICIZE)
    services.topic_advance(actor=world.staff, topic=topic, to=Step.ARCHIVE)
    topic.refresh_from_db()
    assert topic.outcome == Outcome.VOTED_DOWN
    assert topic.resolution  # the text that was voted down stays on record


def test_a_passed_vote_cannot_be_archived_as_voted_down(flow, world):
    topic = flow.at(Step.RESOLVE)
    flow.vote(topic)
    assert blockers_of(world, topic, Step.ARCHIVE)
    assert blockers_of(world, topic, Step.PUBLICIZE) == []
    services.topic_advance(actor=world.staff, topic=topic, to=Step.PUBLICIZE)
    topic.refresh_from_db()
    assert topic.outcome == Outcome.ADOPTED
    assert topic.publicity_ends_at == flow.now + __import__("datetime").timedelta(days=7)


def test_implement_needs_the_publicity_over_and_every_objection_answered(flow, world):
    topic = flow.at(Step.PUBLICIZE)
    blockers = blockers_of(world, topic, Step.IMPLEMENT)
    assert len(blockers) == 1 and "publicity" in blockers[0]
    objection = services.objection_lodge(actor=world.resident, topic=topic, body="应该先征求一楼住户意见")
    flow.end_publicity(topic)
    blockers = blockers_of(world, topic, Step.IMPLEMENT)
    assert blockers == ["1 objection has not been answered."]
    refused(world, topic, Step.IMPLEMENT)
    services.objection_answer(actor=world.staff, objection=objection, answer="已征求意见，一楼住户同意")
    assert blockers_of(world, topic, Step.IMPLEMENT) == []
    services.topic_advance(actor=world.staff, topic=topic, to=Step.IMPLEMENT)


def test_evaluate_needs_every_task_done(flow, world):
    topic = flow.at(Step.IMPLEMENT)
    assert blockers_of(world, topic, Step.EVALUATE) == ["Plan at least one implementation task."]
    first, second = flow.task(topic), flow.task(topic, description="加装声控开关")
    services.progress_report(actor=world.staff, task=first, percent=100, note="完成")
    services.progress_report(actor=world.supervisor, task=second, percent=60, note="进行中")
    assert blockers_of(world, topic, Step.EVALUATE) == ["1 implementation task is not done."]
    assert selectors.topic_progress(topic)["percent"] == 80
    refused(world, topic, Step.EVALUATE)
    services.progress_report(actor=world.staff, task=second, percent=100, note="完成")
    services.topic_advance(actor=world.staff, topic=topic, to=Step.EVALUATE)


def test_archive_needs_the_evaluation_window_closed(flow, world):
    topic = flow.at(Step.EVALUATE)
    assert blockers_of(world, topic, Step.ARCHIVE)
    refused(world, topic, Step.ARCHIVE)
    flow.end_evaluation(topic)
    assert blockers_of(world, topic, Step.ARCHIVE) == []
    services.topic_advance(actor=world.staff, topic=topic, to=Step.ARCHIVE)


def test_next_steps_tells_a_resident_why_they_cannot_move(flow, world):
    topic = flow.raise_topic()
    moves = selectors.next_steps(world.resident, topic)
    assert [m["step"] for m in moves] == ["review", "archive"]
    assert all(not m["allowed"] for m in moves)
    assert "staff" in moves[0]["blockers"][0]
    author_moves = {m["step"]: m for m in selectors.next_steps(world.author, topic)}
    assert author_moves["archive"]["allowed"] is True
    staff_moves = {m["step"]: m for m in selectors.next_steps(world.staff, topic)}
    assert staff_moves["review"] == {
        "step": "review",
        "label": "Review",
        "action": "Send to review",
        "outcome": None,
        "needs_note": False,
        "allowed": True,
        "blockers": [],
    }


def test_archived_topic_has_no_next_step(flow, world):
    topic = flow.raise_topic()
    services.topic_withdraw(actor=world.author, topic=topic, note="已自行解决")
    topic.refresh_from_db()
    assert topic.outcome == Outcome.WITHDRAWN
    assert selectors.next_steps(world.staff, topic) == []
    conflict = refused(world, topic, Step.REVIEW)
    assert "archived" in conflict.blockers[0]


def test_a_stale_button_is_a_conflict(flow, world):
    topic = flow.raise_topic()
    services.topic_advance(actor=world.staff, topic=topic, to=Step.REVIEW, expected_step=Step.COLLECT)
    with pytest.raises(Conflict):
        services.topic_advance(actor=world.staff, topic=topic, to=Step.REVIEW, expected_step=Step.COLLECT)


def test_unknown_step_is_bad_input(flow, world):
    from django.core.exceptions import ValidationError

    topic = flow.raise_topic()
    with pytest.raises(ValidationError):
        services.topic_advance(actor=world.staff, topic=topic, to="decide")
