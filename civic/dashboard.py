"""The officials' dashboards (数据驱动决策): participation, deliberation, satisfaction, cadres,
typologies and third-party evaluation, for the area an official oversees.

Every figure is computed from the raw records (residencies, comments, topics and their trail,
meetings and their notices, survey answers, activity attendance, ratings, posts) with
conditional aggregation grouped by community, so the cost is a fixed number of queries
whatever the number of communities: one row per community comes back and the area's totals,
the typology and stage rows and the community table are summed from those rows in Python.

Figures are cached for at most five minutes under a key holding the viewer's scope (the
streets and districts they oversee, or the city) and the full normalised filter set: a change
of filters or of area never reads another area's figures.
"""

import datetime
import hashlib
import json
import logging
import time
from collections import defaultdict
from dataclasses import asdict, dataclass

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
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
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.models import (
    CADRE_BODY_KINDS,
    Community,
    District,
    Education,
    Membership,
    Residency,
    Stage,
    Street,
    Typology,
)
from communities.permissions import can, roles_for
from core.figures import percent
from deliberation.models import Attendance as CouncilAttendance
from deliberation.models import Comment, Meeting, ObserverRegistration, Rating, Topic, TrailEntry, TrailKind
from deliberation.notices import MEETING_NOTICE
from deliberation.workflow import STEPS, TRANSITIONS, Outcome, Step
from notifications.models import Notice
from surveys import ready_made
from surveys.models import Answer, EvaluationRound, Participation, ReadyMade
from surveys.models import Attendance as ActivityAttendance
from surveys.selectors import round_ranking

# Bumped whenever the shape of the cached figures changes, so an old entry is never read.
VERSION = 2
# CONTRACT: never more than five minutes stale.
MAX_CACHE_SECONDS = 300
# A view read when its figures are older than this is recomputed in the background, so the
# officials who keep it open are served from the cache rather than wait for a recomputation.
REFRESH_AFTER = 240
log = logging.getLogger(__name__)

OVERDUE_LISTED = 50
PERIOD_DAYS = 365
# A meeting notice dispatched within this long after its due time still counts as sent
# five days ahead: the dispatcher runs every minute, not at the due second.
NOTICE_GRACE = datetime.timedelta(hours=1)
# The steps a topic stays in for a time; the archive is where it ends.
TIMED_STEPS = [step for step in STEPS if step != Step.ARCHIVE]

# Cadres' age bands (years this year): "over 50" is the last two.
AGE_BANDS = (
    ("under_35", gettext_lazy("Under 35"), 0, 34),
    ("35_50", gettext_lazy("35 to 50"), 35, 50),
    ("51_60", gettext_lazy("51 to 60"), 51, 60),
    ("over_60", gettext_lazy("Over 60"), 61, 200),
)
OVER_50_BANDS = ("51_60", "over_60")
NOT_RECORDED = "not_recorded"
JUNIOR_COLLEGE_OR_BELOW = (
    Education.PRIMARY,
    Education.JUNIOR_SECONDARY,
    Education.SENIOR_SECONDARY,
    Education.JUNIOR_COLLEGE,
)

# What residents may have done in the period, in the order the dashboard lists them.
ACTIONS = ("commented", "raised_topic", "attended_meeting", "attended_activity", "answered_survey", "any")


def cache_seconds():
    return max(0, min(int(getattr(settings, "DASHBOARD_CACHE_SECONDS", MAX_CACHE_SECONDS)), MAX_CACHE_SECONDS))


# Who sees what -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The area a viewer oversees: the whole city (superusers) or their streets and districts."""

    city: bool = False
    streets: tuple = ()
    districts: tuple = ()

    @property
    def key(self):
        if self.city:
            return "city"
        return "s" + ",".join(map(str, self.streets)) + "|d" + ",".join(map(str, self.districts))

    def q(self):
        """Q over Community selecting the scope's communities."""
        if self.city:
            return Q()
        q = Q(pk__in=[])
        if self.streets:
            q |= Q(street_id__in=list(self.streets))
        if self.districts:
            q |= Q(street__district_id__in=list(self.districts))
        return q


def scope_for(user):
    """The viewer's area, or PermissionDenied for anyone who is not an official or superuser."""
    if not can(user, "dashboard.view"):
        raise PermissionDenied(_("The dashboards are for street and district officials."))
    if user.is_superuser:
        return Scope(city=True)
    roles = roles_for(user)
    return Scope(streets=tuple(sorted(roles.official_streets)), districts=tuple(sorted(roles.official_districts)))


def places(scope):
    """Every community of the scope with its street and district (1 query, cached per scope)."""
    key = f"dashboard:v{VERSION}:places:{scope.key}"
    rows = cache.get(key) if cache_seconds() else None
    if rows is None:
        rows = [
            {
                "id": row["pk"],
                "name": row["name"],
                "code": row["code"],
                "typology": row["typology"],
                "stage": row["stage"],
                "street_id": row["street_id"],
                "street": row["street__name"],
                "district_id": row["street__district_id"],
                "district": row["street__district__name"],
            }
            for row in Community.objects.filter(scope.q())
            .order_by("street__district__ring", "street__district__name", "street__name", "code")
            .values(
                "pk", "name", "code", "typology", "stage", "street_id", "street__name",
                "street__district_id", "street__district__name",
            )
        ]  # fmt: skip
        if cache_seconds():
            cache.set(key, rows, cache_seconds())
    return rows


# Filters ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    since: datetime.date
    until: datetime.date
    district: int | None = None
    street: int | None = None
    typology: str = ""
    stage: str = ""
    community: int | None = None

    @property
    def key(self):
        data = asdict(self)
        data["since"], data["until"] = self.since.isoformat(), self.until.isoformat()
        return json.dumps(data, sort_keys=True)

    def query(self, *, period=True, place=True):
        """The filters as query parameters (for links to exports and to the same view)."""
        params = {}
        if place:
            for name in ("district", "street", "typology", "stage"):
                if getattr(self, name):
                    params[name] = getattr(self, name)
        if period:
            params["since"] = self.since.isoformat()
            params["until"] = self.until.isoformat()
        return params

    def matches(self, place):
        return (
            (self.community is None or place["id"] == self.community)
            and (self.district is None or place["district_id"] == self.district)
            and (self.street is None or place["street_id"] == self.street)
            and (not self.typology or place["typology"] == self.typology)
            and (not self.stage or place["stage"] == self.stage)
        )

    @property
    def narrowed(self):
        return any((self.district, self.street, self.typology, self.stage, self.community))


def default_period(today=None):
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=PERIOD_DAYS), today


class DashboardFilterForm(forms.Form):
    """The filters of the page, the exports and the API: the same words mean the same thing."""

    district = forms.IntegerField(
        label=gettext_lazy("District"),
        required=False,
        min_value=1,
        widget=forms.Select,
        error_messages={"invalid": gettext_lazy("A district is given by its number.")},
    )
    street = forms.IntegerField(
        label=gettext_lazy("Street or town"),
        required=False,
        min_value=1,
        widget=forms.Select,
        error_messages={"invalid": gettext_lazy("A street or town is given by its number.")},
    )
    typology = forms.ChoiceField(
        label=gettext_lazy("Typology"),
        required=False,
        choices=[("", gettext_lazy("All typologies")), *Typology.choices],
        error_messages={"invalid_choice": gettext_lazy("%(value)s is not one of the eight typologies.")},
    )
    stage = forms.ChoiceField(
        label=gettext_lazy("Development stage"),
        required=False,
        choices=[("", gettext_lazy("All stages")), *Stage.choices],
        error_messages={"invalid_choice": gettext_lazy("%(value)s is not one of the three development stages.")},
    )
    since = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": gettext_lazy("Enter the start of the period as a date such as 2026-01-31.")},
    )
    until = forms.DateField(
        label=gettext_lazy("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": gettext_lazy("Enter the end of the period as a date such as 2026-12-31.")},
    )

    def __init__(self, data=None, *, places=(), community=None, **kwargs):
        super().__init__(data, **kwargs)
        self.places = list(places)
        self.community = community
        districts = {}
        streets = {}
        for place in self.places:
            districts.setdefault(place["district_id"], place["district"])
            streets.setdefault(place["street_id"], (place["district"], place["street"]))
        self.fields["district"].widget.choices = [("", _("All districts")), *districts.items()]
        self.fields["street"].widget.choices = [
            ("", _("All streets and towns")),
            *((pk, f"{district} · {street}") for pk, (district, street) in streets.items()),
        ]
        if len(districts) <= 1:
            # One district in the area: choosing it would change nothing.
            self.fields["district"].widget = forms.HiddenInput()
        if community is not None:
            for name in ("district", "street", "typology", "stage"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        default_since, default_until = default_period()
        if not self.errors:
            until = until or default_until
            since = since or min(default_since, until - datetime.timedelta(days=PERIOD_DAYS))
            if until < since:
                self.add_error(
                    "until",
                    _("The period ends before it starts: choose an end on or after %(start)s.")
                    % {"start": since.isoformat()},
                )
            data["since"], data["until"] = since, until
        return data

    def filters(self):
        """The valid filters of an area, or ValidationError (400) / PermissionDenied (403).

        A place that does not exist is bad input; one that exists outside the viewer's area is
        refused, never shown.
        """
        if not self.is_valid():
            raise self._invalid()
        data = self.cleaned_data
        if self.community is not None:
            return Filters(since=data["since"], until=data["until"], community=self.community)
        district, street = data.get("district"), data.get("street")
        district_ids = {p["district_id"] for p in self.places}
        street_of = {p["street_id"]: p["district_id"] for p in self.places}
        if district is not None and district not in district_ids:
            if District.objects.filter(pk=district).exists():
                raise PermissionDenied(_("That district is outside the area you oversee."))
            self.add_error("district", _("No district has this number."))
        if street is not None and street not in street_of:
            if Street.objects.filter(pk=street).exists():
                raise PermissionDenied(_("That street or town is outside the area you oversee."))
            self.add_error("street", _("No street or town has this number."))
        elif street is not None and district is not None and street_of[street] != district:
            self.add_error("street", _("That street or town is not in the district chosen."))
        if self.errors:
            raise self._invalid()
        return Filters(
            since=data["since"],
            until=data["until"],
            district=district,
            street=street,
            typology=data.get("typology") or "",
            stage=data.get("stage") or "",
        )

    def _invalid(self):
        return ValidationError({name: list(errors) for name, errors in self.errors.items()})


# The figures --------------------------------------------------------------------------------


def _figures_key(scope, filters):
    digest = hashlib.sha256(f"{scope.key}\n{filters.key}".encode()).hexdigest()
    return f"dashboard:v{VERSION}:figures:{digest}"


def dashboard(scope, filters, area_places=None, *, use_cache=True, now=None):
    """The figures of every panel for the scope and filters, from the cache when fresh.

    `area_places` are the scope's communities (places(scope)); the community rows are theirs.
    """
    area_places = places(scope) if area_places is None else area_places
    seconds = cache_seconds() if use_cache else 0
    key = _figures_key(scope, filters)
    if seconds:
        entry = cache.get(key)
        if entry is not None:
            if time.time() - entry["at"] > min(REFRESH_AFTER, seconds * 0.8):
                _refresh_soon(scope, filters, key)
            return entry["figures"]
    figures = compute(scope, filters, area_places, now=now)
    if seconds:
        cache.set(key, {"figures": figures, "at": time.time()}, seconds)
    return figures


def _refresh_soon(scope, filters, key):
    """Queue one background recomputation of a view (once, however many officials read it)."""
    if not cache.add(f"{key}:refreshing", 1, 60):
        return
    from . import tasks

    payload = {"scope": asdict(scope), "filters": json.loads(filters.key)}

    def queue():
        try:
            tasks.dashboard_refresh.delay(payload)
        except Exception:  # a broker that is down only means the next reader recomputes
            log.warning("Could not queue the dashboard's refresh.", exc_info=True)

    transaction.on_commit(queue)


def refresh(payload):
    """Recompute a view's figures and put them in the cache (the background refresh)."""
    scope = Scope(
        city=payload["scope"]["city"],
        streets=tuple(payload["scope"]["streets"]),
        districts=tuple(payload["scope"]["districts"]),
    )
    data = dict(payload["filters"])
    data["since"] = datetime.date.fromisoformat(data["since"])
    data["until"] = datetime.date.fromisoformat(data["until"])
    filters = Filters(**data)
    seconds = cache_seconds()
    if not seconds:
        return
    figures = compute(scope, filters, places(scope))
    cache.set(_figures_key(scope, filters), {"figures": figures, "at": time.time()}, seconds)


def keep_warm(now=None):
    """Compute the city's and every district's default view when its cached figures are
    missing or due for a refresh, so the first official of the morning is served from the
    cache too, not kept waiting on a computation over the whole year's records.

    Beat runs this every few minutes; two beats or workers running it at once compute each
    view once (the same `:refreshing` lock the background refresh takes). Returns how many
    views it computed.
    """
    seconds = cache_seconds()
    if not seconds or not getattr(settings, "DASHBOARD_KEEP_WARM", False):
        return 0
    since, until = default_period()
    filters = Filters(since=since, until=until)
    scopes = [Scope(city=True)]
    scopes += [Scope(districts=(pk,)) for pk in District.objects.order_by("pk").values_list("pk", flat=True)]
    # Refreshed one run early: the next run may come only after the entry has expired.
    due_after = min(REFRESH_AFTER, seconds * 0.8) - settings.DASHBOARD_KEEP_WARM_EVERY
    computed = 0
    for scope in scopes:
        key = _figures_key(scope, filters)
        entry = cache.get(key)
        if entry is not None and time.time() - entry["at"] <= due_after:
            continue
        if not cache.add(f"{key}:refreshing", 1, 60):
            continue
        try:
            figures = compute(scope, filters, places(scope), now=now)
            cache.set(key, {"figures": figures, "at": time.time()}, seconds)
            computed += 1
        finally:
            cache.delete(f"{key}:refreshing")
    return computed


def _bounds(filters):
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(filters.since, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(filters.until + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, end


def _area(scope, filters):
    """The communities the figures cover, as a queryset to filter by (None: the whole city)."""
    if scope.city and not filters.narrowed:
        return None
    q = scope.q()
    if filters.community is not None:
        q &= Q(pk=filters.community)
    if filters.district is not None:
        q &= Q(street__district_id=filters.district)
    if filters.street is not None:
        q &= Q(street_id=filters.street)
    if filters.typology:
        q &= Q(typology=filters.typology)
    if filters.stage:
        q &= Q(stage=filters.stage)
    return Community.objects.filter(q).values("pk")


def _in(queryset, path, area):
    return queryset if area is None else queryset.filter(**{f"{path}__in": area})


def compute(scope, filters, area_places, *, now=None):
    now = now or timezone.now()
    start, end = _bounds(filters)
    area = _area(scope, filters)
    chosen = [place for place in area_places if filters.matches(place)]
    per_community = {place["id"]: _blank_row(place) for place in chosen}

    residents = _residents(area, start, end)
    answers = _survey_answers(area, filters)
    topics = _topics(area, start, end, now)
    ratings = _ratings(area, start, end)
    meetings = _meetings(area, start, min(end, now))
    cadres = _cadres(area, filters.until)
    for source in (residents, answers, topics, ratings, meetings, cadres["by_community"]):
        for community_id, values in source.items():
            if community_id in per_community:
                per_community[community_id].update(values)

    rows = list(per_community.values())
    figures = {
        "generated_at": now.isoformat(),
        "period": {"since": filters.since.isoformat(), "until": filters.until.isoformat()},
        "filters": {k: v for k, v in asdict(filters).items() if k not in ("since", "until")},
        "communities_count": len(rows),
        "residents": sum(row["residents"] for row in rows),
        "participation": _participation(rows),
        "activity_participation": _activity_participation(rows, filters),
        **_satisfaction(rows),
        **_deliberation(rows),
        "step_days": _step_days(area, start, end),
        "overdue_topics": _overdue_topics(area, now),
        "meetings": _meeting_figures(rows),
        "outcome_ratings": _rating_figures(rows),
        "cadres": cadres["figures"],
        "typologies": _groups(rows, "typology", Typology.values),
        "stages": _groups(rows, "stage", Stage.values),
        "communities": [_community_summary(row) for row in rows],
        "evaluation": _evaluation(area, {row["id"] for row in rows}),
    }
    return figures


def _blank_row(place):
    row = dict(place)
    row.update(
        residents=0,
        activities=0,
        buckets=dict.fromkeys(ready_made.ACTIVITY_BUCKET_VALUES, 0),
        actions=dict.fromkeys(ACTIONS, 0),
        impressions={key: {"good": 0, "answered": 0} for key in ready_made.IMPRESSION_KEYS},
        reported=dict.fromkeys(ready_made.ACTIVITY_BUCKET_VALUES, 0),
        scales={key: dict.fromkeys(range(1, 6), 0) for key in SCALES},
        topics=_blank_topics(),
        ratings=dict.fromkeys(range(1, 6), 0),
        meetings=_blank_meetings(),
        cadres={"count": 0, "aged": 0, "over_50": 0},
    )
    return row


# Residents: what they did in the period (1 query) ---------------------------------------------


def _sql(queryset):
    return queryset.query.get_compiler(queryset.db).as_sql()


def _aggregate_rows(inner, outer_select, group_by):
    """Runs `SELECT outer_select FROM (inner) GROUP BY group_by`: an aggregate of aggregates,
    which the ORM cannot say, built on the ORM's own SQL for the inner query."""
    sql, params = _sql(inner)
    with connection.cursor() as cursor:
        # Only code-written SQL and the ORM's own is pasted in; every value is a bound parameter.
        cursor.execute(f"SELECT {outer_select} FROM ({sql}) inner_rows GROUP BY {group_by}", params)  # nosec B608
        return cursor.fetchall()


def _residents(area, start, end):
    """Per community: verified residents, how many did each thing in the period, and how many
    activities each attended (bucketed as the participation survey asks it).

    Each kind of action is counted per person in a derived table, and the residents are joined
    to them: hash joins, whatever the number of rows, where `IN (subquery)` tests would fall back
    to a scan per resident once a subquery outgrows the planner's memory.
    """

    def per_person(queryset, person, moment, place):
        rows = _in(queryset.filter(**{f"{moment}__gte": start, f"{moment}__lt": end}), place, area)
        return rows.order_by().values(person).annotate(n=Count("pk"))

    sources = [
        ("commented", per_person(Comment.objects.all(), "author_id", "created_at", "topic__community"), "author_id"),
        ("raised", per_person(Topic.objects.all(), "raised_by_id", "created_at", "community"), "raised_by_id"),
        (
            "observed",
            per_person(ObserverRegistration.objects.all(), "user_id", "checked_in_at", "meeting__community"),
            "user_id",
        ),
        (
            "sat",
            per_person(
                CouncilAttendance.objects.filter(status=CouncilAttendance.Status.PRESENT),
                "member_id",
                "meeting__starts_at",
                "meeting__community",
            ),
            "member_id",
        ),
        (
            "attended",
            per_person(
                ActivityAttendance.objects.filter(activity__cancelled_at__isnull=True),
                "user_id",
                "activity__starts_at",
                "activity__community",
            ),
            "user_id",
        ),
        ("answered", per_person(Participation.objects.all(), "user_id", "answered_at", "community"), "user_id"),
    ]
    residents = _in(Residency.objects.filter(status=Residency.Status.VERIFIED), "community", area)
    sql, params = _sql(residents.order_by().values("community_id", "user_id"))
    joins = []
    for alias, queryset, column in sources:
        source_sql, source_params = _sql(queryset)
        joins.append(f"LEFT JOIN ({source_sql}) {alias} ON {alias}.{column} = r.user_id")
        params = (*params, *source_params)

    def did(*aliases):
        return "SUM(CASE WHEN " + " OR ".join(f"{a}.n IS NOT NULL" for a in aliases) + " THEN 1 ELSE 0 END)"

    activities = "COALESCE(attended.n, 0)"
    select = ", ".join(
        [
            "r.community_id",
            "COUNT(*)",
            f"SUM(CASE WHEN {activities} = 0 THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN {activities} = 1 THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN {activities} BETWEEN 2 AND 3 THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN {activities} BETWEEN 4 AND 6 THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN {activities} >= 7 THEN 1 ELSE 0 END)",
            f"SUM({activities})",
            did("commented"),
            did("raised"),
            did("observed", "sat"),
            did("attended"),
            did("answered"),
            did("commented", "raised", "observed", "sat", "attended", "answered"),
        ]
    )
    with connection.cursor() as cursor:
        # As in _aggregate_rows: code-written SQL around the ORM's own, values bound.
        cursor.execute(f"SELECT {select} FROM ({sql}) r {' '.join(joins)} GROUP BY r.community_id", params)  # nosec B608
        rows = cursor.fetchall()
    result = {}
    for community_id, total, b0, b1, b2, b4, b7, activities_sum, *actions in rows:
        result[community_id] = {
            "residents": total,
            "activities": int(activities_sum or 0),
            "buckets": dict(zip(ready_made.ACTIVITY_BUCKET_VALUES, (int(b0), int(b1), int(b2), int(b4), int(b7)))),
            "actions": dict(zip(ACTIONS, (int(n or 0) for n in actions))),
        }
    return result


def _participation(rows):
    residents = sum(row["residents"] for row in rows)
    return {
        "residents": residents,
        **{
            action: {"count": (n := sum(row["actions"][action] for row in rows)), "percent": percent(n, residents)}
            for action in ACTIONS
        },
    }


def _activity_participation(rows, filters):
    residents = sum(row["residents"] for row in rows)
    buckets = {value: sum(row["buckets"][value] for row in rows) for value in ready_made.ACTIVITY_BUCKET_VALUES}
    attended = sum(row["activities"] for row in rows)
    return {
        "since": filters.since.isoformat(),
        "until": filters.until.isoformat(),
        "residents": residents,
        "buckets": buckets,
        "shares": {value: percent(count, residents) for value, count in buckets.items()},
        "under_2": percent(sum(buckets[v] for v in ready_made.UNDER_TWO_BUCKETS), residents),
        "mean": round(attended / residents, 2) if residents else None,
    }


# Surveys: each community's latest impressions and participation surveys (1 query) -------------

SCALES = (ready_made.KNOWLEDGE_SATISFACTION, ready_made.TAKING_PART_SATISFACTION)


def _survey_answers(area, filters):
    """Per community, the answers to the latest ready-made survey of each kind its residents
    answered in the period: the good impressions per body, the activities residents report and
    their satisfaction (1-5) with what they know of and how they take part in community affairs.

    One row per community and survey comes back; the latest is chosen here, so a community
    answering a district survey and later a city survey is read from the city one.
    """
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
    answers = _in(
        Answer.objects.filter(
            question__survey__ready_made__in=[ReadyMade.IMPRESSIONS, ReadyMade.PARTICIPATION],
            response__submitted_on__gte=filters.since,
            response__submitted_on__lte=filters.until,
        ),
        "response__community",
        area,
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
    result = defaultdict(dict)
    for (community_id, kind), (_rank, row) in latest.items():
        if kind == ReadyMade.IMPRESSIONS:
            result[community_id]["impressions"] = {
                key: {"good": row[f"imp{index}_good"], "answered": row[f"imp{index}_answered"]}
                for index, key in enumerate(ready_made.IMPRESSION_KEYS)
            }
            result[community_id]["impressions_survey"] = row["question__survey_id"]
        else:
            result[community_id]["reported"] = {
                value: row[f"rep{index}"] for index, value in enumerate(ready_made.ACTIVITY_BUCKET_VALUES)
            }
            result[community_id]["scales"] = {
                key: {point: row[f"scale{index}_{point}"] for point in range(1, 6)} for index, key in enumerate(SCALES)
            }
            result[community_id]["participation_survey"] = row["question__survey_id"]
    return result


def _scale_figures(distribution):
    answered = sum(distribution.values())
    return {
        "answered": answered,
        "mean": round(sum(point * n for point, n in distribution.items()) / answered, 2) if answered else None,
        "distribution": distribution,
        "satisfied": percent(distribution[4] + distribution[5], answered),
        "dissatisfied": percent(distribution[1] + distribution[2], answered),
    }


def _satisfaction(rows):
    impressions = {}
    for key in ready_made.IMPRESSION_KEYS:
        good = sum(row["impressions"][key]["good"] for row in rows)
        answered = sum(row["impressions"][key]["answered"] for row in rows)
        impressions[key] = {"good": good, "answered": answered, "percent": percent(good, answered)}
    information = {
        key: _scale_figures({point: sum(row["scales"][key][point] for row in rows) for point in range(1, 6)})
        for key in SCALES
    }
    reported = {value: sum(row["reported"][value] for row in rows) for value in ready_made.ACTIVITY_BUCKET_VALUES}
    answered = sum(reported.values())
    information["reported_activities"] = {
        "answered": answered,
        "buckets": reported,
        "under_2": percent(sum(reported[v] for v in ready_made.UNDER_TWO_BUCKETS), answered),
    }
    surveys = sorted({row["impressions_survey"] for row in rows if row.get("impressions_survey")})
    return {
        "satisfaction_by_body": {key: figures["percent"] for key, figures in impressions.items()},
        "impressions": impressions,
        "impressions_surveys": surveys,
        "information_satisfaction": information,
    }


# Topics: steps, the funnel, outcomes and what is overdue (1 query) ------------------------------


def _blank_topics():
    return {
        "raised": 0,
        "overdue": 0,
        "steps": {step.value: 0 for step in STEPS},
        "outcomes": {outcome.value: 0 for outcome in Outcome},
        "reached": {step.value: 0 for step in STEPS},
    }


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


def _topics(area, start, end, now):
    raised = Q(created_at__gte=start, created_at__lt=end)
    aggregates = {
        "raised": Count("pk", filter=raised),
        "overdue": Count("pk", filter=Q(step_due_at__lt=now) & ~Q(step=Step.ARCHIVE)),
    }
    for index, step in enumerate(STEPS):
        aggregates[f"step_{step.value}"] = Count("pk", filter=raised & Q(step=step))
        aggregates[f"reached_{step.value}"] = Count("pk", filter=raised & _reached(index))
    for outcome in Outcome:
        aggregates[f"outcome_{outcome.value}"] = Count("pk", filter=raised & Q(outcome=outcome))
    rows = _in(Topic.objects.all(), "community", area).order_by().values("community_id").annotate(**aggregates)
    return {
        row["community_id"]: {
            "topics": {
                "raised": row["raised"],
                "overdue": row["overdue"],
                "steps": {step.value: row[f"step_{step.value}"] for step in STEPS},
                "outcomes": {outcome.value: row[f"outcome_{outcome.value}"] for outcome in Outcome},
                "reached": {step.value: row[f"reached_{step.value}"] for step in STEPS},
            }
        }
        for row in rows
    }


def _deliberation(rows):
    raised = sum(row["topics"]["raised"] for row in rows)
    steps = {step.value: sum(row["topics"]["steps"][step.value] for row in rows) for step in STEPS}
    outcomes = {outcome.value: sum(row["topics"]["outcomes"][outcome.value] for row in rows) for outcome in Outcome}
    funnel = []
    for step in STEPS:
        reached = sum(row["topics"]["reached"][step.value] for row in rows)
        funnel.append({"step": step.value, "count": reached, "percent": percent(reached, raised)})
    return {
        "topics_raised": raised,
        "topics_by_step": steps,
        "funnel": funnel,
        "outcomes": outcomes,
        "overdue": sum(row["topics"]["overdue"] for row in rows),
    }


def _overdue_topics(area, now):
    topics = _in(Topic.objects.overdue(now), "community", area).order_by("step_due_at", "pk")
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


# Days spent in each step, against its time limit (1 query) -----------------------------------


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


def _step_days(area, start, end):
    """For each step: the median days topics stayed in it (stays that ended in the period), the
    time limit the council rules gave (the mean of the limits recorded as each step was entered),
    and the share left by its due time.

    Each stay runs from the trail entry that entered the step to the topic's next step entry;
    the due time is the one written into the entry that entered it. A histogram at a tenth of a
    day comes back, so the median is exact to that.
    """
    stays = (
        _in(TrailEntry.objects.filter(kind__in=[TrailKind.RAISED, TrailKind.STEP]), "topic__community", area)
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
        .filter(left_at__gte=start, left_at__lt=end)
        .values("stay_step", "recorded_at", "left_at", "due")
    )
    days = _sql_days("left_at", "recorded_at")
    due = _sql_timestamp("due")
    limit = _sql_days(due, "recorded_at")
    if connection.vendor == "postgresql":
        on_time = f"CASE WHEN left_at <= {due} THEN 1 ELSE 0 END"
        tenth = f"ROUND(CAST({days} AS numeric), 1)"
    else:
        on_time = f"CASE WHEN julianday(left_at) <= julianday({due}) THEN 1 ELSE 0 END"
        tenth = f"ROUND({days}, 1)"
    rows = _aggregate_rows(
        stays,
        f"stay_step, {tenth} AS tenth, COUNT(*), SUM({on_time}), SUM({limit}), COUNT({due})",
        "stay_step, tenth",
    )
    histogram = defaultdict(dict)
    on_time_count, limit_sum, limit_count = defaultdict(int), defaultdict(float), defaultdict(int)
    for step, tenths, count, in_time, limits, limited in rows:
        histogram[step][float(tenths)] = count
        on_time_count[step] += int(in_time or 0)
        limit_sum[step] += float(limits or 0)
        limit_count[step] += limited
    result = []
    for step in TIMED_STEPS:
        counts = histogram.get(step.value, {})
        stays_count = sum(counts.values())
        median = _median(counts)
        mean_limit = round(limit_sum[step.value] / limit_count[step.value], 1) if limit_count[step.value] else None
        result.append(
            {
                "step": step.value,
                "stays": stays_count,
                "median_days": median,
                "limit_days": mean_limit,
                "on_time_percent": percent(on_time_count[step.value], limit_count[step.value]),
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


# Meetings: held, noticed five days ahead, at short notice, the public gallery (1 query) ---------


def _blank_meetings():
    return {
        "meetings": 0,
        "held": 0,
        "on_time": 0,
        "short_notice": 0,
        "noticed": 0,
        "seats": 0,
        "taken": 0,
        "checked_in": 0,
    }


def _meetings(area, start, until):
    """Meetings that started in the period (cancelled ones aside), per community."""
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
    meetings = _in(
        Meeting.objects.filter(starts_at__gte=start, starts_at__lt=until).exclude(status=Meeting.Status.CANCELLED),
        "community",
        area,
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
    return {row.pop("community_id"): {"meetings": row} for row in rows}


def _meeting_figures(rows):
    totals = {key: sum(row["meetings"][key] for row in rows) for key in _blank_meetings()}
    return {
        **totals,
        "on_time_percent": percent(totals["on_time"], totals["meetings"]),
        "not_noticed": totals["meetings"] - totals["noticed"],
        "seats_used_percent": percent(totals["taken"], totals["seats"]),
    }


# Outcome ratings of step six (1 query) ----------------------------------------------------------


def _ratings(area, start, end):
    rows = (
        _in(Rating.objects.filter(created_at__gte=start, created_at__lt=end), "topic__community", area)
        .order_by()
        .values("topic__community_id")
        .annotate(**{f"s{point}": Count("pk", filter=Q(score=point)) for point in range(1, 6)})
    )
    return {row["topic__community_id"]: {"ratings": {point: row[f"s{point}"] for point in range(1, 6)}} for row in rows}


def _rating_figures(rows):
    distribution = {point: sum(row["ratings"][point] for row in rows) for point in range(1, 6)}
    count = sum(distribution.values())
    return {
        "count": count,
        "mean": round(sum(p * n for p, n in distribution.items()) / count, 2) if count else None,
        "distribution": distribution,
        "satisfied": percent(distribution[4] + distribution[5], count),
    }


# Cadres: age and education of the people holding posts (1 query) --------------------------------


def _age_band(age):
    for key, _label, low, high in AGE_BANDS:
        if low <= age <= high:
            return key
    return None


def _cadres(area, on):
    """Everyone holding a post in a community body on the day the period ends, counted once per
    community (and once per body kind), by age band and education."""
    posts = _in(
        Membership.objects.current(on).filter(body__kind__in=CADRE_BODY_KINDS), "body__community", area
    ).values_list("body__community_id", "body__kind", "user_id", "user__birth_year", "user__education")
    people = {}
    by_community = defaultdict(set)
    by_kind = defaultdict(set)
    for community_id, kind, user_id, birth_year, education in posts.order_by():
        people[user_id] = (on.year - birth_year if birth_year else None, education or NOT_RECORDED)
        by_community[community_id].add(user_id)
        by_kind[kind].add(user_id)

    def describe(user_ids):
        bands = {key: 0 for key, *_rest in AGE_BANDS}
        education = dict.fromkeys([*Education.values, NOT_RECORDED], 0)
        for user_id in user_ids:
            age, level = people[user_id]
            if age is not None and _age_band(age):
                bands[_age_band(age)] += 1
            education[level] += 1
        aged = sum(bands.values())
        over_50 = sum(bands[key] for key in OVER_50_BANDS)
        recorded = sum(n for level, n in education.items() if level != NOT_RECORDED)
        return {
            "count": len(user_ids),
            "aged": aged,
            "over_50_count": over_50,
            "over_50": percent(over_50, aged),
            "age_bands": {key: {"count": n, "percent": percent(n, aged)} for key, n in bands.items()},
            "education_counts": education,
            "education": {level: percent(n, recorded) for level, n in education.items() if level != NOT_RECORDED},
            "junior_college_or_below": percent(sum(education[level] for level in JUNIOR_COLLEGE_OR_BELOW), recorded),
        }

    everyone = set().union(*by_community.values()) if by_community else set()
    figures = describe(everyone)
    figures["by_body"] = [
        {
            "kind": str(kind),
            **{
                k: v for k, v in describe(by_kind[kind]).items() if k in ("count", "over_50", "junior_college_or_below")
            },
        }
        for kind in CADRE_BODY_KINDS
    ]
    community_rows = {}
    for community_id, user_ids in by_community.items():
        own = describe(user_ids)
        community_rows[community_id] = {
            "cadres": {"count": own["count"], "aged": own["aged"], "over_50": own["over_50_count"]}
        }
    return {"figures": figures, "by_community": community_rows}


# Typologies, stages and the community table -----------------------------------------------------


def _indicators(rows):
    """The key indicators side by side, for a group of community rows."""
    residents = sum(row["residents"] for row in rows)
    took_part = sum(row["actions"]["any"] for row in rows)
    under_2 = sum(row["buckets"][v] for row in rows for v in ready_made.UNDER_TWO_BUCKETS)
    raised = sum(row["topics"]["raised"] for row in rows)
    adopted = sum(row["topics"]["reached"][Step.PUBLICIZE.value] for row in rows)
    ratings = {point: sum(row["ratings"][point] for row in rows) for point in range(1, 6)}
    rated = sum(ratings.values())

    def good(key):
        return percent(
            sum(row["impressions"][key]["good"] for row in rows),
            sum(row["impressions"][key]["answered"] for row in rows),
        )

    return {
        "communities": len(rows),
        "residents": residents,
        "took_part": percent(took_part, residents),
        "under_2": percent(under_2, residents),
        "topics": raised,
        "adopted": percent(adopted, raised),
        "overdue": sum(row["topics"]["overdue"] for row in rows),
        "rating_mean": round(sum(p * n for p, n in ratings.items()) / rated, 2) if rated else None,
        "good_committee": good("residents_committee"),
        "good_council": good("deliberation_council"),
        "cadres_over_50": percent(
            sum(row["cadres"]["over_50"] for row in rows), sum(row["cadres"]["aged"] for row in rows)
        ),
    }


def _groups(rows, attribute, keys):
    grouped = defaultdict(list)
    for row in rows:
        grouped[row[attribute]].append(row)
    return [{"key": key, **_indicators(grouped.get(key, []))} for key in keys]


def _community_summary(row):
    keep = ("id", "name", "code", "typology", "stage", "street_id", "street", "district_id", "district")
    return {**{key: row[key] for key in keep}, **_indicators([row])}


# Third-party evaluation: the latest published round's ranking (4 queries) -----------------------


def _evaluation(area, community_ids):
    rounds = EvaluationRound.objects.filter(status=EvaluationRound.Status.PUBLISHED).select_related("engagement")
    if area is not None:
        rounds = rounds.filter(
            Q(engagement__street__in=Community.objects.filter(pk__in=area).values("street_id"))
            | Q(engagement__district__in=Community.objects.filter(pk__in=area).values("street__district_id"))
            | Q(engagement__communities__in=area)
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
            if row["community"].pk in community_ids
        ],
    }
