"""Quorum and majority, computed from the council's rules, and the vote as a final record."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.errors import Conflict
from deliberation import selectors, services
from deliberation.models import Ballot, CouncilRules, TrailEntry, TrailKind, Vote
from deliberation.workflow import Step

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("size", "needed"), [(1, 1), (2, 2), (3, 2), (5, 4), (6, 4), (7, 5), (9, 6), (10, 7), (15, 10)]
)
def test_default_quorum_is_two_thirds_of_the_council(size, needed):
    assert CouncilRules().quorum_needed(size) == needed


@pytest.mark.parametrize(
    ("votes_for", "present", "passed"),
    [(2, 3, True), (1, 2, False), (2, 4, False), (3, 4, True), (5, 9, True), (4, 9, False)],
)
def test_default_majority_is_more_than_half_of_those_present(votes_for, present, passed):
    assert CouncilRules().majority_reached(votes_for, present) is passed


def vote_state(topic):
    return Vote.objects.count(), TrailEntry.objects.filter(topic=topic).count()


def test_no_vote_without_a_quorum(flow, world):
    topic = flow.at(Step.RESOLVE)
    before = vote_state(topic)
    with pytest.raises(Conflict) as info:
        flow.vote(topic, votes_for=1, present=1)
    assert info.value.blockers == ["1 of 3 council members are recorded present; 2 are needed."]
    # the attendance row was written before, in its own call; the vote wrote nothing
    assert Vote.objects.count() == before[0]
    assert not TrailEntry.objects.filter(topic=topic, kind=TrailKind.VOTE).exists()
    topic.refresh_from_db()
    assert topic.step == Step.RESOLVE


def test_a_tie_is_not_a_majority(flow, world):
    topic = flow.at(Step.RESOLVE)
    vote = flow.vote(topic, votes_for=1, votes_against=1, abstentions=0, present=2)
    assert (vote.present, vote.council_size, vote.quorum_met, vote.passed) == (2, 3, True, False)


def test_rules_set_by_staff_change_quorum_and_majority(flow, world):
    services.council_rules_update(
        actor=world.staff,
        community=world.community,
        quorum_numerator=1,
        quorum_denominator=3,
        majority_numerator=2,
        majority_denominator=3,
    )
    topic = flow.at(Step.RESOLVE)
    quorum = selectors.meeting_quorum(topic.agenda_item().meeting)
    assert quorum.needed == 1
    vote = flow.vote(topic, votes_for=1, votes_against=0, present=1)
    assert vote.passed is True  # 1 of 1 present is more than two thirds


def test_counts_cannot_exceed_members_present(flow, world):
    topic = flow.at(Step.RESOLVE)
    with pytest.raises(ValidationError):
        flow.vote(topic, votes_for=3, votes_against=1)
    assert not Vote.objects.exists()


def test_roll_call_counts_the_ballots(flow, world):
    topic = flow.at(Step.RESOLVE)
    item = topic.agenda_item()
    flow.now = item.meeting.starts_at
    flow.traveller.move_to(flow.now, tick=False)
    a, b, c = world.council
    services.attendance_record(
        actor=world.staff, meeting=item.meeting, entries={a: "present", b: "present", c: "excused"}
    )
    with pytest.raises(ValidationError):
        services.vote_record(actor=world.staff, agenda_item=item, resolution="同意", ballots={a: "for", c: "for"})
    vote = services.vote_record(
        actor=world.staff, agenda_item=item, resolution="同意", ballots={a: "for", b: "against"}
    )
    assert (vote.votes_for, vote.votes_against, vote.abstentions, vote.roll_call, vote.passed) == (1, 1, 0, True, False)
    assert set(Ballot.objects.values_list("member_id", "choice")) == {(a.pk, "for"), (b.pk, "against")}
    entry = TrailEntry.objects.get(topic=topic, kind=TrailKind.VOTE)
    assert entry.data["ballots"] == {str(a.pk): "for", str(b.pk): "against"}


def test_a_recorded_vote_is_final_and_fixes_attendance(flow, world):
    topic = flow.at(Step.RESOLVE)
    flow.vote(topic)
    item = topic.agenda_item()
    with pytest.raises(Conflict):
        services.vote_record(
            actor=world.staff, agenda_item=item, resolution="再投", votes_for=0, votes_against=3, abstentions=0
        )
    with pytest.raises(Conflict):
        services.attendance_record(actor=world.staff, meeting=item.meeting, entries={world.council[0]: "absent"})


def test_no_vote_before_the_meeting_starts(flow, world):
    topic = flow.at(Step.RESOLVE)
    item = topic.agenda_item()
    # Neither attendance nor a vote is taken before the meeting starts.
    with pytest.raises(Conflict, match="once the meeting has started"):
        services.attendance_record(
            actor=world.staff, meeting=item.meeting, entries=dict.fromkeys(world.council, "present")
        )
    with pytest.raises(Conflict):
        services.vote_record(
            actor=world.staff, agenda_item=item, resolution="同意", votes_for=3, votes_against=0, abstentions=0
        )


def test_only_the_communitys_staff_record_votes_and_attendance(flow, world):
    topic = flow.at(Step.RESOLVE)
    item = topic.agenda_item()
    flow.now = item.meeting.starts_at
    flow.traveller.move_to(flow.now, tick=False)
    for someone in (world.other_staff, world.council[0], world.resident, world.official):
        with pytest.raises(PermissionDenied):
            services.attendance_record(actor=someone, meeting=item.meeting, entries={world.council[0]: "present"})
    services.attendance_record(actor=world.staff, meeting=item.meeting, entries=dict.fromkeys(world.council, "present"))
    with pytest.raises(PermissionDenied):
        services.vote_record(
            actor=world.council[0], agenda_item=item, resolution="同意", votes_for=3, votes_against=0, abstentions=0
        )


def test_attendance_is_for_council_members_only(flow, world):
    meeting = flow.meeting()
    flow.travel(days=7)
    with pytest.raises(ValidationError):
        services.attendance_record(actor=world.staff, meeting=meeting, entries={world.resident: "present"})
    with pytest.raises(ValidationError):
        services.attendance_record(actor=world.staff, meeting=meeting, entries={world.council[0]: "asleep"})
