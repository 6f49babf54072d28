"""Consultation: comments, their reports and moderation."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import Conflict

from .. import clock, notices, signals, trail
from ..models import COMMENT_MAX, REASON_MAX, REPORTS_TO_HOLD, Comment, CommentReport, TrailKind
from ..workflow import CONSULTATION_STEPS
from ._helpers import _lock_topic, _require, _text


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
