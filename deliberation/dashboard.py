"""This app's figures for the officials' dashboards: topics through the seven steps, the days
spent in each, what is overdue, the council's meetings and the outcome ratings (registered
with core.dashboards from DeliberationConfig.ready()), and the ways of taking part it owns.

"On time" has one meaning wherever the portal says it: a stay in a step is on time when the
topic left the step by the due time written into the trail entry that entered it (a stay with
no due time is not judged). The dashboards' step table gives the share of stays on time; the
evaluation's "topics on time" the share of archived topics none of whose stays was late. Both
read the same stays (`_stays`) and the same test (`_late_sql`). A meeting notice sent on time
is a different thing and is named so ("noticed in time").
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, Lead

from core import dashboards
from core.figures import percent
from notifications.models import Notice

from .models import Attendance, Comment, Meeting, ObserverRegistration, Rating, Topic, TrailEntry, TrailKind
from .notices import MEETING_NOTICE
from .workflow import STEPS, TRANSITIONS, Outcome, Step

OVERDUE_LISTED = 50
# A meeting notice dispatched within this long after its due time still counts as sent
# five days ahead: the dispatcher runs every minute, not at the due second.
NOTICE_GRACE = datetime.timedelta(hours=1)
# The steps a topic stays in for a time; the archive is where it ends.
TIMED_STEPS = [step for step in STEPS if step != Step.ARCHIVE]


def _blank_steps():
    return {step.value: 0 for step in STEPS}


@dataclass(frozen=True)
class TopicFigures:
    """One community's topics raised in the period: in which step they are, which steps they
    reached and how they ended; and its topics overdue now (whenever raised)."""

    raised: int = 0
    overdue: int = 0
    steps: dict = field(default_factory=_blank_steps)
    reached: dict = field(default_factory=_blank_steps)
    outcomes: dict = field(default_factory=lambda: {outcome.value: 0 for outcome in Outcome})


@dataclass(frozen=True)
class RatingFigures:
    """One community's outcome ratings given in the period, by score (1-5)."""

    scores: dict = field(default_factory=lambda: dict.fromkeys(range(1, 6), 0))

    @property
    def count(self):
        return sum(self.scores.values())

    @property
    def mean(self):
        count = self.count
        return round(sum(p * n for p, n in self.scores.items()) / count, 2) if count else None


@dataclass(frozen=True)
class MeetingFigures:
    """One community's council meetings that started in the period (cancelled ones aside)."""

    meetings: int = 0
    held: int = 0
    on_time: int = 0
    short_notice: int = 0
    noticed: int = 0
    seats: int = 0
    taken: int = 0
    checked_in: int = 0


# Taking part -----------------------------------------------------------------------------------


def _per_person(queryset, person, moment, place):
    def rows(area):
        in_period = queryset.filter(**{f"{moment}__gte": area.start, f"{moment}__lt": area.end})
        return area.within(in_period, place).order_by().values(person).annotate(n=Count("pk"))

    return rows


TAKING_PART = (
    dashboards.TakingPart(
        action="commented",
        name="deliberation.commented",
        rows=_per_person(Comment.objects.all(), "author_id", "created_at", "topic__community"),
        person="author_id",
    ),
    dashboards.TakingPart(
        action="raised_topic",
        name="deliberation.raised_topic",
        rows=_per_person(Topic.objects.all(), "raised_by_id", "created_at", "community"),
        person="raised_by_id",
    ),
    dashboards.TakingPart(
        action="attended_meeting",
        name="deliberation.gallery_checked_in",
        rows=_per_person(ObserverRegistration.objects.all(), "user_id", "checked_in_at", "meeting__community"),
        person="user_id",
    ),
    dashboards.TakingPart(
        action="attended_meeting",
        name="deliberation.council_present",
        rows=_per_person(
            Attendance.objects.filter(status=Attendance.Status.PRESENT),
            "member_id",
            "meeting__starts_at",
            "meeting__community",
        ),
        person="member_id",
    ),
)


# Topics: steps, the funnel, outcomes and what is overdue (1 query + 1 + 1) ----------------------

# Where a negative outcome leaves the method: a topic withdrawn in collect never reached review.
LEFT_AT = {
    move.outcome: STEPS.index(source)
    for (source, target), move in TRANSITIONS.items()
    if target == Step.ARCHIVE and move.outcome not in (None, Outcome.ADOPTED)
}


def _reached(index):
    """Q: the topic reached the step at `index` of the method (the archive is reached by all that end)."""
    if index == 0:
        return Q()
    if STEPS[index] == Step.ARCHIVE:
        return Q(step=Step.ARCHIVE)
    q = Q(step__in=STEPS[index:])
    ended_before = [outcome for outcome, left_at in LEFT_AT.items() if left_at < index]
    return q & ~Q(outcome__in=ended_before) if ended_before else q


def topic_rows(area):
    raised = Q(created_at__gte=area.start, created_at__lt=area.end)
    aggregates = {
        "raised": Count("pk", filter=raised),
        "overdue": Count("pk", filter=Q(step_due_at__lt=area.now) & ~Q(step=Step.ARCHIVE)),
    }
    for index, step in enumerate(STEPS):
        aggregates[f"step_{step.value}"] = Count("pk", filter=raised & Q(step=step))
        aggregates[f"reached_{step.value}"] = Count("pk", filter=raised & _reached(index))
    for outcome in Outcome:
        aggregates[f"outcome_{outcome.value}"] = Count("pk", filter=raised & Q(outcome=outcome))
    rows = area.within(Topic.objects.all(), "community").order_by().values("community_id").annotate(**aggregates)
    return {
        row["community_id"]: TopicFigures(
            raised=row["raised"],
            overdue=row["overdue"],
            steps={step.value: row[f"step_{step.value}"] for step in STEPS},
            outcomes={outcome.value: row[f"outcome_{outcome.value}"] for outcome in Outcome},
            reached={step.value: row[f"reached_{step.value}"] for step in STEPS},
        )
        for row in rows
    }


def _overdue_topics(area):
    now = area.now
    topics = area.within(Topic.objects.overdue(now), "community").order_by("step_due_at", "pk")
    return [
        {
            "id": row["pk"],
            "title": row["title"],
            "step": row["step"],
            "due_at": row["step_due_at"].isoformat(),
            "days_overdue": (now - row["step_due_at"]).days,
            "community_id": row["community_id"],
            "community": row["community__name"],
            "url": f"/topics/{row['pk']}/",
        }
        for row in topics.values("pk", "title", "step", "step_due_at", "community_id", "community__name")[
            :OVERDUE_LISTED
        ]
    ]


def _topics_contribution(area):
    return dashboards.Contribution(
        per_community=topic_rows(area),
        panels={"step_days": step_days(area), "overdue_topics": _overdue_topics(area)},
    )


def _topic_panels(totals, area):
    topics = totals["topics"]
    return {
        "topics_raised": topics.raised,
        "topics_by_step": topics.steps,
        "funnel": [
            {
                "step": step.value,
                "count": topics.reached[step.value],
                "percent": percent(topics.reached[step.value], topics.raised),
            }
            for step in STEPS
        ],
        "outcomes": topics.outcomes,
        "overdue": topics.overdue,
    }


def _topic_indicators(totals):
    topics = totals["topics"]
    return {
        "topics": topics.raised,
        "adopted": percent(topics.reached[Step.PUBLICIZE.value], topics.raised),
        "overdue": topics.overdue,
    }


# Days spent in each step, against its time limit (1 query) -----------------------------------


def _sql(queryset):
    return queryset.query.get_compiler(queryset.db).as_sql()


def _sql_days(later, earlier):
    """Days between two timestamps, as SQL for the database in use (PostgreSQL or SQLite)."""
    if connection.vendor == "postgresql":
        return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0)"
    return f"(julianday({later}) - julianday({earlier}))"


def _sql_timestamp(text):
    """A trail timestamp (ISO 8601 text, UTC) as SQL comparable with a timestamp column."""
    if connection.vendor == "postgresql":
        return f"CAST(NULLIF({text}, 'null') AS timestamptz)"
    return f"NULLIF({text}, 'null')"


def _late_sql():
    """SQL over a stay (`left_at`, `due`): 1 when the topic left the step after its due time
    (the one meaning of "late"; a stay not yet left, or with no due time, is not late)."""
    due = _sql_timestamp("due")
    if connection.vendor == "postgresql":
        return f"CASE WHEN left_at > {due} THEN 1 ELSE 0 END"
    return f"CASE WHEN julianday(left_at) > julianday({due}) THEN 1 ELSE 0 END"


def _stays(entries):
    """Each stay in a step of the trail `entries`: from the entry that entered the step to the
    topic's next step entry (`left_at`, null while it stays), with the due time written into
    the entry that entered it."""
    return (
        entries.filter(kind__in=[TrailKind.RAISED, TrailKind.STEP])
        .order_by()
        .annotate(
            stay_step=Case(
                When(kind=TrailKind.RAISED, then=Value(Step.COLLECT.value)),
                default=KT("data__to"),
                output_field=CharField(),
            ),
            due=KT("data__due"),
            left_at=Window(Lead("recorded_at"), partition_by=[F("topic_id")], order_by=[F("seq").asc()]),
        )
    )


def _rows(sql, params):
    with connection.cursor() as cursor:
        # Only code-written SQL and the ORM's own is pasted in; every value is a bound parameter.
        cursor.execute(sql, params)
        return cursor.fetchall()


def step_days(area):
    """For each step: the median days topics stayed in it (stays that ended in the period), the
    time limit the council rules gave (the mean of the limits recorded as each step was entered),
    and the share of the stays judged (those with a due time) that were on time.

    A histogram at a tenth of a day comes back, so the median is exact to that.
    """
    stays = (
        _stays(area.within(TrailEntry.objects.all(), "topic__community"))
        .filter(left_at__gte=area.start, left_at__lt=area.end)
        .values("stay_step", "recorded_at", "left_at", "due")
    )
    days = _sql_days("left_at", "recorded_at")
    due = _sql_timestamp("due")
    limit = _sql_days(due, "recorded_at")
    tenth = f"ROUND(CAST({days} AS numeric), 1)" if connection.vendor == "postgresql" else f"ROUND({days}, 1)"
    sql, params = _sql(stays)
    rows = _rows(
        f"SELECT stay_step, {tenth} AS tenth, COUNT(*), SUM({_late_sql()}), SUM({limit}), COUNT({due}) "  # nosec B608
        f"FROM ({sql}) inner_rows GROUP BY stay_step, tenth",
        params,
    )
    histogram = defaultdict(dict)
    late_count, limit_sum, limit_count = defaultdict(int), defaultdict(float), defaultdict(int)
    for step, tenths, count, late, limits, limited in rows:
        histogram[step][float(tenths)] = count
        late_count[step] += int(late or 0)
        limit_sum[step] += float(limits or 0)
        limit_count[step] += limited
    result = []
    for step in TIMED_STEPS:
        counts = histogram.get(step.value, {})
        judged = limit_count[step.value]
        result.append(
            {
                "step": step.value,
                "stays": sum(counts.values()),
                "median_days": _median(counts),
                "limit_days": round(limit_sum[step.value] / judged, 1) if judged else None,
                "on_time_percent": percent(judged - late_count[step.value], judged),
            }
        )
    return result


def _median(counts):
    """The median of a {value: count} histogram, or None when it is empty."""
    total = sum(counts.values())
    if not total:
        return None
    wanted = sorted({(total - 1) // 2, total // 2})
    found, running = [], 0
    for value in sorted(counts):
        first, running = running, running + counts[value]
        found.extend(value for position in wanted if first <= position < running)
    return round(sum(found) / len(found), 1)


def topics_on_time_counts(communities, start, end):
    """{community_id: (archived, on time)} for the topics of `communities` archived in
    [start, end): on time when none of their stays was late (1 query)."""
    stays = (
        _stays(
            TrailEntry.objects.filter(
                topic__community__in=communities, topic__archived_at__gte=start, topic__archived_at__lt=end
            )
        )
        .annotate(stay_community=F("topic__community_id"))
        .values("topic_id", "stay_community", "left_at", "due")
    )
    sql, params = _sql(stays)
    per_topic = (
        f"SELECT topic_id, stay_community, MAX({_late_sql()}) AS late FROM ({sql}) stays "  # nosec B608
        "GROUP BY topic_id, stay_community"
    )
    rows = _rows(
        f"SELECT stay_community, COUNT(*), SUM(CASE WHEN late = 0 THEN 1 ELSE 0 END) FROM ({per_topic}) topics "  # nosec B608
        "GROUP BY stay_community",
        params,
    )
    return {community_id: (count, int(on_time or 0)) for community_id, count, on_time in rows}


# Meetings: held, noticed five days ahead, at short notice, the public gallery (1 query) ---------


def meeting_rows(area):
    """Meetings that started in the period (until now; cancelled ones aside), per community."""
    notices = Notice.objects.filter(
        kind=MEETING_NOTICE,
        subject_type__app_label=Meeting._meta.app_label,
        subject_type__model=Meeting._meta.model_name,
        subject_id=OuterRef("pk"),
    )
    dispatched = notices.filter(status=Notice.Status.DISPATCHED)
    on_time = dispatched.filter(
        short_notice=False,
        dispatched_at__lte=ExpressionWrapper(
            OuterRef("starts_at") - datetime.timedelta(days=settings.NOTICE_LEAD_DAYS) + NOTICE_GRACE,
            output_field=DateTimeField(),
        ),
    )
    short = notices.filter(short_notice=True).exclude(status=Notice.Status.SUPERSEDED)
    gallery = (
        ObserverRegistration.objects.filter(meeting=OuterRef("pk"), cancelled_at__isnull=True)
        .order_by()
        .values("meeting")
    )
    taken = Subquery(gallery.annotate(n=Count("pk")).values("n"), output_field=IntegerField())
    checked = Subquery(
        gallery.filter(checked_in_at__isnull=False).annotate(n=Count("pk")).values("n"), output_field=IntegerField()
    )
    until = min(area.end, area.now)
    meetings = area.within(
        Meeting.objects.filter(starts_at__gte=area.start, starts_at__lt=until).exclude(status=Meeting.Status.CANCELLED),
        "community",
    )
    rows = (
        meetings.order_by()
        .values("community_id")
        .annotate(
            meetings=Count("pk"),
            held=Count("pk", filter=Q(status=Meeting.Status.HELD)),
            on_time=Count("pk", filter=Q(Exists(on_time))),
            short_notice=Count("pk", filter=Q(Exists(short))),
            noticed=Count("pk", filter=Q(Exists(dispatched))),
            seats=Coalesce(Sum("observer_seats"), 0),
            taken=Coalesce(Sum(Coalesce(taken, 0)), 0),
            checked_in=Coalesce(Sum(Coalesce(checked, 0)), 0),
        )
    )
    return {row.pop("community_id"): MeetingFigures(**row) for row in rows}


def _meeting_panels(totals, area):
    meetings = totals["meetings"]
    return {
        "meetings": {
            **{name: getattr(meetings, name) for name in MeetingFigures.__dataclass_fields__},
            "on_time_percent": percent(meetings.on_time, meetings.meetings),
            "not_noticed": meetings.meetings - meetings.noticed,
            "seats_used_percent": percent(meetings.taken, meetings.seats),
        }
    }


# Outcome ratings of step six (1 query) ----------------------------------------------------------


def rating_rows(area):
    rows = (
        area.within(Rating.objects.filter(created_at__gte=area.start, created_at__lt=area.end), "topic__community")
        .order_by()
        .values("topic__community_id")
        .annotate(**{f"s{point}": Count("pk", filter=Q(score=point)) for point in range(1, 6)})
    )
    return {
        row["topic__community_id"]: RatingFigures(scores={point: row[f"s{point}"] for point in range(1, 6)})
        for row in rows
    }


def _rating_panels(totals, area):
    ratings = totals["ratings"]
    return {
        "outcome_ratings": {
            "count": ratings.count,
            "mean": ratings.mean,
            "distribution": dict(ratings.scores),
            "satisfied": percent(ratings.scores[4] + ratings.scores[5], ratings.count),
        }
    }


def _rating_indicators(totals):
    return {"rating_mean": totals["ratings"].mean}


def register():
    for source in TAKING_PART:
        dashboards.register_taking_part(source)
    dashboards.register(
        dashboards.Provider(
            name="topics",
            figures=TopicFigures,
            compute=_topics_contribution,
            panels=_topic_panels,
            indicators=_topic_indicators,
        )
    )
    dashboards.register(
        dashboards.Provider(
            name="meetings",
            figures=MeetingFigures,
            compute=lambda area: dashboards.Contribution(per_community=meeting_rows(area)),
            panels=_meeting_panels,
        )
    )
    dashboards.register(
        dashboards.Provider(
            name="ratings",
            figures=RatingFigures,
            compute=lambda area: dashboards.Contribution(per_community=rating_rows(area)),
            panels=_rating_panels,
            indicators=_rating_indicators,
        )
    )
