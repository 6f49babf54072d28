"""Third-party evaluation: engagements, rounds, indicators and scores."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.permissions import roles_for
from core.errors import Conflict

from .. import selectors
from ..models import Engagement, EvaluationRound, Indicator, RoundIndicator, Score
from ..permissions import forget_engagements
from ._helpers import _require


@transaction.atomic
def engagement_create(*, actor, evaluator, scope, street=None, district=None, communities=(), organisation=""):
    _require(actor, "engagement.create", None, _("Only the city's administrators engage evaluators."))
    if not roles_for(evaluator).evaluator:
        raise ValidationError({"evaluator": _("This person is not a registered third-party evaluator.")})
    engagement = Engagement(
        evaluator=evaluator,
        scope=scope,
        street=street if scope == Engagement.Scope.STREET else None,
        district=district if scope == Engagement.Scope.DISTRICT else None,
        organisation=(organisation or "").strip(),
        engaged_by=actor,
    )
    if scope == Engagement.Scope.STREET and street is None:
        raise ValidationError({"street": _("Choose the street or town.")})
    if scope == Engagement.Scope.DISTRICT and district is None:
        raise ValidationError({"district": _("Choose the district.")})
    communities = list(communities)
    if scope == Engagement.Scope.COMMUNITIES and not communities:
        raise ValidationError({"communities": _("Choose at least one community.")})
    engagement.full_clean(exclude=["engaged_by"])
    engagement.save()
    if scope == Engagement.Scope.COMMUNITIES:
        engagement.communities.set(communities)
    forget_engagements(evaluator)
    return engagement


@transaction.atomic
def engagement_end(*, actor, engagement):
    _require(actor, "engagement.create")
    engagement.ended_at = timezone.now()
    engagement.save(update_fields=["ended_at"])
    forget_engagements(engagement.evaluator)
    return engagement


def _clean_indicator(name, source, weight):
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the indicator.")})
    if source not in Indicator.values:
        raise ValidationError({"source": _("Unknown indicator source: %(source)s.") % {"source": source}})
    try:
        weight = Decimal(str(weight))
    except ArithmeticError as exc:
        raise ValidationError({"weight": _("Give the weight as a number.")}) from exc
    if not Decimal("0.01") <= weight <= Decimal(100):
        raise ValidationError({"weight": _("A weight lies between 0.01 and 100.")})
    return name, source, weight


def _draft(evaluation_round):
    if evaluation_round.is_published:
        raise Conflict(_("This round is published: its indicators and scores are final."))


@transaction.atomic
def round_create(*, actor, engagement, title, period_start, period_end, indicators=()):
    evaluation_round = EvaluationRound(
        engagement=engagement,
        title=(title or "").strip(),
        period_start=period_start,
        period_end=period_end,
        created_by=actor,
    )
    _require(actor, "round.manage", evaluation_round, _("Only the engaged evaluator defines this engagement's rounds."))
    if engagement.ended_at is not None:
        raise Conflict(_("This engagement has ended."))
    if period_start and period_end and period_end < period_start:
        raise ValidationError({"period_end": _("The period must end after it starts.")})
    evaluation_round.full_clean(exclude=["created_by"])
    evaluation_round.save()
    for position, spec in enumerate(indicators, start=1):
        indicator_add(actor=actor, evaluation_round=evaluation_round, position=position, **spec)
    return evaluation_round


ROUND_FIELDS = ("title", "period_start", "period_end")


@transaction.atomic
def round_update(*, actor, evaluation_round, **fields):
    evaluation_round = EvaluationRound.objects.select_for_update().get(pk=evaluation_round.pk)
    _require(actor, "round.manage", evaluation_round)
    _draft(evaluation_round)
    unknown = set(fields) - set(ROUND_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown round fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    for name, value in fields.items():
        setattr(evaluation_round, name, value.strip() if isinstance(value, str) else value)
    if evaluation_round.period_end < evaluation_round.period_start:
        raise ValidationError({"period_end": _("The period must end after it starts.")})
    evaluation_round.full_clean(exclude=["created_by"])
    if fields:
        evaluation_round.save(update_fields=sorted(fields))
    return evaluation_round


@transaction.atomic
def indicator_add(*, actor, evaluation_round, name, source, weight, position=None):
    _require(actor, "round.manage", evaluation_round)
    _draft(evaluation_round)
    name, source, weight = _clean_indicator(name, source, weight)
    if position is None:
        position = (
            evaluation_round.indicators.order_by("-position").values_list("position", flat=True).first() or 0
        ) + 1
    return RoundIndicator.objects.create(
        round=evaluation_round, name=name, source=source, weight=weight, position=position
    )


@transaction.atomic
def indicator_update(*, actor, indicator, name, source, weight, position):
    evaluation_round = indicator.round
    _require(actor, "round.manage", evaluation_round)
    _draft(evaluation_round)
    name, source, weight = _clean_indicator(name, source, weight)
    if source != indicator.source:
        indicator.scores.all().delete()
    indicator.name, indicator.source, indicator.weight, indicator.position = name, source, weight, position
    indicator.save(update_fields=["name", "source", "weight", "position"])
    return indicator


@transaction.atomic
def indicator_delete(*, actor, indicator):
    _require(actor, "round.manage", indicator.round)
    _draft(indicator.round)
    indicator.delete()


@transaction.atomic
def round_compute(*, actor, evaluation_round):
    """Score every computed indicator for every community of the round from the portal's records."""
    evaluation_round = (
        EvaluationRound.objects.select_for_update().select_related("engagement").get(pk=evaluation_round.pk)
    )
    _require(actor, "round.manage", evaluation_round)
    _draft(evaluation_round)
    communities = evaluation_round.engagement.evaluated_communities()
    computed = [i for i in evaluation_round.indicators.all() if i.is_computed]
    now = timezone.now()
    Score.objects.filter(indicator__in=computed).delete()
    rows = []
    for indicator in computed:
        values = selectors.indicator_values(
            indicator.source, communities, evaluation_round.period_start, evaluation_round.period_end
        )
        rows.extend(
            Score(
                indicator=indicator,
                community_id=community_id,
                value=None if value is None else Decimal(str(round(value, 2))),
                scored_by=actor,
                scored_at=now,
            )
            for community_id, value in values.items()
        )
    Score.objects.bulk_create(rows)
    evaluation_round.computed_at = now
    evaluation_round.save(update_fields=["computed_at"])
    return len(rows)


@transaction.atomic
def score_set(*, actor, indicator, community, value, evidence):
    """Score a community by hand on an indicator that is not computed, with the evidence for it."""
    evaluation_round = (
        EvaluationRound.objects.select_for_update().select_related("engagement").get(pk=indicator.round_id)
    )
    _require(actor, "round.manage", evaluation_round)
    _draft(evaluation_round)
    if indicator.is_computed:
        raise ValidationError(
            {"indicator": _("This indicator is computed from the portal's records, not scored by hand.")}
        )
    if not evaluation_round.engagement.evaluated_communities().filter(pk=community.pk).exists():
        raise ValidationError({"community": _("This community is not part of the evaluation.")})
    try:
        value = Decimal(str(value))
    except ArithmeticError as exc:
        raise ValidationError({"value": _("Give the score as a number from 0 to 100.")}) from exc
    if not Decimal(0) <= value <= Decimal(100):
        raise ValidationError({"value": _("A score lies between 0 and 100.")})
    evidence = (evidence or "").strip()
    if not evidence:
        raise ValidationError({"evidence": _("A score given by hand needs a note of its evidence.")})
    if len(evidence) > 2000:
        raise ValidationError({"evidence": _("Keep the evidence note to 2,000 characters.")})
    score, _created = Score.objects.update_or_create(
        indicator=indicator,
        community=community,
        defaults={
            "value": value.quantize(Decimal("0.01")),
            "evidence": evidence,
            "scored_by": actor,
            "scored_at": timezone.now(),
        },
    )
    return score


@transaction.atomic
def round_publish(*, actor, evaluation_round):
    evaluation_round = (
        EvaluationRound.objects.select_for_update().select_related("engagement").get(pk=evaluation_round.pk)
    )
    _require(actor, "round.manage", evaluation_round)
    _draft(evaluation_round)
    indicators = list(evaluation_round.indicators.all())
    if not indicators:
        raise Conflict(_("The round has no indicators yet."))
    blockers = []
    if any(i.is_computed for i in indicators) and evaluation_round.computed_at is None:
        blockers.append(_("Compute the indicators from the portal's records first."))
    community_count = evaluation_round.engagement.evaluated_communities().count()
    for indicator in indicators:
        if not indicator.is_computed and indicator.scores.count() < community_count:
            blockers.append(_("Score every community on “%(indicator)s”.") % {"indicator": indicator.name})
    if blockers:
        raise Conflict(_("The round cannot be published yet."), blockers)
    evaluation_round.status = EvaluationRound.Status.PUBLISHED
    evaluation_round.published_at = timezone.now()
    evaluation_round.save(update_fields=["status", "published_at"])
    return evaluation_round
