"""Site-wide pages."""

from django.shortcuts import render

from communities.models import Typology
from core.page_cache import anonymous_page_cache
from deliberation.workflow import STEP_CHINESE, STEP_SUMMARY, STEPS

from . import home as home_figures


@anonymous_page_cache(scope=lambda request: home_figures.SCOPE)
def home(request):
    figures = home_figures.figures()
    per_typology = figures["per_typology"]
    context = {
        "steps": [(step.value, STEP_CHINESE[step], step.label, STEP_SUMMARY[step]) for step in STEPS],
        "district_count": figures["district_count"],
        "community_count": figures["community_count"],
        "resident_count": figures["resident_count"],
        "typologies": [(value, label, per_typology.get(value, 0)) for value, label in Typology.choices],
    }
    return render(request, "home.html", context)


def healthz(request):
    """For load balancers: 200 while this process reaches the database and the cache, else 503.

    A cache serving from local memory while Redis is down (core/cache.py) is `degraded`: the
    process still serves, so it stays in rotation, and monitoring sees the outage.
    """
    import uuid

    from django.core.cache import cache
    from django.db import DatabaseError, connection
    from django.http import JsonResponse

    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError:
        checks["database"] = "unavailable"
    try:
        probe = uuid.uuid4().hex
        cache.set("healthz", probe, 10)
        checks["cache"] = "ok" if cache.get("healthz") == probe else "unavailable"
        if checks["cache"] == "ok" and getattr(cache, "degraded", False):
            checks["cache"] = "degraded"
    except Exception:
        checks["cache"] = "unavailable"
    if "unavailable" in checks.values():
        return JsonResponse({"status": "unavailable", **checks}, status=503)
    return JsonResponse({"status": "degraded" if "degraded" in checks.values() else "ok", **checks})
