"""The API base every app's API stands on: pagination, and the one place errors become JSON
(REST_FRAMEWORK's DEFAULT_PAGINATION_CLASS and EXCEPTION_HANDLER name them)."""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from . import uploads
from .attempts import TooManyAttempts
from .errors import Conflict


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


def _validation_detail(exc):
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
    return {"detail": " ".join(str(m) for m in exc.messages)}


def exception_handler(exc, context):
    """Service errors become 400/403/409 (413 for an upload over the size limit); everything
    answers JSON with `detail` or field errors."""
    if isinstance(exc, Conflict):
        return Response({"detail": exc.message, "blockers": exc.blockers}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, uploads.TooLarge):
        return Response(_validation_detail(exc), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    # Django's own guards on a request body: left alone, they would answer an HTML page.
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": _("The request is too large.")}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, TooManyFilesSent):
        message = _("Too many files in one request: send at most %(count)d.")
        detail = message % {"count": settings.DATA_UPLOAD_MAX_NUMBER_FILES}
        return Response({"detail": detail}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, TooManyFieldsSent):
        return Response({"detail": _("Too many fields in one request.")}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, TooManyAttempts):  # a service's own attempt limit (core.attempts)
        response = Response({"detail": exc.message}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        response["Retry-After"] = str(exc.wait)
        return response
    if isinstance(exc, DjangoValidationError):
        return Response(_validation_detail(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    return drf_exception_handler(exc, context)
