"""What each app contributes to the officials' dashboards, registered by the app that owns the
records, the way notice kinds are registered with notifications.

An app describes, from its AppConfig.ready():

- a `Provider`: its figures for one community (a dataclass of counts, computed for every
  community of an area by its own selectors in a fixed number of queries), the panels it
  shapes from their sums, and its columns in the tables comparing typologies, stages and
  communities:

      dashboards.register(Provider(
          name="topics",
          figures=TopicFigures,            # one community's counts; TopicFigures() is blank
          compute=topic_figures,           # Area -> Contribution (per community, area panels)
          panels=deliberation_panels,      # (totals, area) -> {panel: figures}
          indicators=topic_indicators,     # totals -> {column: value}
      ))

- a `TakingPart` source: one way a resident takes part in community affairs (commented,
  attended an activity...). "Took part" has one meaning, used by the dashboards and the
  third-party evaluation alike: a verified resident who did at least one registered thing in
  the period (see communities.dashboard).

civic composes the dashboards: it decides the viewer's scope, the filters, the cache and the
order of the panels; it computes no figure of its own. core knows no app: the registry holds
callables and the dataclasses they return.
"""

import dataclasses
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Area:
    """The communities and period a dashboard covers.

    `communities` is a queryset of community ids to filter by (`pk__in`), or None for the
    whole city; `community_ids` are the communities the view shows (its table's rows).
    `start`/`end` bound the period as aware datetimes ([start, end)), `since`/`until` as the
    dates chosen; `now` is when the figures are computed.
    """

    communities: object
    community_ids: frozenset
    since: datetime.date
    until: datetime.date
    start: datetime.datetime
    end: datetime.datetime
    now: datetime.datetime

    @classmethod
    def of(cls, communities, since, until, *, community_ids=frozenset(), now=None):
        """The area of `communities` (a queryset of ids, or None for the city) over the days
        `since` to `until` included, in the current time zone."""
        from django.utils import timezone

        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(since, datetime.time.min, tzinfo=tz)
        end = datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
        return cls(communities, frozenset(community_ids), since, until, start, end, now or timezone.now())

    def within(self, queryset, path):
        """`queryset` narrowed to the area's communities through the lookup `path`."""
        return queryset if self.communities is None else queryset.filter(**{f"{path}__in": self.communities})


@dataclass(frozen=True)
class Contribution:
    """What a provider's queries return: each community's figures (a dataclass, absent when the
    community has none) and the area's panels that are not sums of the communities' figures
    (a median, people counted once across communities, a ranking)."""

    per_community: dict = field(default_factory=dict)
    panels: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Provider:
    name: str
    figures: type
    compute: Callable
    panels: Callable | None = None
    indicators: Callable | None = None


@dataclass(frozen=True)
class TakingPart:
    """One way of taking part: `rows(area)` is a queryset of `person` ids with `n`, how many
    times each did it in the area and period (`.values(person).annotate(n=Count(...))`).
    Several sources may share one `action` (a seat at the council's table and one in the
    public gallery are both "attended a meeting"). `buckets` ((key, low, high), ...) ask for
    the residents counted by how many times they did it."""

    action: str
    name: str
    rows: Callable
    person: str
    buckets: tuple = ()


class AlreadyRegistered(Exception):
    pass


class Registry:
    def __init__(self):
        self._providers = {}
        self._taking_part = {}

    def register(self, provider):
        if provider.name in self._providers:
            raise AlreadyRegistered(f"Dashboard provider {provider.name!r} is already registered.")
        self._providers[provider.name] = provider

    def register_taking_part(self, source):
        if source.name in self._taking_part:
            raise AlreadyRegistered(f"Taking-part source {source.name!r} is already registered.")
        self._taking_part[source.name] = source

    def providers(self):
        return list(self._providers.values())

    def provider(self, name):
        return self._providers[name]

    def taking_part(self):
        return list(self._taking_part.values())

    def signature(self):
        """Changes whenever a provider's figures change shape, so a cached entry of another
        shape is never read (the cache key holds it): no version bumped by hand."""
        parts = []
        for provider in self._providers.values():
            parts.append(provider.name + ":" + ",".join(f.name for f in dataclasses.fields(provider.figures)))
        for source in self._taking_part.values():
            parts.append(f"{source.action}/{source.name}:{','.join(key for key, *_ in source.buckets)}")
        return "|".join(sorted(parts))


registry = Registry()
register = registry.register
register_taking_part = registry.register_taking_part


def summed(items, figures):
    """The sum of several communities' figures (dataclasses of `figures`): numbers add, dicts
    add key by key, sets unite; None counts as nothing."""
    total = figures()
    for item in items:
        if item is not None:
            total = _add(total, item)
    return total


def _add(a, b):
    if dataclasses.is_dataclass(a):
        return type(a)(**{f.name: _add(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)})
    if isinstance(a, dict):
        return {key: _add(a[key], b[key]) if key in b else a[key] for key in a} | {
            key: value for key, value in b.items() if key not in a
        }
    if isinstance(a, frozenset | set):
        return frozenset(a) | frozenset(b)
    if a is None:
        return b
    if b is None:
        return a
    return a + b
