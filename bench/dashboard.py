"""Benchmark: the officials' dashboard over the large demo city (500 communities, 100,000
residents, 20,000 topics, 500,000 comments, 200,000 survey answers).

    createdb -h 127.0.0.1 -U postgres dashbench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dashbench .venv/bin/python bench/dashboard.py

It migrates the database and loads `seed_demo --size large` when the large city is not there
yet (a few minutes, once), then requests through Django's test Client, as a logged-in user
would, with production settings (DEBUG off):

- a trivial view (a plain "ok" response) - the baseline every figure is compared with;
- the city view (`/dashboard/` as a superuser) and one district view (`/dashboard/` as the
  demo official of the first community's district), each
  - cold: the dashboard cache bypassed, so every request computes every panel from the records;
  - warm: served from the cache (Redis when REDIS_URL is set), as officials mostly see it;
  - the city view also as the first official after a quiet hour finds it: the cache emptied,
    then one run of beat's keep-warm task (whose own duration is printed too);
- the API (`/api/v1/dashboard/`) for the city, cold.

For each it prints p50, p95 and mean latency over --requests requests (at least 20), the
number of database queries of one request, and the p50 as a multiple of the trivial view's.
Target: the city view's p50 within 300 ms and its queries at most 20.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
os.environ["ALLOWED_HOSTS"] = ",".join(filter(None, [os.environ.get("ALLOWED_HOSTS", ""), "testserver"]))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import include, path  # noqa: E402

from civic import dashboard  # noqa: E402
from communities.models import Community, District  # noqa: E402
from deliberation.models import Topic  # noqa: E402

TARGET_P50_MS = 300
TARGET_QUERIES = 20
LARGE_COMMUNITIES = 400
LARGE_TOPICS = 15_000


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


# The portal's own URLs, plus the trivial view the figures are compared with.
urlpatterns = [path("bench/trivial/", trivial), path("", include("civic.urls"))]


def ensure_large_city():
    if connection.vendor != "postgresql":
        sys.exit("bench/dashboard.py measures PostgreSQL: set DATABASE_URL=postgres://... (see the docstring).")
    call_command("migrate", verbosity=0)
    if Community.objects.count() >= LARGE_COMMUNITIES and Topic.objects.count() >= LARGE_TOPICS:
        return
    print("Loading the large demo city (seed_demo --size large); this takes a few minutes, once.", flush=True)
    started = time.perf_counter()
    call_command("seed_demo", size="large")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"Loaded in {time.perf_counter() - started:.0f} s.", flush=True)


def keep_warm_after_idle():
    """What an official finds after a quiet hour: the cache emptied (every entry expired), then
    one run of beat's keep-warm task. Returns how long that background run took, in ms."""
    cache.clear()
    started = time.perf_counter()
    dashboard.keep_warm()
    return (time.perf_counter() - started) * 1000


def measure(client, url, requests, *, cold, before=None):
    """Latencies in ms of `requests` GETs, after one untimed request (which fills the cache when
    warm); `before` runs, untimed, ahead of each request."""
    timings = []
    with override_settings(DASHBOARD_CACHE_SECONDS=0 if cold else 300, DASHBOARD_KEEP_WARM=True):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        for _ in range(requests):
            if before:
                before()
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
    return timings, len(queries.captured_queries)


def percentile(values, share):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="timed requests per view and mode (at least 20)")
    args = parser.parse_args()
    requests = max(args.requests, 20)

    ensure_large_city()
    users = get_user_model().objects
    admin, official = users.get(username="admin"), users.get(username="official")
    district = Community.objects.select_related("street__district").order_by("code").first().street.district
    print(
        f"PostgreSQL {connection.pg_version // 10000}, cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}, "
        f"{Community.objects.count():,} communities, {Topic.objects.count():,} topics; {requests} requests each.",
        flush=True,
    )

    city, district_view = Client(), Client()
    city.force_login(admin)
    district_view.force_login(official)
    background = []

    def after_idle():
        background.append(keep_warm_after_idle())

    runs = [
        ("trivial view (baseline)", city, "/bench/trivial/", False, None),
        ("city view, warm", city, "/dashboard/", False, None),
        ("city view, first after idle (kept warm)", city, "/dashboard/", False, after_idle),
        (f"district view ({district.name}), warm", district_view, "/dashboard/", False, None),
        (f"district view ({district.name}), cold", district_view, "/dashboard/", True, None),
        ("city view, cold", city, "/dashboard/", True, None),
        ("city API, cold", city, "/api/v1/dashboard/", True, None),
    ]
    results = []
    with override_settings(ROOT_URLCONF=__name__):
        for label, client, url, cold, before in runs:
            cache.clear()
            timings, queries = measure(client, url, requests, cold=cold, before=before)
            results.append((label, timings, queries))
            print(f"  measured {label}", flush=True)

    baseline = statistics.median(results[0][1])
    print()
    print(f"{'view':44} {'p50 ms':>9} {'p95 ms':>9} {'mean ms':>9} {'queries':>8} {'p50 / trivial':>14}")
    for label, timings, queries in results:
        p50 = statistics.median(timings)
        print(
            f"{label:44} {p50:9.1f} {percentile(timings, 0.95):9.1f} {statistics.mean(timings):9.1f} "
            f"{queries:8d} {p50 / baseline:13.1f}x"
        )
    print(
        f"\nbeat's keep-warm run (the city and {District.objects.count()} districts, in the background): "
        f"p50 {statistics.median(background):.0f} ms, p95 {percentile(background, 0.95):.0f} ms, every {settings.DASHBOARD_KEEP_WARM_EVERY} s."
    )
    print()
    for label, timings, queries in results:
        if label.startswith("city view"):
            p50 = statistics.median(timings)
            verdict = "meets" if p50 <= TARGET_P50_MS and queries <= TARGET_QUERIES else "misses"
            print(
                f"{label}: p50 {p50:.0f} ms (target {TARGET_P50_MS}), {queries} queries (target {TARGET_QUERIES}): "
                f"{verdict} the target."
            )


if __name__ == "__main__":
    main()
