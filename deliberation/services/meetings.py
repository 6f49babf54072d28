"""Meetings and their agenda."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict

from .. import clock, notices, signals, trail
from ..models import REASON_MAX, AgendaItem, Meeting, ObserverRegistration, Topic, TrailKind, Vote
from ..selectors import council_rules_for
from ..workflow import Step
from ._helpers import _int, _lock_meeting, _lock_topic, _lock_topics, _require, _same_community, _text, _when


def _future(starts_at, field="starts_at"):
    if not isinstance(starts_at, datetime.datetime):
        raise ValidationError({field: _("Enter a date and time.")})
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    if starts_at <= clock.now():
        raise ValidationError({field: _("A meeting must be scheduled in the future.")})
    return starts_at


def _default_location(community, rules):
    return rules.location or community.address or community.name


def _agenda_topic(topic, community):
    """A topic named for a new meeting's agenda: it must exist and be the community's own,
    which is checked before the meeting is saved."""
    if not isinstance(topic, Topic):
        found = Topic.objects.filter(pk=int(topic)).first() if str(topic).isdigit() else None
        if found is None:
            raise ValidationError({"agenda": _("The agenda names a topic that does not exist.")})
        topic = found
    _same_community(topic, community, "agenda")
    return topic


def _past(starts_at, field="starts_at"):
    if not isinstance(starts_at, datetime.datetime):
        raise ValidationError({field: _("Enter a date and time.")})
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    if starts_at > clock.now():
        raise ValidationError({field: _("A meeting recorded afterwards must have taken place already.")})
    return starts_at


@transaction.atomic
def meeting_schedule(*, actor, community, starts_at, location="", observer_seats=None, agenda=(), recorded_late=False):
    """Staff add a council meeting, optionally with its agenda (topics under review).

    With `recorded_late`, staff record a meeting the council held offline: its date is in
    the past, it is marked as recorded late, and no notice goes out for it."""
    _require(actor, "meeting.manage", community, _("Only this community's staff schedule meetings."))
    starts_at = _past(starts_at) if recorded_late else _future(starts_at)
    rules = council_rules_for(community)
    location = _text(location or _default_location(community, rules), "location", max_length=200, label=_("The place"))
    seats = rules.default_observer_seats if observer_seats in (None, "") else observer_seats
    seats = _int(seats, "observer_seats", low=0, high=1000)
    meeting = Meeting(
        community=community,
        starts_at=starts_at,
        location=location.strip(),
        observer_seats=seats,
        recorded_late=bool(recorded_late),
        created_by=actor,
        created_at=clock.now(),
    )
    meeting.full_clean()
    topics = [_agenda_topic(topic, community) for topic in agenda]
    meeting.save()
    if not meeting.recorded_late:
        notices.meeting_scheduled(meeting)
    for topic in topics:
        agenda_add(actor=actor, meeting=meeting, topic=topic)
    if not meeting.recorded_late:
        signals.send_on_commit(signals.meeting_scheduled, Meeting, meeting_id=meeting.pk, actor_id=actor.pk)
    return meeting


def _agenda_topics_locked(meeting):
    return _lock_topics(AgendaItem.objects.filter(meeting=meeting).values_list("topic_id", flat=True))


def _meeting_move(meeting, *, actor, starts_at=None, location=None, observer_seats=None, by_hand=True):
    previous = meeting.starts_at
    changed = {}
    if starts_at is not None and starts_at != meeting.starts_at:
        meeting.starts_at = starts_at
        changed["starts_at"] = starts_at
        # A day the rule re-timed stays the rule's to re-time; one moved by hand stays put.
        if by_hand:
            meeting.moved_at = clock.now()
            changed["moved_at"] = meeting.moved_at
    if location is not None and location.strip() != meeting.location:
        meeting.location = location.strip()
        changed["location"] = meeting.location
    if observer_seats is not None and observer_seats != meeting.observer_seats:
        taken = ObserverRegistration.objects.filter(meeting=meeting, cancelled_at__isnull=True).count()
        if observer_seats < taken:
            raise Conflict(
                _("%(taken)d residents have registered for the gallery; keep at least that many seats.")
                % {"taken": taken}
            )
        meeting.observer_seats = observer_seats
        changed["observer_seats"] = observer_seats
    if not changed:
        return meeting
    meeting.full_clean()
    meeting.save(update_fields=sorted(changed))
    for topic in _agenda_topics_locked(meeting):
        trail.append(
            topic=topic,
            kind=TrailKind.MEETING_MOVED,
            actor=actor,
            data={
                "meeting": meeting.pk,
                "starts_at": meeting.starts_at,
                "location": meeting.location,
                "previous_starts_at": previous,
            },
        )
    if "starts_at" in changed or "location" in changed:
        notices.meeting_moved(meeting, previous_starts_at=previous)
        signals.send_on_commit(
            signals.meeting_moved,
            Meeting,
            meeting_id=meeting.pk,
            previous_starts_at=previous,
            actor_id=getattr(actor, "pk", None),
        )
    return meeting


@transaction.atomic
def meeting_move(*, actor, meeting, starts_at=None, location=None, observer_seats=None):
    """Change a scheduled meeting's time, place or gallery seats before it starts."""
    meeting = _lock_meeting(meeting)
    _require(actor, "meeting.manage", meeting, _("Only this community's staff change meetings."))
    if meeting.status != Meeting.Status.SCHEDULED:
        raise Conflict(_("Only a scheduled meeting can be changed."))
    if meeting.has_started:
        raise Conflict(_("The meeting has already started."))
    if starts_at is not None:
        starts_at = _future(starts_at)
    if location is not None:
        location = _text(location, "location", max_length=200, label=_("The place"))
    if observer_seats is not None:
        observer_seats = _int(observer_seats, "observer_seats", low=0, high=1000)
    return _meeting_move(meeting, actor=actor, starts_at=starts_at, location=location, observer_seats=observer_seats)


@transaction.atomic
def meeting_cancel(*, actor, meeting, reason):
    """Call a scheduled meeting off; its topics wait for another meeting's agenda."""
    meeting = _lock_meeting(meeting)
    _require(actor, "meeting.manage", meeting, _("Only this community's staff change meetings."))
    if meeting.status != Meeting.Status.SCHEDULED:
        raise Conflict(_("Only a scheduled meeting can be cancelled."))
    if meeting.has_started:
        raise Conflict(_("The meeting has already started."))
    reason = _text(reason, "reason", max_length=REASON_MAX, label=_("The reason")).strip()
    meeting.status = Meeting.Status.CANCELLED
    meeting.cancel_reason = reason
    meeting.save(update_fields=["status", "cancel_reason"])
    for topic in _agenda_topics_locked(meeting):
        trail.append(
            topic=topic, kind=TrailKind.MEETING_CANCELLED, actor=actor, data={"meeting": meeting.pk, "reason": reason}
        )
    notices.meeting_cancelled(meeting)
    signals.send_on_commit(signals.meeting_cancelled, Meeting, meeting_id=meeting.pk, actor_id=actor.pk)
    return meeting


@transaction.atomic
def meeting_minutes_record(*, actor, meeting, minutes):
    """Record (or amend) the minutes once the meeting has taken place; it then counts as held."""
    meeting = _lock_meeting(meeting)
    _require(actor, "meeting.manage", meeting, _("Only this community's staff record minutes."))
    if meeting.status == Meeting.Status.CANCELLED:
        raise Conflict(_("The meeting was cancelled."))
    if not meeting.has_started:
        raise Conflict(_("Minutes are recorded after the meeting has started."))
    meeting.minutes = _text(minutes, "minutes", max_length=20000, label=_("The minutes"))
    meeting.status = Meeting.Status.HELD
    meeting.save(update_fields=["minutes", "status"])
    for topic in _agenda_topics_locked(meeting):
        trail.append(
            topic=topic,
            kind=TrailKind.MEETING_HELD,
            actor=actor,
            data={"meeting": meeting.pk, "minutes_sha256": trail.text_digest(meeting.minutes)},
        )
    return meeting


@transaction.atomic
def agenda_add(*, actor, meeting, topic, position=None):
    """Accept a topic under review onto a scheduled meeting's agenda (the review's acceptance)."""
    meeting = _lock_meeting(meeting)
    _require(actor, "meeting.manage", meeting, _("Only this community's staff set the agenda."))
    topic = _lock_topic(topic)
    if topic.community_id != meeting.community_id:
        raise ValidationError({"topic": _("The topic belongs to another community.")})
    if not _agenda_open(meeting):
        raise Conflict(_("Topics can be added only to a scheduled meeting that has not started."))
    if topic.step not in (Step.REVIEW, Step.RESOLVE):
        raise Conflict(
            _("Only a topic under review can be put on an agenda; this one is at “%(step)s”.")
            % {"step": Step(topic.step).label}
        )
    pending = (
        AgendaItem.objects.filter(topic=topic, meeting__status=Meeting.Status.SCHEDULED, vote__isnull=True)
        .select_related("meeting")
        .first()
    )
    if pending is not None:
        if pending.meeting_id == meeting.pk:
            raise Conflict(_("The topic is already on this meeting's agenda."))
        raise Conflict(
            _("The topic is already on the agenda of the meeting of %(date)s.")
            % {"date": _when(pending.meeting.starts_at)}
        )
    if position is None:
        last = (
            AgendaItem.objects.filter(meeting=meeting).order_by("-position").values_list("position", flat=True).first()
        )
        position = (last or 0) + 1
    position = _int(position, "position", low=1, high=999)
    try:
        with transaction.atomic():
            item = AgendaItem.objects.create(
                meeting=meeting, topic=topic, position=position, added_by=actor, added_at=clock.now()
            )
    except IntegrityError:
        raise Conflict(_("The topic is already on this meeting's agenda.")) from None
    trail.append(
        topic=topic,
        kind=TrailKind.AGENDA,
        actor=actor,
        data={
            "meeting": meeting.pk,
            "starts_at": meeting.starts_at,
            "location": meeting.location,
            "position": position,
        },
        at=item.added_at,
    )
    if not meeting.recorded_late:
        notices.agenda_changed(meeting)
    return item


@transaction.atomic
def agenda_remove(*, actor, meeting, topic):
    """Take a topic off a meeting's agenda before the meeting, e.g. to put it on another one.

    The trail keeps both the acceptance and this removal (an `agenda` entry marked
    `removed`); a topic already accepted for the vote stays at that step and waits for a
    place on another agenda.
    """
    meeting = _lock_meeting(meeting)
    _require(actor, "meeting.manage", meeting, _("Only this community's staff set the agenda."))
    topic = _lock_topic(topic)
    if topic.community_id != meeting.community_id:
        raise ValidationError({"topic": _("The topic belongs to another community.")})
    item = AgendaItem.objects.filter(meeting=meeting, topic=topic).select_related("vote").first()
    if item is None:
        raise Conflict(_("The topic is not on this meeting's agenda."))
    if getattr(item, "vote", None) is not None:
        raise Conflict(_("The council has voted on this topic; the vote stays on the record."))
    if not _agenda_open(meeting):
        raise Conflict(_("Topics can be taken off the agenda only before the meeting starts."))
    position = item.position
    item.delete()
    trail.append(
        topic=topic,
        kind=TrailKind.AGENDA,
        actor=actor,
        data={"meeting": meeting.pk, "starts_at": meeting.starts_at, "position": position, "removed": True},
    )
    if not meeting.recorded_late:
        notices.agenda_changed(meeting)
    return meeting


@transaction.atomic
def agenda_move(*, actor, meeting, topic, to_meeting):
    """Move a topic not yet voted on from one meeting's agenda to another's."""
    to_id = getattr(to_meeting, "pk", to_meeting)
    if to_id is None or str(to_id) == str(meeting.pk):
        raise ValidationError({"move_to": _("Choose another meeting.")})
    # Both meetings first, in id order (see the module's docstring), then the topic.
    for pk in sorted([meeting.pk, int(to_id)]):
        _lock_meeting(pk)
    target = Meeting.objects.filter(pk=to_id).first()
    if target is None or target.community_id != meeting.community_id:
        raise ValidationError({"move_to": _("Choose a meeting of the same community.")})
    if not _agenda_open(target):
        raise ValidationError({"move_to": _("Topics can be added only to a scheduled meeting that has not started.")})
    agenda_remove(actor=actor, meeting=meeting, topic=topic)
    return agenda_add(actor=actor, meeting=target, topic=topic)


def _agenda_open(meeting):
    """Topics go on (or off) an agenda before the meeting; a meeting recorded late takes them
    afterwards, until it is cancelled."""
    if meeting.status == Meeting.Status.CANCELLED:
        return False
    if meeting.recorded_late:
        return True
    return meeting.status == Meeting.Status.SCHEDULED and not meeting.has_started


def _voted(meeting):
    return Vote.objects.filter(agenda_item__meeting=meeting).exists()
