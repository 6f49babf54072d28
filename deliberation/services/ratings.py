"""Evaluation: residents' ratings of an outcome."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import Conflict

from .. import clock, trail
from ..models import RATING_COMMENT_MAX, Rating, TrailKind
from ..workflow import Step
from ._helpers import _int, _lock_topic, _require, _text, _when


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
