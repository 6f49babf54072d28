"""The portal's URLs plus the trivial view `bench/web.py` measures every page against.

Served only by the benchmark (DJANGO_SETTINGS_MODULE=bench.settings), never in production."""

from django.http import HttpResponse
from django.urls import path

from civic.urls import *  # noqa: F403 - the portal's patterns and error handlers, unchanged
from civic.urls import urlpatterns as portal_urlpatterns


def trivial(request):
    """The ceiling: the same gunicorn, settings and middleware as every page, no work of its own."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial), *portal_urlpatterns]
