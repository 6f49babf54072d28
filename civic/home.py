"""Home's figures (districts, communities by typology, verified residents), counted once and
kept in the cache until a place or a residency changes.

Counting the city's 100,000 residencies on every request was most of home's cost. The figures
are recounted on the first request after a District, Community or Residency is saved or
deleted (and after HOME_FIGURES_SECONDS at the latest, for a bulk write that sends no signal);
anonymous visitors' copy of the whole page (core/page_cache.py, scope "home") is
replaced at the same moments.
"""

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count
from django.db.models.signals import post_delete, post_save

from communities.models import Community, District, Residency
from core.page_cache import page_changed

HOME_FIGURES_SECONDS = 60
FIGURES_KEY = "home:figures"
SCOPE = "home"


def figures():
    """{"district_count", "community_count", "resident_count", "per_typology": {value: n}}."""
    cached = cache.get(FIGURES_KEY)
    if cached is not None:
        return cached
    per_typology = dict(Community.objects.order_by().values_list("typology").annotate(n=Count("pk")))
    counted = {
        "district_count": District.objects.count(),
        "community_count": sum(per_typology.values()),
        "resident_count": Residency.objects.verified().count(),
        "per_typology": per_typology,
    }
    cache.set(FIGURES_KEY, counted, HOME_FIGURES_SECONDS)
    return counted


def figures_changed(**kwargs):
    """Recount on the next request: now, and again once the transaction commits (a request
    meanwhile would count the rows as they were before it)."""
    cache.delete(FIGURES_KEY)
    transaction.on_commit(lambda: cache.delete(FIGURES_KEY))
    page_changed(SCOPE)


def connect():
    for model in (District, Community, Residency):
        for signal in (post_save, post_delete):
            signal.connect(figures_changed, sender=model, dispatch_uid=f"civic.home.{model.__name__}.{signal}")
