"""Consultation: residents' support for a topic."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import Conflict

from .. import clock, trail
from ..models import Support, TrailKind
from ..workflow import CONSULTATION_STEPS
from ._helpers import _lock_topic, _require


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
