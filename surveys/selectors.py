"""Reads of surveys, activities and evaluation rounds, shaped for pages, exports, API and dashboards.

Every figure is computed from the raw rows (answers, attendance, ratings, trail entries) with
conditional aggregation in a fixed number of queries, whatever the number of answers or
communities. The officials' dashboards read this app's figures through surveys.dashboard.
"""

import datetime
import statistics
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, Subquery, Window, prefetch_related_objects
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from communities import dashboard as communities_dashboard
from communities.models import Community, Residency, Stage, Typology
from communities.permissions import roles_for
from core import dashboards
from core.figures import percent
from deliberation import selectors as deliberation_selectors

from . import ready_made
from .models import (
    SCALE_MAX,
    SCALE_MIN,
    Activity,
    ActivityRating,
    AgeBand,
    Answer,
    Attendance,
    EvaluationRound,
    Indicator,
    Participation,
    ReadyMade,
    Response,
    Score,
    SignUp,
    Survey,
)
from .permissions import area_q

User = get_user_model()

TEXT_SHOWN = 50


# Surveys ---------------------------------------------------------------------------------


def survey_list(*, community=None, ready_made=None):
    """Surveys, newest first; `community` keeps those whose scope covers it."""
    surveys = Survey.objects.select_related("community", "street", "district")
    if community is not None:
        surveys = surveys.covering(community)
    if ready_made:
        surveys = surveys.filter(ready_made=ready_made)
    return surveys.order_by("-opens_at", "-pk")


def surveys_for(user):
    """The surveys a person meets: those of their community as a resident, of their area at work."""
    roles = roles_for(user)
    surveys = Survey.objects.select_related("community", "street", "district").order_by("-opens_at", "-pk")
    if roles.superuser:
        return surveys
    q = Q(pk__in=[])
    if roles.resident_of:
        community = Community.objects.select_related("street").get(pk=roles.resident_of)
        q |= Q(pk__in=Survey.objects.covering(community).values("pk"))
    if roles.staff_of or roles.is_official or roles.evaluator:
        q |= Q(pk__in=Survey.objects.touching(Community.objects.filter(area_q(user))).values("pk"))
    return surveys.filter(q)


def survey_detail(survey_id):
    return (
        Survey.objects.select_related("community", "street__district", "district")
        .prefetch_related("questions__choices")
        .get(pk=survey_id)
    )


def has_answered(user, survey):
    return user.is_authenticated and Participation.objects.filter(survey=survey, user=user).exists()


def _questions(survey):
    """The survey's questions with their choices, from the prefetch when the caller made one."""
    prefetch_related_objects([survey], "questions__choices")
    return list(survey.questions.all())


BREAKDOWNS = (
    ("typology", "response__community__typology", Typology),
    ("stage", "response__community__stage", Stage),
    ("age_band", "response__age_band", AgeBand),
)


def _number_summary(counts):
    """Mean, median, smallest and largest of a {value: count} distribution."""
    total = sum(counts.values())
    if not total:
        return {"count": 0, "mean": None, "median": None, "min": None, "max": None}
    middles = {(total - 1) // 2, total // 2}
    found, running = [], 0
    for value in sorted(counts):
        first, running = running, running + counts[value]
        found.extend(value for position in middles if first <= position < running)
    values = sorted(counts)
    return {
        "count": total,
        "mean": round(sum(v * n for v, n in counts.items()) / total, 2),
        "median": statistics.mean(found),
        "min": values[0],
        "max": values[-1],
    }


def _choice_rows(question, counts, answered):
    return [
        {
            "id": choice.pk,
            "label": choice.label,
            "value": choice.value,
            "count": counts.get(choice.pk, 0),
            "percent": percent(counts.get(choice.pk, 0), answered),
        }
        for choice in question.choices.all()
    ]


def _scale_rows(counts, answered):
    return [
        {"value": value, "count": counts.get(value, 0), "percent": percent(counts.get(value, 0), answered)}
        for value in range(SCALE_MIN, SCALE_MAX + 1)
    ]


def _mean(counts):
    total = sum(counts.values())
    return round(sum(v * n for v, n in counts.items()) / total, 2) if total else None


def survey_results(survey, *, communities=None, include_hidden=False, text_limit=TEXT_SHOWN):
    """Counts and percentages per choice, mean and distribution per scale, numbers summarised,
    free text listed, each broken down by typology, stage and age band.

    `communities` (a queryset) narrows the results to those communities' residents. Hidden
    free-text answers are left out unless `include_hidden`. A fixed number of queries.
    """
    questions = _questions(survey)
    responses = Response.objects.filter(survey=survey)
    answers = Answer.objects.filter(question_id__in=[q.pk for q in questions])
    if communities is not None:
        responses = responses.filter(community__in=communities)
        answers = answers.filter(response__community__in=communities)
    counted = answers.filter(question_id__in=[q.pk for q in questions if not q.is_text]).order_by()

    respondents = responses.count()
    answered = {
        row["question_id"]: row
        for row in answers.order_by()
        .values("question_id")
        .annotate(n=Count("response_id", distinct=True), hidden=Count("id", filter=Q(hidden_at__isnull=False)))
    }
    counts = defaultdict(dict)
    for row in counted.values("question_id", "choice_id", "value").annotate(n=Count("id")):
        counts[row["question_id"]][row["choice_id"] or row["value"]] = row["n"]

    broken = {}
    for name, path, _labels in BREAKDOWNS:
        group_counts = defaultdict(lambda: defaultdict(dict))
        for row in counted.values("question_id", "choice_id", "value", path).annotate(n=Count("id")):
            group_counts[row["question_id"]][row[path]][row["choice_id"] or row["value"]] = row["n"]
        group_answered = defaultdict(dict)
        for row in answers.order_by().values("question_id", path).annotate(n=Count("response_id", distinct=True)):
            group_answered[row["question_id"]][row[path]] = row["n"]
        broken[name] = (group_counts, group_answered)

    texts = defaultdict(list)
    text_questions = [q.pk for q in questions if q.is_text]
    if text_questions:
        shown = answers.filter(question_id__in=text_questions)
        if not include_hidden:
            shown = shown.filter(hidden_at__isnull=True)
        if text_limit is not None:
            shown = shown.annotate(
                row=Window(
                    RowNumber(), partition_by=[F("question_id")], order_by=[F("response__submitted_on").desc(), F("id")]
                )
            ).filter(row__lte=text_limit)
        else:
            shown = shown.order_by("question_id", "-response__submitted_on", "id")
        for row in shown.values(
            "id",
            "question_id",
            "text",
            "hidden_at",
            "hidden_reason",
            "response__community_id",
            "response__submitted_on",
        ):
            texts[row["question_id"]].append(
                {
                    "id": row["id"],
                    "text": row["text"],
                    "hidden": row["hidden_at"] is not None,
                    "hidden_reason": row["hidden_reason"],
                    "community_id": row["response__community_id"],
                    "submitted_on": row["response__submitted_on"],
                }
            )

    results = []
    for question in questions:
        n = answered.get(question.pk, {}).get("n", 0)
        entry = {
            "id": question.pk,
            "position": question.position,
            "text": question.text,
            "kind": question.kind,
            "key": question.key,
            "required": question.required,
            "answered": n,
            "skipped": respondents - n,
        }
        own = counts.get(question.pk, {})
        if question.has_choices:
            entry["choices"] = _choice_rows(question, own, n)
        elif question.is_scale:
            entry["mean"] = _mean(own)
            entry["distribution"] = _scale_rows(own, n)
        elif question.is_number:
            entry["summary"] = _number_summary(own)
        else:
            hidden = answered.get(question.pk, {}).get("hidden", 0)
            entry["texts"] = texts.get(question.pk, [])
            entry["hidden"] = hidden
            entry["shown_count"] = n - (0 if include_hidden else hidden)
        if not question.is_text:
            entry["breakdowns"] = {}
            for name, _path, labels in BREAKDOWNS:
                group_counts, group_answered = broken[name]
                rows = []
                for key, label in labels.choices:
                    group_n = group_answered.get(question.pk, {}).get(key, 0)
                    if not group_n:
                        continue
                    own_group = group_counts.get(question.pk, {}).get(key, {})
                    row = {"key": key, "label": str(label), "answered": group_n}
                    if question.has_choices:
                        row["choices"] = _choice_rows(question, own_group, group_n)
                    else:
                        row["mean"] = _mean(own_group)
                    rows.append(row)
                entry["breakdowns"][name] = rows
        results.append(entry)
    return {"survey": survey.pk, "respondents": respondents, "questions": results}


def response_rows(survey, *, communities=None):
    """Every response as one row (for exports): community, typology, stage, age band, answers.

    Anonymous or not, the export names no person. Hidden free text is left out.
    """
    questions = _questions(survey)
    labels = {choice.pk: choice.label for q in questions for choice in q.choices.all()}
    answers = Answer.objects.filter(question_id__in=[q.pk for q in questions])
    if communities is not None:
        answers = answers.filter(response__community__in=communities)
    rows = {}
    for answer in answers.order_by("response__submitted_on", "response_id").values(
        "response_id",
        "question_id",
        "choice_id",
        "value",
        "text",
        "hidden_at",
        "response__submitted_on",
        "response__community__name",
        "response__community__typology",
        "response__community__stage",
        "response__age_band",
    ):
        row = rows.setdefault(
            answer["response_id"],
            {
                "submitted_on": answer["response__submitted_on"],
                "community": answer["response__community__name"],
                "typology": Typology(answer["response__community__typology"]).label,
                "stage": Stage(answer["response__community__stage"]).label,
                "age_band": AgeBand(answer["response__age_band"]).label,
                "answers": defaultdict(list),
            },
        )
        if answer["choice_id"]:
            row["answers"][answer["question_id"]].append(labels.get(answer["choice_id"], ""))
        elif answer["value"] is not None:
            row["answers"][answer["question_id"]].append(str(answer["value"]))
        elif answer["hidden_at"] is None:
            row["answers"][answer["question_id"]].append(answer["text"])
    return questions, list(rows.values())


# Ready-made answers ---------------------------------------------------------------------


def _ready_made_answers(kind, communities, since, until):
    answers = Answer.objects.filter(question__survey__ready_made=kind)
    if communities is not None:
        answers = answers.filter(response__community__in=communities)
    if since is not None:
        answers = answers.filter(response__submitted_on__gte=since)
    if until is not None:
        answers = answers.filter(response__submitted_on__lte=until)
    return answers


def _day_bounds(since, until):
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(since, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, end


# Activities ------------------------------------------------------------------------------


def activity_list(*, community=None, upcoming=None, now=None):
    activities = Activity.objects.select_related("community", "organiser").annotate(
        taken=Count("signups", filter=Q(signups__cancelled_at__isnull=True), distinct=True)
    )
    if community is not None:
        activities = activities.filter(community=community)
    now = now or timezone.now()
    if upcoming is True:
        activities = activities.filter(ends_at__gte=now, cancelled_at__isnull=True).order_by("starts_at", "pk")
    elif upcoming is False:
        activities = activities.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
    else:
        activities = activities.order_by("-starts_at", "-pk")
    return activities


def activity_detail(activity_id):
    return (
        Activity.objects.select_related("community__street__district", "organiser")
        .annotate(
            taken=Count("signups", filter=Q(signups__cancelled_at__isnull=True), distinct=True),
        )
        .get(pk=activity_id)
    )


def activity_figures(activity):
    """Attendance and ratings of one activity, in one query."""
    return Activity.objects.filter(pk=activity.pk).aggregate(
        attended=Count("attendances", distinct=True),
        rating_count=Count("ratings", distinct=True),
        rating_mean=Avg("ratings__score"),
    )


def activity_people(activity):
    """Sign-ups and attendance for the staff's check-in list, one row per person, in one query."""
    attended = Attendance.objects.filter(activity=activity, user=OuterRef("user"))
    signups = (
        SignUp.objects.filter(activity=activity)
        .select_related("user")
        .annotate(attended=Exists(attended))
        .order_by("cancelled_at", "user__display_name", "pk")
    )
    return list(signups)


def person_activity_state(user, activity):
    """What one person has done about one activity: signed up, attended, rated. One query."""
    if not user.is_authenticated:
        return {"signed_up": False, "attended": False, "rating": None}
    row = (
        Activity.objects.filter(pk=activity.pk)
        .annotate(
            signed_up=Exists(SignUp.objects.filter(activity=OuterRef("pk"), user=user, cancelled_at__isnull=True)),
            attended=Exists(Attendance.objects.filter(activity=OuterRef("pk"), user=user)),
            rating=Subquery(ActivityRating.objects.filter(activity=OuterRef("pk"), user=user).values("score")[:1]),
        )
        .values("signed_up", "attended", "rating")
        .first()
    )
    return row


def activities_per_year(user, *, year=None):
    """How many activities a person attended in a calendar year, from attendance."""
    year = year or timezone.localdate().year
    return Attendance.objects.filter(
        user=user, activity__starts_at__year=year, activity__cancelled_at__isnull=True
    ).count()


# Evaluation ------------------------------------------------------------------------------


def _scaled_mean(mean):
    """A 1-5 mean on a 0-100 scale."""
    return None if mean is None else (float(mean) - 1) * 25


def _participation_rate(communities, start, end):
    """Share of verified residents who took part in community affairs in the period, in the one
    meaning the dashboards use too (communities.dashboard.took_part): commented, raised a topic,
    sat at a council meeting or was checked in at its gallery, attended an activity, answered
    a survey."""
    area = dashboards.Area(
        communities.values("pk"),
        frozenset(),
        start.date(),
        (end - datetime.timedelta(days=1)).date(),
        start,
        end,
        timezone.now(),
    )
    return {pk: percent(active, total) for pk, (total, active) in communities_dashboard.took_part(area).items()}


def _topics_on_time(communities, start, end):
    """Of the topics archived in the period, the share that left every step before it was due."""
    counts = deliberation_selectors.topics_on_time_counts(communities, start, end)
    return {community_id: percent(on_time, finished) for community_id, (finished, on_time) in counts.items()}


def _outcome_satisfaction(communities, start, end):
    means = deliberation_selectors.rating_means(communities, start, end)
    return {community_id: _scaled_mean(mean) for community_id, mean in means.items()}


def _body_impressions(communities, start, end):
    rows = (
        _ready_made_answers(ReadyMade.IMPRESSIONS, communities, start.date(), (end - datetime.timedelta(days=1)).date())
        .filter(question__key__in=ready_made.IMPRESSION_KEYS)
        .order_by()
        .values("response__community_id")
        .annotate(answered=Count("id"), good=Count("id", filter=Q(choice__value=ready_made.GOOD)))
    )
    return {row["response__community_id"]: percent(row["good"], row["answered"]) for row in rows}


def _activity_participation(communities, start, end):
    attended = (
        Attendance.objects.filter(
            user=OuterRef("user"),
            activity__starts_at__gte=start,
            activity__starts_at__lt=end,
            activity__cancelled_at__isnull=True,
        )
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        Residency.objects.verified()
        .filter(community__in=communities)
        .annotate(n=Coalesce(Subquery(attended), 0))
        .order_by()
        .values("community_id")
        .annotate(total=Count("pk"), twice=Count("pk", filter=Q(n__gte=2)))
    )
    return {row["community_id"]: percent(row["twice"], row["total"]) for row in rows}


INDICATOR_FUNCTIONS = {
    Indicator.PARTICIPATION_RATE: _participation_rate,
    Indicator.TOPICS_ON_TIME: _topics_on_time,
    Indicator.OUTCOME_SATISFACTION: _outcome_satisfaction,
    Indicator.BODY_IMPRESSIONS: _body_impressions,
    Indicator.ACTIVITY_PARTICIPATION: _activity_participation,
}


def indicator_values(source, communities, period_start, period_end):
    """{community id: 0-100 score, or None where the portal holds no data} for one computed indicator."""
    start, end = _day_bounds(period_start, period_end)
    values = INDICATOR_FUNCTIONS[source](communities, start, end)
    return {community_id: values.get(community_id) for community_id in communities.values_list("pk", flat=True)}


def rounds_for(user):
    """The evaluation rounds a person may open: their own as evaluator, their area's as official,
    and for committee staff the published rounds that report on their community."""
    roles = roles_for(user)
    rounds = EvaluationRound.objects.select_related(
        "engagement__evaluator", "engagement__street", "engagement__district"
    )
    if roles.superuser:
        return rounds
    q = Q(engagement__evaluator=user)
    published = Q(status=EvaluationRound.Status.PUBLISHED)
    area = Community.objects.filter(area_q(user) if (roles.is_official or roles.staff_of) else Q(pk__in=[]))
    if roles.is_official or roles.staff_of:
        q |= published & (
            Q(engagement__street__in=area.values("street_id"))
            | Q(engagement__district__in=area.values("street__district_id"))
            | Q(engagement__communities__in=area)
        )
    return rounds.filter(q).distinct()


def round_ranking(evaluation_round):
    """Every evaluated community with its scores, weighted total and rank (1 is best).

    The total is the weighted mean over the indicators that have a score; a community with
    no score at all is ranked last. Three queries.
    """
    indicators = list(evaluation_round.indicators.all())
    communities = list(evaluation_round.engagement.evaluated_communities().order_by("code"))
    scores = defaultdict(dict)
    for score in Score.objects.filter(indicator__round=evaluation_round):
        scores[score.community_id][score.indicator_id] = score
    rows = []
    for community in communities:
        own = scores.get(community.pk, {})
        weighted = sum(
            float(i.weight) * float(own[i.pk].value) for i in indicators if i.pk in own and own[i.pk].value is not None
        )
        weights = sum(float(i.weight) for i in indicators if i.pk in own and own[i.pk].value is not None)
        rows.append(
            {
                "community": community,
                "scores": [own.get(i.pk) for i in indicators],
                "total": round(weighted / weights, 2) if weights else None,
            }
        )
    rows.sort(key=lambda row: (row["total"] is None, -(row["total"] or 0), row["community"].code))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return indicators, rows
