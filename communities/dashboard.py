"""This app's figures for the officials' dashboards: residents and what they took part in, and
the cadres holding posts (registered with core.dashboards from CommunitiesConfig.ready()).

"Took part" has one meaning wherever the portal says it (the dashboards' participation panel,
their comparison tables and the evaluation's participation indicator): a verified resident of
the community who, in the period, did at least one of the things the apps register as taking
part (core.dashboards.TakingPart): commented or raised a topic, sat at a council meeting or
was checked in at its public gallery, attended an activity, answered a survey.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.utils.translation import gettext_lazy

from core import dashboards
from core.figures import percent

from .models import CADRE_BODY_KINDS, Education, Membership, Residency

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
ANY = "any"


@dataclass(frozen=True)
class ResidentFigures:
    """One community's verified residents and, for the period, how many of them did each
    registered thing (`actions`, by action; `took_part`: at least one), how many did a
    bucketed thing a given number of times (`buckets`, by source) and how many times it was
    done in all (`times`, by source)."""

    residents: int = 0
    took_part: int = 0
    actions: dict = field(default_factory=dict)
    buckets: dict = field(default_factory=dict)
    times: dict = field(default_factory=dict)

    def did(self, action):
        return self.took_part if action == ANY else self.actions.get(action, 0)


@dataclass(frozen=True)
class CadreFigures:
    """The people holding a post in one community's bodies: how many, how many of known age,
    how many of them over 50."""

    count: int = 0
    aged: int = 0
    over_50: int = 0


# Residents ------------------------------------------------------------------------------------


def _sql(queryset):
    return queryset.query.get_compiler(queryset.db).as_sql()


def _bucket_sql(column, low, high):
    if high is None:
        return f"SUM(CASE WHEN {column} >= {int(low)} THEN 1 ELSE 0 END)"
    if low == high:
        return f"SUM(CASE WHEN {column} = {int(low)} THEN 1 ELSE 0 END)"
    return f"SUM(CASE WHEN {column} BETWEEN {int(low)} AND {int(high)} THEN 1 ELSE 0 END)"


def resident_rows(area):
    """{community id: ResidentFigures} for the area and period, in one query.

    Each registered way of taking part is counted per person in a derived table, and the
    residents are joined to them: hash joins, whatever the number of rows, where `IN
    (subquery)` tests would fall back to a scan per resident once a subquery outgrows the
    planner's memory.
    """
    sources = dashboards.registry.taking_part()
    actions = list(dict.fromkeys(source.action for source in sources))
    residents = area.within(Residency.objects.filter(status=Residency.Status.VERIFIED), "community")
    sql, params = _sql(residents.order_by().values("community_id", "user_id"))
    joins = []
    for index, source in enumerate(sources):
        source_sql, source_params = _sql(source.rows(area))
        joins.append(f"LEFT JOIN ({source_sql}) s{index} ON s{index}.{source.person} = r.user_id")
        params = (*params, *source_params)

    def did(indexes):
        if not indexes:
            return "0"
        return "SUM(CASE WHEN " + " OR ".join(f"s{i}.n IS NOT NULL" for i in indexes) + " THEN 1 ELSE 0 END)"

    select = ["r.community_id", "COUNT(*)", did(range(len(sources)))]
    select += [did([i for i, s in enumerate(sources) if s.action == action]) for action in actions]
    bucketed = [(index, source) for index, source in enumerate(sources) if source.buckets]
    for index, source in bucketed:
        column = f"COALESCE(s{index}.n, 0)"
        select += [_bucket_sql(column, low, high) for _key, low, high in source.buckets]
        select.append(f"SUM({column})")
    with connection.cursor() as cursor:
        # Only code-written SQL and the ORM's own is pasted in; every value is a bound parameter.
        cursor.execute(
            f"SELECT {', '.join(select)} FROM ({sql}) r {' '.join(joins)} GROUP BY r.community_id",  # nosec B608
            params,
        )
        rows = cursor.fetchall()
    result = {}
    for community_id, total, took_part, *rest in rows:
        counts = dict(zip(actions, (int(n or 0) for n in rest[: len(actions)])))
        rest = rest[len(actions) :]
        buckets, times = {}, {}
        for _index, source in bucketed:
            width = len(source.buckets)
            buckets[source.name] = {key: int(n or 0) for (key, *_), n in zip(source.buckets, rest[:width])}
            times[source.name] = int(rest[width] or 0)
            rest = rest[width + 1 :]
        result[community_id] = ResidentFigures(
            residents=total, took_part=int(took_part or 0), actions=counts, buckets=buckets, times=times
        )
    return result


def took_part(area):
    """{community id: (verified residents, of whom took part)} in the area and period."""
    return {pk: (row.residents, row.took_part) for pk, row in resident_rows(area).items()}


def _residents_contribution(area):
    return dashboards.Contribution(per_community=resident_rows(area))


def _participation_panels(totals, area):
    residents = totals["residents"]
    actions = [*dict.fromkeys(source.action for source in dashboards.registry.taking_part()), ANY]
    return {
        "residents": residents.residents,
        "participation": {
            "residents": residents.residents,
            **{
                action: {"count": residents.did(action), "percent": percent(residents.did(action), residents.residents)}
                for action in actions
            },
        },
    }


def _participation_indicators(totals):
    residents = totals["residents"]
    return {"residents": residents.residents, "took_part": percent(residents.took_part, residents.residents)}


# Cadres ---------------------------------------------------------------------------------------


def _age_band(age):
    for key, _label, low, high in AGE_BANDS:
        if low <= age <= high:
            return key
    return None


def _cadres(area):
    """Everyone holding a post in a community body on the day the period ends, counted once per
    community (and once per body kind), by age band and education (1 query)."""
    on = area.until
    posts = area.within(
        Membership.objects.current(on).filter(body__kind__in=CADRE_BODY_KINDS), "body__community"
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
    per_community = {}
    for community_id, user_ids in by_community.items():
        own = describe(user_ids)
        per_community[community_id] = CadreFigures(count=own["count"], aged=own["aged"], over_50=own["over_50_count"])
    return dashboards.Contribution(per_community=per_community, panels={"cadres": figures})


def _cadre_indicators(totals):
    cadres = totals["cadres"]
    return {"cadres_over_50": percent(cadres.over_50, cadres.aged)}


def register():
    dashboards.register(
        dashboards.Provider(
            name="residents",
            figures=ResidentFigures,
            compute=_residents_contribution,
            panels=_participation_panels,
            indicators=_participation_indicators,
        )
    )
    dashboards.register(
        dashboards.Provider(name="cadres", figures=CadreFigures, compute=_cadres, indicators=_cadre_indicators)
    )
