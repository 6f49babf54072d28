"""A meeting's attendance and its votes."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict

from .. import clock, trail
from ..models import TOPIC_BODY_MAX, AgendaItem, Attendance, Ballot, Meeting, TrailKind, Vote
from ..selectors import council_members, council_rules_for, meeting_quorum
from ..workflow import Step
from ._helpers import _int, _lock_meeting, _lock_topic, _member_id, _require, _text, _when
from .meetings import _agenda_topics_locked, _voted


@transaction.atomic
def attendance_record(*, actor, meeting, entries):
    """Record council members as present, absent or excused: `entries` maps a member (or
    their id) to a status. Fixed once the first vote of the meeting is recorded."""
    meeting = _lock_meeting(meeting)
    _require(actor, "meeting.manage", meeting, _("Only this community's staff record attendance."))
    if meeting.status == Meeting.Status.CANCELLED:
        raise Conflict(_("The meeting was cancelled."))
    if _voted(meeting):
        raise Conflict(_("Attendance cannot change after the council has voted at this meeting."))
    if not meeting.has_started:
        raise Conflict(
            _("Attendance is recorded once the meeting has started, at %(date)s.") % {"date": _when(meeting.starts_at)}
        )
    members = {m.pk: m for m in council_members(meeting.community, on=timezone.localdate(meeting.starts_at))}
    cleaned = {}
    for member, status in dict(entries).items():
        member_id = _member_id(member, "member")
        if member_id not in members:
            raise ValidationError({"member": _("Only members of this community's council have attendance recorded.")})
        if status not in Attendance.Status.values:
            raise ValidationError({"status": _("Attendance is present, absent or excused.")})
        cleaned[member_id] = status
    if not cleaned:
        raise ValidationError(_("Record the attendance of at least one council member."))
    now = clock.now()
    existing = {a.member_id: a for a in Attendance.objects.filter(meeting=meeting, member_id__in=list(cleaned))}
    for member_id, status in cleaned.items():
        row = existing.get(member_id)
        if row is None:
            Attendance.objects.create(
                meeting=meeting, member_id=member_id, status=status, recorded_by=actor, recorded_at=now
            )
        elif row.status != status:
            row.status, row.recorded_by, row.recorded_at = status, actor, now
            row.save(update_fields=["status", "recorded_by", "recorded_at"])
    rows = dict(Attendance.objects.filter(meeting=meeting).values_list("member_id", "status"))
    data = {
        "meeting": meeting.pk,
        "council_size": len(members),
        **{status: sorted(m for m, s in rows.items() if s == status) for status in Attendance.Status.values},
    }
    for topic in _agenda_topics_locked(meeting):
        trail.append(topic=topic, kind=TrailKind.ATTENDANCE, actor=actor, data=data, at=now)
    return rows


@transaction.atomic
def vote_record(*, actor, agenda_item, resolution, votes_for=None, votes_against=None, abstentions=None, ballots=None):
    """Record the council's vote on an agenda item, by counts or as a roll call (`ballots` maps
    each member voting to "for", "against" or "abstain"). Refused without a quorum present;
    adopted when more than the majority share (of those present) votes for. Final once recorded.
    """
    item = AgendaItem.objects.get(pk=agenda_item.pk)
    meeting = _lock_meeting(item.meeting_id)
    topic = _lock_topic(item.topic_id)
    _require(actor, "meeting.manage", meeting, _("Only this community's staff record the council's votes."))
    if meeting.status == Meeting.Status.CANCELLED:
        raise Conflict(_("The meeting was cancelled."))
    if not meeting.has_started:
        raise Conflict(
            _("The council votes at the meeting, which starts at %(date)s.") % {"date": _when(meeting.starts_at)}
        )
    if Vote.objects.filter(agenda_item=item).exists():
        raise Conflict(_("The vote on this item is already recorded; a recorded vote is final."))
    if topic.step != Step.RESOLVE:
        raise Conflict(
            _("The council votes on a topic accepted for its vote; this one is at “%(step)s”.")
            % {"step": Step(topic.step).label}
        )
    resolution = _text(resolution, "resolution", max_length=TOPIC_BODY_MAX, label=_("The resolution"))
    rules = council_rules_for(meeting.community)
    quorum = meeting_quorum(meeting, rules)
    if quorum.council_size == 0:
        raise Conflict(_("The community's council has no members."))
    if not quorum.met:
        raise Conflict(
            _("The council has no quorum; the vote cannot be taken."),
            [
                _("%(present)d of %(size)d council members are recorded present; %(needed)d are needed.")
                % {"present": quorum.present, "size": quorum.council_size, "needed": quorum.needed}
            ],
        )
    present_ids = set(
        Attendance.objects.filter(meeting=meeting, status=Attendance.Status.PRESENT).values_list("member_id", flat=True)
    )
    roll_call = ballots is not None
    if roll_call:
        cleaned = {}
        for member, choice in dict(ballots).items():
            member_id = _member_id(member, "ballots")
            if member_id not in present_ids:
                raise ValidationError({"ballots": _("Only council members recorded present can vote.")})
            if choice not in Ballot.Choice.values:
                raise ValidationError({"ballots": _("A ballot is for, against or abstain.")})
            cleaned[member_id] = choice
        if not cleaned:
            raise ValidationError({"ballots": _("Record at least one ballot.")})
        counts = [sum(1 for c in cleaned.values() if c == choice) for choice in Ballot.Choice.values]
    else:
        counts = [
            _int(value, field, low=0, high=quorum.present)
            for value, field in (
                (votes_for, "votes_for"),
                (votes_against, "votes_against"),
                (abstentions, "abstentions"),
            )
        ]
        if sum(counts) > quorum.present:
            raise ValidationError(
                _("%(cast)d votes were counted but only %(present)d members are present.")
                % {"cast": sum(counts), "present": quorum.present}
            )
    votes_for, votes_against, abstentions = counts
    now = clock.now()
    vote = Vote.objects.create(
        agenda_item=item,
        votes_for=votes_for,
        votes_against=votes_against,
        abstentions=abstentions,
        present=quorum.present,
        council_size=quorum.council_size,
        quorum_met=True,
        passed=rules.majority_reached(votes_for, quorum.present),
        roll_call=roll_call,
        recorded_by=actor,
        recorded_at=now,
    )
    if roll_call:
        Ballot.objects.bulk_create(Ballot(vote=vote, member_id=m, choice=c) for m, c in sorted(cleaned.items()))
    item.resolution = resolution
    item.save(update_fields=["resolution"])
    if meeting.status == Meeting.Status.SCHEDULED:
        meeting.status = Meeting.Status.HELD
        meeting.save(update_fields=["status"])
    trail.append(
        topic=topic,
        kind=TrailKind.VOTE,
        actor=actor,
        data={
            "meeting": meeting.pk,
            "for": votes_for,
            "against": votes_against,
            "abstain": abstentions,
            "present": quorum.present,
            "council_size": quorum.council_size,
            "quorum_needed": quorum.needed,
            "majority": f"{rules.majority_numerator}/{rules.majority_denominator}",
            "passed": vote.passed,
            "ballots": {str(m): c for m, c in sorted(cleaned.items())} if roll_call else None,
            "resolution": resolution,
        },
        at=now,
    )
    return vote
