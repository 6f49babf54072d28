"""The officials' dashboards (数据驱动决策): participation, deliberation, satisfaction, cadres,
typologies and third-party evaluation, for the area an official oversees.

civic keeps the scope (who sees which area), the filters, the cache and the composition; the
figures come from the apps that own the records, each registering a provider with
core.dashboards (communities.dashboard, deliberation.dashboard, surveys.dashboard): each
computes its typed figures per community in a fixed number of queries, whatever the number
of communities, and the area's totals, the typology and stage rows and the community table
are summed here from those rows.

Figures are cached for at most five minutes under a key holding the viewer's scope (the
streets and districts they oversee, or the city), the full normalised filter set and the
shape of the providers' figures: a change of filters or of area never reads another area's
figures, a change of shape never reads an old entry.
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
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.dashboard import AGE_BANDS
from communities.models import Community, District, Stage, Street, Typology
from communities.permissions import can, roles_for
from core import dashboards
from surveys.dashboard import SCALES

# Bumped by hand only when what is composed here changes shape; the providers' own figures
# are versioned by their dataclasses' fields (core.dashboards.Registry.signature).
VERSION = 3
# CONTRACT: never more than five minutes stale.
MAX_CACHE_SECONDS = 300
# A view read when its figures are older than this is recomputed in the background, so the
# officials who keep it open are served from the cache rather than wait for a recomputation.
REFRESH_AFTER = 240
log = logging.getLogger(__name__)

PERIOD_DAYS = 365

# What residents may have done in the period, in the order the dashboard lists them (the
# actions the apps register as taking part, and "any" of them).
ACTIONS = ("commented", "raised_topic", "attended_meeting", "attended_activity", "answered_survey", "any")
__all__ = ["ACTIONS", "AGE_BANDS", "SCALES", "DashboardFilterForm", "Filters", "Scope", "dashboard", "places"]


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
    shape = dashboards.registry.signature()
    digest = hashlib.sha256(f"{scope.key}\n{filters.key}\n{shape}".encode()).hexdigest()
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


def compute(scope, filters, area_places, *, now=None):
    """Every panel for the scope and filters, composed from the apps' registered providers:
    each computes its figures per community (typed, summed here for the area, the typologies,
    the stages and each community's row) and the panels it shapes from them."""
    now = now or timezone.now()
    chosen = [place for place in area_places if filters.matches(place)]
    area = dashboards.Area.of(
        _area(scope, filters), filters.since, filters.until, community_ids=(place["id"] for place in chosen), now=now
    )
    providers = dashboards.registry.providers()
    contributions = {provider.name: provider.compute(area) for provider in providers}
    rows = [
        {
            **place,
            "figures": {
                provider.name: contributions[provider.name].per_community.get(place["id"]) or provider.figures()
                for provider in providers
            },
        }
        for place in chosen
    ]
    totals = _totals(providers, rows)
    figures = {
        "generated_at": now.isoformat(),
        "period": {"since": filters.since.isoformat(), "until": filters.until.isoformat()},
        "filters": {k: v for k, v in asdict(filters).items() if k not in ("since", "until")},
        "communities_count": len(rows),
    }
    for provider in providers:
        if provider.panels is not None:
            figures.update(provider.panels(totals, area))
        figures.update(contributions[provider.name].panels)
    figures["typologies"] = _groups(providers, rows, "typology", Typology.values)
    figures["stages"] = _groups(providers, rows, "stage", Stage.values)
    figures["communities"] = [_community_summary(providers, row) for row in rows]
    return figures


def _totals(providers, rows):
    return {
        provider.name: dashboards.summed((row["figures"][provider.name] for row in rows), provider.figures)
        for provider in providers
    }


# Typologies, stages and the community table -----------------------------------------------------


def _indicators(providers, rows):
    """The key indicators side by side, for a group of community rows: each provider's columns."""
    totals = _totals(providers, rows)
    indicators = {"communities": len(rows)}
    for provider in providers:
        if provider.indicators is not None:
            indicators.update(provider.indicators(totals))
    return indicators


def _groups(providers, rows, attribute, keys):
    grouped = defaultdict(list)
    for row in rows:
        grouped[row[attribute]].append(row)
    return [{"key": key, **_indicators(providers, grouped.get(key, []))} for key in keys]


def _community_summary(providers, row):
    keep = ("id", "name", "code", "typology", "stage", "street_id", "street", "district_id", "district")
    return {**{key: row[key] for key in keep}, **_indicators(providers, [row])}
