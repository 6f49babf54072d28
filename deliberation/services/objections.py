"""Publicity: objections and their answers."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import Conflict

from .. import clock, notices, signals, trail
from ..models import OBJECTION_MAX, Objection, TrailKind
from ..workflow import Step
from ._helpers import _lock_topic, _require, _text, _when


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
