"""Site-wide pages."""

from django.db.models import Count
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from communities.models import Community, District, Residency, Typology

# The seven-step deliberation method (七步议事法) as the home page explains it:
# (slug, Chinese name, name, what happens).
DELIBERATION_STEPS = [
    (
        "collect",
        "收集",
        _("Collect"),
        _("Residents, bodies or staff raise a matter; public consultation starts and residents add their views."),
    ),
    (
        "review",
        "审查",
        _("Review"),
        _(
            "The committee checks the matter is in the council's remit and complete, then puts it on an agenda "
            "or declines it with a reason."
        ),
    ),
    (
        "resolve",
        "决议",
        _("Resolve"),
        _("The deliberation council meets on its monthly deliberation day, debates and votes."),
    ),
    (
        "publicize",
        "公示",
        _("Publicize"),
        _("The resolution is published for a publicity period; residents may object."),
    ),
    (
        "implement",
        "执行(监督)",
        _("Implement"),
        _("Named owners carry out the work under the supervisory committee and report progress."),
    ),
    (
        "evaluate",
        "测评",
        _("Evaluate"),
        _("Residents rate the outcome."),
    ),
    (
        "archive",
        "归档",
        _("Archive"),
        _("The whole record is closed, kept read-only and can be exported."),
    ),
]


def home(request):
    per_typology = dict(Community.objects.order_by().values_list("typology").annotate(n=Count("pk")))
    context = {
        "steps": DELIBERATION_STEPS,
        "district_count": District.objects.count(),
        "community_count": sum(per_typology.values()),
        "resident_count": Residency.objects.verified().count(),
        "typologies": [(value, label, per_typology.get(value, 0)) for value, label in Typology.choices],
    }
    return render(request, "home.html", context)


def healthz(request):
    """For load balancers: 200 while this process reaches the database and the cache, else 503.

    A cache serving from local memory while Redis is down (civic/cache.py) is `degraded`: the
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
