"""This app's figures for the officials' dashboards: the ready-made surveys' impressions and
satisfaction, the activities residents attend and report, and the latest published
evaluation round (registered with core.dashboards from SurveysConfig.ready()), and the ways of
taking part it owns (attending an activity, answering a survey).
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q

from communities.models import Community
from core import dashboards
from core.figures import percent

from . import ready_made
from .models import Answer, Attendance, EvaluationRound, Participation, ReadyMade
from .selectors import round_ranking

SCALES = (ready_made.KNOWLEDGE_SATISFACTION, ready_made.TAKING_PART_SATISFACTION)
ATTENDED_ACTIVITY = "surveys.attended_activity"
# How many activities a resident attended, bucketed as the participation survey asks it.
ACTIVITY_BUCKET_RANGES = tuple(zip(ready_made.ACTIVITY_BUCKET_VALUES, (0, 1, 2, 4, 7), (0, 1, 3, 6, None), strict=True))


def _blank_impressions():
    return {key: {"good": 0, "answered": 0} for key in ready_made.IMPRESSION_KEYS}


def _blank_buckets():
    return dict.fromkeys(ready_made.ACTIVITY_BUCKET_VALUES, 0)


def _blank_scales():
    return {key: dict.fromkeys(range(1, 6), 0) for key in SCALES}


@dataclass(frozen=True)
class SurveyFigures:
    """One community's answers to the latest impressions survey and the latest participation
    survey its residents answered in the period: good impressions per body, the activities
    residents report, their satisfaction (1-5) with what they know and how they take part."""

    impressions: dict = field(default_factory=_blank_impressions)
    reported: dict = field(default_factory=_blank_buckets)
    scales: dict = field(default_factory=_blank_scales)
    impressions_surveys: frozenset = frozenset()
    participation_surveys: frozenset = frozenset()


@dataclass(frozen=True)
class EvaluationFigures:
    """The evaluation has no per-community counts to sum: its panel is the round's ranking."""


# Taking part -----------------------------------------------------------------------------------


def _attended(area):
    rows = Attendance.objects.filter(
        activity__cancelled_at__isnull=True, activity__starts_at__gte=area.start, activity__starts_at__lt=area.end
    )
    return area.within(rows, "activity__community").order_by().values("user_id").annotate(n=Count("pk"))


def _answered(area):
    rows = Participation.objects.filter(answered_at__gte=area.start, answered_at__lt=area.end)
    return area.within(rows, "community").order_by().values("user_id").annotate(n=Count("pk"))


TAKING_PART = (
    dashboards.TakingPart(
        action="attended_activity",
        name=ATTENDED_ACTIVITY,
        rows=_attended,
        person="user_id",
        buckets=ACTIVITY_BUCKET_RANGES,
    ),
    dashboards.TakingPart(action="answered_survey", name="surveys.answered_survey", rows=_answered, person="user_id"),
)


# The ready-made surveys (1 query) --------------------------------------------------------------


def survey_rows(area):
    """{community id: SurveyFigures}, the latest survey of each kind chosen per community, so a
    community answering a district survey and later a city survey is read from the city one."""
    aggregates = {}
    for index, key in enumerate(ready_made.IMPRESSION_KEYS):
        aggregates[f"imp{index}_answered"] = Count("pk", filter=Q(question__key=key))
        aggregates[f"imp{index}_good"] = Count("pk", filter=Q(question__key=key, choice__value=ready_made.GOOD))
    for index, value in enumerate(ready_made.ACTIVITY_BUCKET_VALUES):
        aggregates[f"rep{index}"] = Count(
            "pk", filter=Q(question__key=ready_made.ACTIVITIES_LAST_YEAR, choice__value=value)
        )
    for index, key in enumerate(SCALES):
        for point in range(1, 6):
            aggregates[f"scale{index}_{point}"] = Count("pk", filter=Q(question__key=key, value=point))
    answers = area.within(
        Answer.objects.filter(
            question__survey__ready_made__in=[ReadyMade.IMPRESSIONS, ReadyMade.PARTICIPATION],
            response__submitted_on__gte=area.since,
            response__submitted_on__lte=area.until,
        ),
        "response__community",
    )
    rows = (
        answers.order_by()
        .values(
            "response__community_id",
            "question__survey_id",
            "question__survey__ready_made",
            "question__survey__opens_at",
        )
        .annotate(**aggregates)
    )
    latest = {}
    for row in rows:
        slot = (row["response__community_id"], row["question__survey__ready_made"])
        rank = (row["question__survey__opens_at"], row["question__survey_id"])
        if slot not in latest or rank > latest[slot][0]:
            latest[slot] = (rank, row)
    parts = defaultdict(dict)
    for (community_id, kind), (_rank, row) in latest.items():
        if kind == ReadyMade.IMPRESSIONS:
            parts[community_id]["impressions"] = {
                key: {"good": row[f"imp{index}_good"], "answered": row[f"imp{index}_answered"]}
                for index, key in enumerate(ready_made.IMPRESSION_KEYS)
            }
            parts[community_id]["impressions_surveys"] = frozenset({row["question__survey_id"]})
        else:
            parts[community_id]["reported"] = {
                value: row[f"rep{index}"] for index, value in enumerate(ready_made.ACTIVITY_BUCKET_VALUES)
            }
            parts[community_id]["scales"] = {
                key: {point: row[f"scale{index}_{point}"] for point in range(1, 6)} for index, key in enumerate(SCALES)
            }
            parts[community_id]["participation_surveys"] = frozenset({row["question__survey_id"]})
    return {community_id: SurveyFigures(**values) for community_id, values in parts.items()}


def _scale_figures(distribution):
    answered = sum(distribution.values())
    return {
        "answered": answered,
        "mean": round(sum(point * n for point, n in distribution.items()) / answered, 2) if answered else None,
        "distribution": distribution,
        "satisfied": percent(distribution[4] + distribution[5], answered),
        "dissatisfied": percent(distribution[1] + distribution[2], answered),
    }


def _activity_participation(residents, area):
    buckets = {**_blank_buckets(), **residents.buckets.get(ATTENDED_ACTIVITY, {})}
    attended = residents.times.get(ATTENDED_ACTIVITY, 0)
    count = residents.residents
    return {
        "since": area.since.isoformat(),
        "until": area.until.isoformat(),
        "residents": count,
        "buckets": buckets,
        "shares": {value: percent(n, count) for value, n in buckets.items()},
        "under_2": percent(sum(buckets[v] for v in ready_made.UNDER_TWO_BUCKETS), count),
        "mean": round(attended / count, 2) if count else None,
    }


def survey_panels(totals, area):
    surveys = totals["surveys"]
    impressions = {
        key: {**counts, "percent": percent(counts["good"], counts["answered"])}
        for key, counts in surveys.impressions.items()
    }
    information = {key: _scale_figures(dict(surveys.scales[key])) for key in SCALES}
    answered = sum(surveys.reported.values())
    information["reported_activities"] = {
        "answered": answered,
        "buckets": dict(surveys.reported),
        "under_2": percent(sum(surveys.reported[v] for v in ready_made.UNDER_TWO_BUCKETS), answered),
    }
    return {
        "activity_participation": _activity_participation(totals["residents"], area),
        "satisfaction_by_body": {key: figures["percent"] for key, figures in impressions.items()},
        "impressions": impressions,
        "impressions_surveys": sorted(surveys.impressions_surveys),
        "information_satisfaction": information,
    }


def _survey_indicators(totals):
    surveys, residents = totals["surveys"], totals["residents"]
    under_2 = residents.buckets.get(ATTENDED_ACTIVITY, {})

    def good(key):
        return percent(surveys.impressions[key]["good"], surveys.impressions[key]["answered"])

    return {
        "under_2": percent(sum(under_2.get(v, 0) for v in ready_made.UNDER_TWO_BUCKETS), residents.residents),
        "good_committee": good("residents_committee"),
        "good_council": good("deliberation_council"),
    }


# Third-party evaluation: the latest published round's ranking (4 queries) -----------------------


def evaluation(area):
    rounds = EvaluationRound.objects.filter(status=EvaluationRound.Status.PUBLISHED).select_related("engagement")
    if area.communities is not None:
        chosen = area.communities
        rounds = rounds.filter(
            Q(engagement__street__in=Community.objects.filter(pk__in=chosen).values("street_id"))
            | Q(engagement__district__in=Community.objects.filter(pk__in=chosen).values("street__district_id"))
            | Q(engagement__communities__in=chosen)
        ).distinct()
    latest = rounds.order_by("-period_end", "-published_at", "-pk").first()
    if latest is None:
        return None
    indicators, ranking = round_ranking(latest)
    return {
        "round": {
            "id": latest.pk,
            "title": latest.title,
            "organisation": latest.engagement.organisation,
            "period_start": latest.period_start.isoformat(),
            "period_end": latest.period_end.isoformat(),
            "url": latest.get_absolute_url(),
        },
        "indicators": [{"name": indicator.name, "weight": float(indicator.weight)} for indicator in indicators],
        "evaluated": len(ranking),
        "ranking": [
            {
                "rank": row["rank"],
                "community_id": row["community"].pk,
                "community": row["community"].name,
                "total": row["total"],
                "scores": [float(s.value) if s is not None and s.value is not None else None for s in row["scores"]],
            }
            for row in ranking
            if row["community"].pk in area.community_ids
        ],
    }


def register():
    for source in TAKING_PART:
        dashboards.register_taking_part(source)
    dashboards.register(
        dashboards.Provider(
            name="surveys",
            figures=SurveyFigures,
            compute=lambda area: dashboards.Contribution(per_community=survey_rows(area)),
            panels=survey_panels,
            indicators=_survey_indicators,
        )
    )
    dashboards.register(
        dashboards.Provider(
            name="evaluation",
            figures=EvaluationFigures,
            compute=lambda area: dashboards.Contribution(panels={"evaluation": evaluation(area)}),
        )
    )
