"""Every write to topics, meetings and their records goes through these functions.

Pages, the admin, the API and the tasks parse input and call one of them, so no two paths
can disagree about a rule. Each takes the acting user, checks the role with `can`, checks the
state and raises:
  PermissionDenied (403) when the actor lacks the role,
  ValidationError (400) for bad input,
  Conflict (409) when the request is fine but the state of things refuses it,
and otherwise writes its rows and appends to the topic's trail in one transaction. A topic's
row is locked (SELECT ... FOR UPDATE) before its state is read, so two people acting on one
topic at once are served one after the other and the second sees the first's result. When
a meeting and its topics are both locked, the meeting comes first.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from communities.errors import Conflict
from communities.models import BodyKind, Community, Membership
from communities.permissions import can

from . import clock, notices, signals, trail, uploads
from .models import (
    COMMENT_MAX,
    NOTE_MAX,
    OBJECTION_MAX,
    RATING_COMMENT_MAX,
    REASON_MAX,
    REPORTS_TO_HOLD,
    TOPIC_BODY_MAX,
    AgendaItem,
    Attendance,
    Ballot,
    Comment,
    CommentReport,
    CouncilRules,
    Meeting,
    Objection,
    ObserverRegistration,
    ProgressReport,
    Rating,
    Support,
    Task,
    Topic,
    TopicCategory,
    TrailKind,
    Vote,
)
from .selectors import council_members, council_rules_for, meeting_quorum
from .workflow import (
    CONSULTATION_STEPS,
    TASK_STEPS,
    TRANSITIONS,
    Outcome,
    Step,
    due_after,
    permission_blocker,
    skip_blocker,
)

NEGATIVE_OUTCOMES = {Outcome.REJECTED, Outcome.VOTED_DOWN, Outcome.WITHDRAWN}
# Gallery check-in opens this long before a meeting starts.
CHECK_IN_OPENS = datetime.timedelta(hours=2)


def _require(actor, action, obj, message=None):
    if not can(actor, action, obj):
        raise PermissionDenied(message or _("You are not allowed to do this."))


def _when(moment):
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _text(value, field, *, max_length, required=True, label=None):
    """Free text as typed; refused when blank (if required) or too long."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: _("Enter text.")})
    if required and not value.strip():
        raise ValidationError({field: _("This field cannot be empty.")})
    if len(value) > max_length:
        raise ValidationError(
            {
                field: _("%(label)s can be at most %(max)s characters long (it has %(length)s).")
                % {
                    "label": label or _("The text"),
                    "max": f"{max_length:,}",
                    "length": f"{len(value):,}",
                }
            }
        )
    return value


def _int(value, field, *, low, high):
    if isinstance(value, bool):
        raise ValidationError({field: _("Enter a whole number.")})
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: _("Enter a whole number.")}) from None
    if str(number) != str(value).strip() and not isinstance(value, int):
        raise ValidationError({field: _("Enter a whole number.")})
    if not low <= number <= high:
        raise ValidationError({field: _("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}})
    return number


def _lock_topic(topic):
    pk = topic.pk if isinstance(topic, Topic) else topic
    # of=("self",): lock the topic only, not the community row it is joined to.
    return Topic.objects.select_for_update(of=("self",)).select_related("community").get(pk=pk)


def _lock_meeting(meeting):
    pk = meeting.pk if isinstance(meeting, Meeting) else meeting
    return Meeting.objects.select_for_update(of=("self",)).select_related("community").get(pk=pk)


def _lock_topics(topic_ids):
    """Lock several topics in id order, so two writers never wait on each other in a circle."""
    return list(
        Topic.objects.select_for_update(of=("self",))
        .select_related("community")
        .filter(pk__in=topic_ids)
        .order_by("pk")
    )


def _member_id(value, field):
    """A person named by instance or id (API input arrives as text)."""
    value = getattr(value, "pk", value)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: _("Name a council member.")}) from None


def _same_community(obj, community, field):
    if obj is not None and obj.community_id != community.pk:
        raise ValidationError({field: _("This belongs to another community.")})


# Topics
@transaction.atomic
def topic_raise(*, actor, community, title, body, category="", raised_by_body=None):
    """A resident, a body (through its member or staff) or staff raise a matter: step 1, collect."""
    _require(
        actor, "topic.raise", community, _("Only verified residents and staff of this community can raise a topic.")
    )
    title = _text(title, "title", max_length=120, label=_("The title")).strip()
    body = _text(body, "body", max_length=TOPIC_BODY_MAX, label=_("The description"))
    if category and category not in TopicCategory.values:
        raise ValidationError({"category": _("Choose one of the listed categories.")})
    if raised_by_body is not None:
        _same_community(raised_by_body, community, "raised_by_body")
        speaks_for_body = (
            can(actor, "topic.manage", community)
            or Membership.objects.current().filter(body=raised_by_body, user=actor).exists()
        )
        if not speaks_for_body:
            raise PermissionDenied(_("Only staff or a member of that body can raise a topic on its behalf."))
    now = clock.now()
    rules = council_rules_for(community)
    limit = due_after(Step.COLLECT, rules)
    topic = Topic(
        community=community,
        title=title,
        body=body,
        category=category or "",
        raised_by=actor,
        raised_by_body=raised_by_body,
        step=Step.COLLECT,
        outcome=Outcome.PENDING,
        created_at=now,
        step_entered_at=now,
        step_due_at=now + limit if limit else None,
    )
    topic.full_clean()
    topic.save()
    trail.append(
        topic=topic,
        kind=TrailKind.RAISED,
        actor=actor,
        data={
            "community": community.pk,
            "title": title,
            "body_sha256": trail.text_digest(body),
            "category": topic.category,
            "raised_by_body": raised_by_body.pk if raised_by_body else None,
            "due": topic.step_due_at,
        },
    )
    signals.send_on_commit(signals.topic_raised, Topic, topic_id=topic.pk, actor_id=actor.pk)
    return topic


@transaction.atomic
def topic_update(*, actor, topic, title=None, body=None, category=None):
    """Complete or correct a topic while its views are still being collected."""
    topic = _lock_topic(topic)
    _require(actor, "topic.edit", topic, _("Only the topic's author or staff can edit it."))
    if topic.step != Step.COLLECT:
        raise Conflict(_("A topic can be edited only while views on it are being collected."))
    before = {"title": topic.title, "body": topic.body, "category": topic.category}
    if title is not None:
        topic.title = _text(title, "title", max_length=120, label=_("The title")).strip()
    if body is not None:
        topic.body = _text(body, "body", max_length=TOPIC_BODY_MAX, label=_("The description"))
    if category is not None:
        if category and category not in TopicCategory.values:
            raise ValidationError({"category": _("Choose one of the listed categories.")})
        topic.category = category
    changed = [field for field, value in before.items() if getattr(topic, field) != value]
    if not changed:
        return topic
    topic.full_clean()
    topic.save(update_fields=changed)
    # Before and after, so the trail shows what changed and who changed it; the description
    # enters as its digest and length, like every free text on the trail. A change by anyone
    # but the author is marked, and the public page says "edited by staff".
    trail.append(
        topic=topic,
        kind=TrailKind.EDITED,
        actor=actor,
        data={
            "changed": changed,
            "by_staff": topic.raised_by_id != actor.pk,
            "before": _topic_version(before),
            "after": _topic_version({field: getattr(topic, field) for field in before}),
            # The fields an edit's entry has always carried (readers of older records rely on them).
            "title": topic.title,
            "body_sha256": trail.text_digest(topic.body),
            "category": topic.category,
        },
    )
    return topic


def _topic_version(fields):
    return {
        "title": fields["title"],
        "body_sha256": trail.text_digest(fields["body"]),
        "body_length": len(fields["body"]),
        "category": fields["category"],
    }


@transaction.atomic
def topic_advance(*, actor, topic, to, note="", expected_step=None):
    """Move a topic to its next step, or to the archive with a negative outcome.

    Locks the topic, checks the move against workflow.TRANSITIONS, who may make it and its
    guard; then records the step, its due date and any outcome, and appends the trail entry.
    Two staff moving one topic at once: the second sees the step the first left it in and
    gets a Conflict. `expected_step` (what the mover saw) turns a stale button into a
    Conflict too.
    """
    topic = _lock_topic(topic)
    source = Step(topic.step)
    try:
        target = Step(to)
    except ValueError:
        raise ValidationError({"to": _("“%(step)s” is not one of the seven steps.") % {"step": to}}) from None
    move = TRANSITIONS.get((source, target))
    moved_meanwhile = Conflict(
        _("The topic has meanwhile moved to “%(step)s”.") % {"step": source.label},
        [_("Reload the topic to see its current step.")],
    )
    author = topic.raised_by_id == getattr(actor, "pk", None)
    if target == Step.ARCHIVE and source != Step.COLLECT and author and not can(actor, "topic.advance", topic):
        raise Conflict(
            _("The topic can no longer be withdrawn."),
            [_("A topic can be withdrawn only while views on it are being collected.")],
        )
    if move is None:
        _require(actor, "topic.advance", topic, _("Only this community's committee staff can move a topic."))
        if expected_step is not None and str(expected_step) != source:
            raise moved_meanwhile
        raise Conflict(_("This move is not allowed."), [skip_blocker(source, target)])
    if not move.who(actor, topic):
        raise PermissionDenied(permission_blocker(move))
    if expected_step is not None and str(expected_step) != source:
        raise moved_meanwhile
    note = _text(note, "note", max_length=NOTE_MAX, required=move.needs_note, label=_("The note"))
    now = clock.now()
    blockers = move.guard(topic, now)
    if blockers:
        raise Conflict(_("The topic cannot move to “%(step)s” yet.") % {"step": target.label}, blockers)
    return _enter_step(topic, source, target, move, note, actor, now)


def _enter_step(topic, source, target, move, note, actor, now):
    rules = council_rules_for(topic.community)
    limit = due_after(target, rules)
    topic.step = target
    topic.step_entered_at = now
    topic.step_due_at = now + limit if limit else None
    fields = ["step", "step_entered_at", "step_due_at"]
    data = {"from": source, "to": target, "note": note, "due": topic.step_due_at}
    if move.outcome:
        topic.outcome = move.outcome
        fields.append("outcome")
    if move.outcome in NEGATIVE_OUTCOMES:
        topic.outcome_note = note
        fields.append("outcome_note")
    if source == Step.RESOLVE:
        item = topic.agenda_item()
        topic.resolution = item.resolution
        fields.append("resolution")
        data.update(meeting=item.meeting_id, vote=item.vote.pk, resolution=item.resolution)
    if target == Step.PUBLICIZE:
        topic.publicity_ends_at = now + datetime.timedelta(days=rules.publicity_days)
        fields.append("publicity_ends_at")
        data["publicity_ends"] = topic.publicity_ends_at
    if target == Step.EVALUATE:
        topic.evaluation_ends_at = now + datetime.timedelta(days=rules.evaluation_days)
        fields.append("evaluation_ends_at")
        data["evaluation_ends"] = topic.evaluation_ends_at
    if target == Step.ARCHIVE:
        topic.archived_at = now
        fields.append("archived_at")
    topic.save(update_fields=fields)
    data["outcome"] = topic.outcome
    trail.append(topic=topic, kind=TrailKind.STEP, actor=actor, data=data, at=now)
    notices.step_changed(topic, source=source, target=target, actor=actor, note=note)
    signals.send_on_commit(
        signals.step_changed,
        Topic,
        topic_id=topic.pk,
        source=source.value,
        target=target.value,
        outcome=topic.outcome,
        actor_id=actor.pk,
    )
    return topic


def topic_withdraw(*, actor, topic, note=""):
    """The author takes their topic back while it is still being collected."""
    return topic_advance(actor=actor, topic=topic, to=Step.ARCHIVE, note=note, expected_step=Step.COLLECT)


# Consultation: comments, reports, support
def _comment_for(comment, topic):
    locked = Comment.objects.select_for_update(of=("self",)).get(pk=comment.pk)
    if locked.topic_id != topic.pk:
        raise ValidationError(_("This comment belongs to another topic."))
    return locked


@transaction.atomic
def comment_post(*, actor, topic, body, parent=None):
    """A resident adds a view while the topic is open; a reply to a reply joins its thread."""
    topic = _lock_topic(topic)
    _require(actor, "comment.post", topic, _("Only verified residents of this community can comment."))
    if topic.step not in CONSULTATION_STEPS:
        raise Conflict(_("Consultation on this topic has closed."))
    body = _text(body, "body", max_length=COMMENT_MAX, label=_("A comment"))
    if parent is not None:
        parent = Comment.objects.filter(pk=getattr(parent, "pk", parent)).first()
        if parent is None or parent.topic_id != topic.pk:
            raise ValidationError({"parent": _("Reply to a comment on this topic.")})
        if parent.parent_id is not None:
            parent = Comment.objects.get(pk=parent.parent_id)
        if not parent.is_visible:
            raise ValidationError({"parent": _("This comment is hidden; it cannot be answered.")})
    comment = Comment.objects.create(topic=topic, author=actor, parent=parent, body=body, created_at=clock.now())
    trail.append(
        topic=topic,
        kind=TrailKind.COMMENT,
        actor=actor,
        data={"comment": comment.pk, "parent": parent.pk if parent else None, "body_sha256": trail.text_digest(body)},
        at=comment.created_at,
    )
    notices.comment_posted(comment)
    signals.send_on_commit(signals.comment_posted, Comment, comment_id=comment.pk, topic_id=topic.pk, actor_id=actor.pk)
    return comment


@transaction.atomic
def comment_edit(*, actor, comment, body):
    """Its author may correct a comment for 15 minutes after posting it."""
    topic = _lock_topic(comment.topic_id)
    comment = _comment_for(comment, topic)
    if comment.author_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only its author can edit a comment."))
    now = clock.now()
    if now > comment.editable_until():
        raise Conflict(_("A comment can be edited for 15 minutes after it is posted."))
    if not comment.is_visible:
        raise Conflict(_("A hidden comment cannot be edited."))
    if topic.step not in CONSULTATION_STEPS:
        raise Conflict(_("Consultation on this topic has closed."))
    comment.body = _text(body, "body", max_length=COMMENT_MAX, label=_("A comment"))
    comment.edited_at = now
    comment.save(update_fields=["body", "edited_at"])
    trail.append(
        topic=topic,
        kind=TrailKind.COMMENT_EDITED,
        actor=actor,
        data={"comment": comment.pk, "body_sha256": trail.text_digest(comment.body)},
        at=now,
    )
    return comment


@transaction.atomic
def comment_report(*, actor, comment, reason):
    """A resident flags a comment; the third open report hides it until a moderator decides."""
    topic = _lock_topic(comment.topic_id)
    comment = _comment_for(comment, topic)
    _require(actor, "comment.report", topic, _("Only residents of this community can report comments."))
    if comment.author_id == actor.pk:
        raise ValidationError(_("You cannot report your own comment."))
    reason = _text(reason, "reason", max_length=REASON_MAX, label=_("The reason")).strip()
    if CommentReport.objects.filter(comment=comment, reporter=actor).exists():
        raise Conflict(_("You have already reported this comment."))
    report = CommentReport.objects.create(comment=comment, reporter=actor, reason=reason, created_at=clock.now())
    open_reports = CommentReport.objects.filter(comment=comment, status=CommentReport.Status.OPEN).count()
    if open_reports >= REPORTS_TO_HOLD and comment.is_visible:
        comment.held = True
        comment.save(update_fields=["held"])
        trail.append(
            topic=topic, kind=TrailKind.COMMENT_HELD, actor=None, data={"comment": comment.pk, "reports": open_reports}
        )
    return report


@transaction.atomic
def comment_moderate(*, actor, comment, keep, reason=""):
    """Staff decide on a comment: keep it (reports dismissed, shown again) or hide it with a
    reason its author sees (reports upheld)."""
    topic = _lock_topic(comment.topic_id)
    comment = _comment_for(comment, topic)
    _require(actor, "comment.moderate", topic, _("Only this community's staff moderate comments."))
    now = clock.now()
    open_reports = CommentReport.objects.filter(comment=comment, status=CommentReport.Status.OPEN)
    if keep:
        was_hidden = not comment.is_visible
        comment.hidden, comment.held, comment.hidden_reason = False, False, ""
        comment.hidden_by, comment.hidden_at = None, None
        comment.save(update_fields=["hidden", "held", "hidden_reason", "hidden_by", "hidden_at"])
        open_reports.update(status=CommentReport.Status.DISMISSED, decided_by=actor, decided_at=now)
        if was_hidden:
            trail.append(
                topic=topic, kind=TrailKind.COMMENT_RESTORED, actor=actor, data={"comment": comment.pk}, at=now
            )
        return comment
    reason = _text(reason, "reason", max_length=REASON_MAX, label=_("The reason")).strip()
    comment.hidden, comment.held, comment.hidden_reason = True, False, reason
    comment.hidden_by, comment.hidden_at = actor, now
    comment.save(update_fields=["hidden", "held", "hidden_reason", "hidden_by", "hidden_at"])
    open_reports.update(status=CommentReport.Status.UPHELD, decided_by=actor, decided_at=now)
    trail.append(
        topic=topic, kind=TrailKind.COMMENT_HIDDEN, actor=actor, data={"comment": comment.pk, "reason": reason}, at=now
    )
    return comment


def comment_hide(*, actor, comment, reason):
    return comment_moderate(actor=actor, comment=comment, keep=False, reason=reason)


@transaction.atomic
def support_give(*, actor, topic):
    """A resident backs a topic, once. Returns (support, created)."""
    topic = _lock_topic(topic)
    _require(actor, "topic.support", topic, _("Only verified residents of this community can support a topic."))
    if topic.step not in CONSULTATION_STEPS:
        raise Conflict(_("Consultation on this topic has closed."))
    existing = Support.objects.filter(topic=topic, user=actor).first()
    if existing is not None:
        return existing, False
    support = Support.objects.create(topic=topic, user=actor, created_at=clock.now())
    trail.append(topic=topic, kind=TrailKind.SUPPORT, actor=actor, data={}, at=support.created_at)
    return support, True


@transaction.atomic
def support_withdraw(*, actor, topic):
    """Those who may back the topic may take their backing back; nobody else has any."""
    topic = _lock_topic(topic)
    _require(actor, "topic.support", topic, _("Only verified residents of this community can support a topic."))
    if topic.step not in CONSULTATION_STEPS:
        raise Conflict(_("Consultation on this topic has closed."))
    deleted, _rows = Support.objects.filter(topic=topic, user=actor).delete()
    if deleted:
        trail.append(topic=topic, kind=TrailKind.SUPPORT_WITHDRAWN, actor=actor, data={})
    return bool(deleted)


# Meetings
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


# The public gallery
@transaction.atomic
def observer_register(*, actor, meeting):
    """Take a gallery seat. Returns (registration, created). The meeting row is locked while
    the seats are counted, so the last seat goes to exactly one person."""
    meeting = _lock_meeting(meeting)
    _require(actor, "observer.register", meeting, _("Only verified residents of this community can register."))
    if meeting.status != Meeting.Status.SCHEDULED or meeting.has_started:
        raise Conflict(_("Registration for this meeting has closed."))
    registration = ObserverRegistration.objects.filter(meeting=meeting, user=actor).first()
    if registration is not None and registration.is_active:
        return registration, False
    taken = ObserverRegistration.objects.filter(meeting=meeting, cancelled_at__isnull=True).count()
    if taken >= meeting.observer_seats:
        raise Conflict(
            _("All %(seats)d gallery seats are taken.") % {"seats": meeting.observer_seats},
            [_("No gallery seat is left.")],
        )
    now = clock.now()
    if registration is not None:
        registration.cancelled_at, registration.registered_at = None, now
        registration.save(update_fields=["cancelled_at", "registered_at"])
    else:
        registration = ObserverRegistration.objects.create(meeting=meeting, user=actor, registered_at=now)
    return registration, True


@transaction.atomic
def observer_cancel(*, actor, meeting):
    meeting = _lock_meeting(meeting)
    registration = ObserverRegistration.objects.filter(meeting=meeting, user=actor, cancelled_at__isnull=True).first()
    if registration is None:
        raise Conflict(_("You are not registered for this meeting."))
    if meeting.has_started:
        raise Conflict(_("The meeting has already started."))
    registration.cancelled_at = clock.now()
    registration.save(update_fields=["cancelled_at"])
    return registration


@transaction.atomic
def observer_check_in(*, actor, registration):
    registration = (
        ObserverRegistration.objects.select_for_update(of=("self",))
        .select_related("meeting__community")
        .get(pk=registration.pk)
    )
    meeting = registration.meeting
    _require(actor, "observer.check_in", meeting, _("Only this community's staff check observers in."))
    if meeting.status == Meeting.Status.CANCELLED:
        raise Conflict(_("The meeting was cancelled."))
    if not registration.is_active:
        raise Conflict(_("This registration was cancelled."))
    now = clock.now()
    if now < meeting.starts_at - CHECK_IN_OPENS:
        raise Conflict(_("Check-in opens two hours before the meeting."))
    if registration.checked_in_at is None:
        registration.checked_in_at, registration.checked_in_by = now, actor
        registration.save(update_fields=["checked_in_at", "checked_in_by"])
    return registration


# Publicity: objections and answers
@transaction.atomic
def objection_lodge(*, actor, topic, body):
    topic = _lock_topic(topic)
    _require(actor, "objection.lodge", topic, _("Only verified residents of this community can object."))
    if topic.step != Step.PUBLICIZE:
        raise Conflict(_("Objections are lodged while a resolution is publicized."))
    now = clock.now()
    if topic.publicity_ends_at and now >= topic.publicity_ends_at:
        raise Conflict(
            _("The publicity period ended at %(date)s; objections are no longer accepted.")
            % {"date": _when(topic.publicity_ends_at)}
        )
    body = _text(body, "body", max_length=OBJECTION_MAX, label=_("An objection"))
    objection = Objection.objects.create(topic=topic, author=actor, body=body, created_at=now)
    trail.append(
        topic=topic,
        kind=TrailKind.OBJECTION,
        actor=actor,
        data={"objection": objection.pk, "body_sha256": trail.text_digest(body)},
        at=now,
    )
    return objection


@transaction.atomic
def objection_answer(*, actor, objection, answer):
    topic = _lock_topic(objection.topic_id)
    objection = Objection.objects.select_for_update(of=("self",)).get(pk=objection.pk)
    _require(actor, "objection.answer", topic, _("Only this community's staff answer objections."))
    if objection.answered_at is not None:
        raise Conflict(_("This objection has already been answered."))
    if topic.step == Step.ARCHIVE:
        raise Conflict(_("The topic is archived; its record is closed."))
    now = clock.now()
    objection.answer = _text(answer, "answer", max_length=OBJECTION_MAX, label=_("An answer"))
    objection.answered_by, objection.answered_at = actor, now
    objection.save(update_fields=["answer", "answered_by", "answered_at"])
    trail.append(
        topic=topic,
        kind=TrailKind.OBJECTION_ANSWERED,
        actor=actor,
        data={"objection": objection.pk, "answer_sha256": trail.text_digest(objection.answer)},
        at=now,
    )
    notices.objection_answered(objection)
    signals.send_on_commit(
        signals.objection_answered, Objection, objection_id=objection.pk, topic_id=topic.pk, actor_id=actor.pk
    )
    return objection


# Implementation: tasks and progress
@transaction.atomic
def task_create(*, actor, topic, title, due_date, supervisor, owner_body=None, owner_user=None, description=""):
    """Plan implementation work with one owner (a body or a person) and a supervisor from the
    community's supervisory committee."""
    topic = _lock_topic(topic)
    _require(actor, "task.manage", topic, _("Only this community's staff plan implementation tasks."))
    if topic.step not in TASK_STEPS:
        raise Conflict(_("Tasks are planned once the resolution is publicized and until implementation ends."))
    title = _text(title, "title", max_length=200, label=_("The task")).strip()
    description = _text(description, "description", max_length=NOTE_MAX, required=False)
    if (owner_body is None) == (owner_user is None):
        raise ValidationError({"owner_body": _("Name one owner: a body or a person.")})
    if owner_body is not None:
        _same_community(owner_body, topic.community, "owner_body")
    if not isinstance(due_date, datetime.date) or isinstance(due_date, datetime.datetime):
        raise ValidationError({"due_date": _("Enter a date.")})
    if due_date < timezone.localdate(clock.now()):
        raise ValidationError({"due_date": _("The due date cannot be in the past.")})
    supervises = Membership.objects.current().filter(
        user=supervisor, body__community=topic.community, body__kind=BodyKind.SUPERVISORY_COMMITTEE
    )
    if supervisor is None or not supervises.exists():
        raise ValidationError({"supervisor": _("The supervisor must sit on this community's supervisory committee.")})
    now = clock.now()
    task = Task(
        topic=topic,
        title=title,
        description=description,
        owner_body=owner_body,
        owner_user=owner_user,
        supervisor=supervisor,
        due_date=due_date,
        created_by=actor,
        created_at=now,
    )
    task.full_clean()
    task.save()
    trail.append(
        topic=topic,
        kind=TrailKind.TASK,
        actor=actor,
        data={
            "task": task.pk,
            "title": title,
            "owner_body": owner_body.pk if owner_body else None,
            "owner_user": owner_user.pk if owner_user else None,
            "supervisor": supervisor.pk,
            "due_date": due_date,
        },
        at=now,
    )
    return task


@transaction.atomic
def progress_report(*, actor, task, percent, note, attachment=None):
    """Report progress on a task, optionally with a photo or PDF; 100% marks it done."""
    topic = _lock_topic(task.topic_id)
    task = Task.objects.select_for_update(of=("self",)).get(pk=task.pk)
    task.topic = topic
    _require(actor, "task.report", task, _("Only staff, the task's owner or its supervisor report progress."))
    if topic.step != Step.IMPLEMENT:
        raise Conflict(_("Progress is reported while the topic is being implemented."))
    if task.is_done:
        raise Conflict(_("This task is already done."))
    percent = _int(percent, "percent", low=0, high=100)
    note = _text(note, "note", max_length=NOTE_MAX, label=_("The note"))
    now = clock.now()
    report = ProgressReport(task=task, reported_by=actor, percent=percent, note=note, created_at=now)
    file_data = {}
    if attachment:
        content_type, size, digest, name = uploads.inspect(attachment)
        report.attachment_type, report.attachment_size, report.attachment_name = content_type, size, name
        report.attachment.save(name, attachment, save=False)
        file_data = {"file_sha256": digest, "file_type": content_type, "file_size": size}
    report.save()
    task.percent = percent
    fields = ["percent"]
    if percent == 100:
        task.done_at = now
        fields.append("done_at")
    task.save(update_fields=fields)
    trail.append(
        topic=topic,
        kind=TrailKind.PROGRESS,
        actor=actor,
        data={
            "task": task.pk,
            "report": report.pk,
            "percent": percent,
            "note_sha256": trail.text_digest(note),
            **file_data,
        },
        at=now,
    )
    return report


# Evaluation
@transaction.atomic
def rating_give(*, actor, topic, score, comment=""):
    """A verified resident rates the outcome 1-5, once, while the evaluation is open."""
    topic = _lock_topic(topic)
    _require(actor, "rating.give", topic, _("Only verified residents of this community can rate the outcome."))
    if topic.step != Step.EVALUATE:
        raise Conflict(_("The outcome is rated while the topic is being evaluated."))
    now = clock.now()
    if topic.evaluation_ends_at and now >= topic.evaluation_ends_at:
        raise Conflict(_("The evaluation closed at %(date)s.") % {"date": _when(topic.evaluation_ends_at)})
    score = _int(score, "score", low=1, high=5)
    comment = _text(comment, "comment", max_length=RATING_COMMENT_MAX, required=False, label=_("A comment"))
    if Rating.objects.filter(topic=topic, user=actor).exists():
        raise Conflict(_("You have already rated this outcome."))
    rating = Rating.objects.create(topic=topic, user=actor, score=score, comment=comment, created_at=now)
    trail.append(
        topic=topic,
        kind=TrailKind.RATING,
        actor=actor,
        data={"rating": rating.pk, "score": score, "comment_sha256": trail.text_digest(comment) if comment else None},
        at=now,
    )
    return rating


# Council rules and the monthly deliberation day
RULE_FIELDS = {
    "limit_collect",
    "limit_review",
    "limit_resolve",
    "limit_publicize",
    "limit_implement",
    "limit_evaluate",
    "quorum_numerator",
    "quorum_denominator",
    "majority_numerator",
    "majority_denominator",
    "publicity_days",
    "evaluation_days",
    "day_rule",
    "day_week",
    "day_weekday",
    "day_of_month",
    "time_of_day",
    "default_observer_seats",
    "location",
}
DAY_FIELDS = {"day_rule", "day_week", "day_weekday", "day_of_month", "time_of_day"}


@transaction.atomic
def council_rules_update(*, actor, community, **fields):
    """Staff set their council's rules. A changed deliberation day re-times the coming
    deliberation days whose notice has not gone out (and that staff never moved by hand)."""
    _require(actor, "council_rules.change", community, _("Only this community's staff change the council's rules."))
    unknown = set(fields) - RULE_FIELDS
    if unknown:
        raise ValidationError(_("Unknown rule: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    rules, _created = CouncilRules.objects.select_for_update().get_or_create(community=community)
    changed = [name for name, value in fields.items() if getattr(rules, name) != value]
    for name in changed:
        setattr(rules, name, fields[name])
    rules.full_clean()
    rules.updated_at, rules.updated_by = clock.now(), actor
    rules.save(update_fields=[*changed, "updated_at", "updated_by"])
    if DAY_FIELDS & set(changed):
        deliberation_days_ensure(community_ids=[community.pk])
    return rules


def _add_months(year, month, months):
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def deliberation_days_ensure(*, community_ids=None, months=2, now=None):
    """Keep each community's deliberation days created for the rest of this month and the
    next `months` calendar months.

    Safe to run from several beat or worker processes at once: each day is created with
    get_or_create on (community, month), which a unique constraint backs, so a month gets
    exactly one deliberation day however many runs race for it. Returns how many it created.
    """
    now = now or clock.now()
    local = timezone.localtime(now)
    # The rest of this month and the next `months` whole calendar months.
    horizon = timezone.make_aware(datetime.datetime(*_add_months(local.year, local.month, months + 1), 1))
    months_ahead = [_add_months(local.year, local.month, n) for n in range(months + 1)]
    firsts = [datetime.date(y, m, 1) for y, m in months_ahead]
    communities = Community.objects.select_related("council_rules").order_by("pk")
    meetings = Meeting.objects.filter(deliberation_month__in=firsts)
    if community_ids is not None:
        communities = communities.filter(pk__in=community_ids)
        meetings = meetings.filter(community_id__in=community_ids)
    existing = {
        (community_id, month): starts_at
        for community_id, month, starts_at in meetings.values_list("community_id", "deliberation_month", "starts_at")
    }
    created = 0
    for community in communities.iterator(chunk_size=500):
        try:
            rules = community.council_rules
        except CouncilRules.DoesNotExist:
            rules = CouncilRules(community=community)
        for first in firsts:
            starts_at = rules.deliberation_day(first.year, first.month)
            if not now < starts_at < horizon:
                continue
            if (community.pk, first) in existing:
                if existing[community.pk, first] != starts_at:
                    _deliberation_day_retime(community, first, rules, starts_at, now)
                continue
            with transaction.atomic():
                meeting, was_created = Meeting.objects.get_or_create(
                    community=community,
                    deliberation_month=first,
                    defaults={
                        "starts_at": starts_at,
                        "is_deliberation_day": True,
                        "location": _default_location(community, rules),
                        "observer_seats": rules.default_observer_seats,
                        "created_at": now,
                    },
                )
                if was_created:
                    created += 1
                    notices.meeting_scheduled(meeting)
                    signals.send_on_commit(signals.meeting_scheduled, Meeting, meeting_id=meeting.pk, actor_id=None)
    return created


def _deliberation_day_retime(community, first, rules, starts_at, now):
    """Follow a changed rule: move a coming deliberation day nobody moved by hand and whose
    notice is not yet due."""
    lead = datetime.timedelta(days=settings.NOTICE_LEAD_DAYS)
    with transaction.atomic():
        meeting = (
            Meeting.objects.select_for_update(of=("self",))
            .filter(
                community=community,
                deliberation_month=first,
                status=Meeting.Status.SCHEDULED,
                moved_at__isnull=True,
                starts_at__gt=now + lead,
            )
            .exclude(starts_at=starts_at)
            .first()
        )
        if meeting is None or starts_at <= now + lead:
            return
        _meeting_move(meeting, actor=None, starts_at=starts_at, by_hand=False)
