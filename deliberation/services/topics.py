"""Topics: raising, editing, moving through the seven steps, withdrawing."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from communities.models import Membership
from communities.permissions import can
from core.errors import Conflict

from .. import clock, notices, signals, trail
from ..models import NOTE_MAX, TOPIC_BODY_MAX, Topic, TopicCategory, TrailKind
from ..selectors import council_rules_for
from ..workflow import TRANSITIONS, Outcome, Step, due_after, permission_blocker, skip_blocker
from ._helpers import _lock_topic, _require, _same_community, _text

NEGATIVE_OUTCOMES = {Outcome.REJECTED, Outcome.VOTED_DOWN, Outcome.WITHDRAWN}


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
