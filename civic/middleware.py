"""What a request answers when the database goes away under it, or when it cannot be read."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

# Seconds a client is asked to wait: a restarted or failed-over PostgreSQL is usually back by then.
RETRY_AFTER = 30


class DatabaseUnavailableMiddleware:
    """A lost or refused database connection answers 503 with a short page, not a 500 traceback.

    OperationalError and InterfaceError are what a dropped connection, a server that does not
    answer, a restart or a failover raise (SQLite's "database is locked" too): the request may
    well succeed when repeated. Every write path runs in one transaction, so the failed
    request left nothing half-written. The page renders without the database and without the
    request (no user, no session, no notices); the API answers JSON `{"detail"}`. The error is still logged with its traceback.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        log.error("Database unavailable during %s %s", request.method, request.path, exc_info=exception)
        if request.path.startswith("/api/"):
            detail = _("The service is briefly unavailable. Please try again in a minute.")
            response = JsonResponse({"code": "unavailable", "detail": detail}, status=503)
        else:
            response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response


class UnreadableQueryMiddleware:
    """A NUL byte in a query parameter (`?kind=%00x`, an admin list's `?step__exact=%00x`)
    answers 400 before any view: PostgreSQL takes no NUL in a string, so it would otherwise
    reach the database and answer 500. The API answers JSON `{"code", "detail"}`, pages a short page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.GET.lists()
        if "\x00" in request.path or any("\x00" in key or "\x00" in "".join(values) for key, values in query):
            log.warning("Refused a NUL byte in %s %s", request.method, request.path.replace("\x00", "\\x00"))
            if request.path.startswith("/api/"):
                detail = _("A query parameter holds a NUL character, which no field takes.")
                return JsonResponse({"code": "invalid", "detail": detail}, status=400)
            return HttpResponseBadRequest(render_to_string("400.html"))
        return self.get_response(request)
