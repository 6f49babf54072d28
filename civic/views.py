"""Site-wide pages."""

from django.db.models import Count
from django.shortcuts import render

from communities.models import Community, District, Residency, Typology
from deliberation.workflow import STEP_CHINESE, STEP_SUMMARY, STEPS


def home(request):
    per_typology = dict(Community.objects.order_by().values_list("typology").annotate(n=Count("pk")))
    context = {
        "steps": [(step.value, STEP_CHINESE[step], step.label, STEP_SUMMARY[step]) for step in STEPS],
        "district_count": District.objects.count(),
        "community_count": sum(per_typology.values()),
        "resident_count": Residency.objects.verified().count(),
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
