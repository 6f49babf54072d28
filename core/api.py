"""The API base every app's API stands on: pagination, and the one place errors become JSON
(REST_FRAMEWORK's DEFAULT_PAGINATION_CLASS and EXCEPTION_HANDLER name them).

Every error answer is a JSON object with `code`, a stable machine word (core.error_codes, by
status: a client tells a full gallery from a closed survey by it, never by parsing the
translated text), beside `detail`, the human sentence in the requester's language. A 409 adds
`blockers`. Bad input (400) keeps its field errors under their field names, and once more under
`fields`, where a field named `code` or `detail` cannot clash with the two words above.
"""

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


def error_body(code, detail, **extra):
    """The JSON of one error answer."""
    return {"code": code, "detail": str(detail), **extra}


def _messages(errors):
    """Every message in a (possibly nested) structure of field errors, in order."""
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _messages(value)]
    if isinstance(errors, (list, tuple)):
        return [m for value in errors for m in _messages(value)]
    return [str(errors)]


def field_errors_body(errors, code="invalid"):
    """Bad input as an error answer: `{field: [messages]}` (or a list of messages for the
    whole request) with `code`, `detail` summing them up and the same errors under `fields`."""
    if isinstance(errors, dict) and set(errors) == {"detail"}:
        return error_body(code, " ".join(_messages(errors["detail"])))
    detail = " ".join(_messages(errors))
    if not isinstance(errors, dict):
        return error_body(code, detail)
    fields = {field: value for field, value in errors.items() if field not in ("code", "detail", "fields")}
    return {**fields, **error_body(code, detail), "fields": errors}


def _validation_errors(exc):
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
    return {"detail": " ".join(str(m) for m in exc.messages)}


def _drf_code(exc):
    if isinstance(exc, exceptions.ValidationError):
        return "invalid"
    if isinstance(exc, exceptions.APIException):
        return exc.default_code
    return None


def exception_handler(exc, context):
    """Service errors become 400/403/409 (413 for an upload over the size limit); every error
    answers JSON with `code` and `detail` (and field errors, or a guard's `blockers`)."""
    if isinstance(exc, Conflict):
        return Response(error_body(exc.code, exc.message, blockers=exc.blockers), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, uploads.TooLarge):
        body = field_errors_body(_validation_errors(exc), code="too_large")
        return Response(body, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    # Django's own guards on a request body: left alone, they would answer an HTML page.
    if isinstance(exc, RequestDataTooBig):
        body = error_body("too_large", _("The request is too large."))
        return Response(body, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, TooManyFilesSent):
        message = _("Too many files in one request: send at most %(count)d.")
        detail = message % {"count": settings.DATA_UPLOAD_MAX_NUMBER_FILES}
        return Response(error_body("too_many_files", detail), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, TooManyFieldsSent):
        body = error_body("too_many_fields", _("Too many fields in one request."))
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, TooManyAttempts):  # a service's own attempt limit (core.attempts)
        response = Response(error_body("throttled", exc.message), status=status.HTTP_429_TOO_MANY_REQUESTS)
        response["Retry-After"] = str(exc.wait)
        return response
    if isinstance(exc, DjangoValidationError):
        return Response(field_errors_body(_validation_errors(exc)), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    response = drf_exception_handler(exc, context)
    code = _drf_code(exc)
    if response is not None and code is not None:
        if isinstance(exc, exceptions.ValidationError):
            response.data = field_errors_body(response.data)
        elif isinstance(response.data, dict) and "detail" in response.data:
            response.data = {**response.data, "code": code, "detail": str(response.data["detail"])}
        else:
            response.data = field_errors_body(response.data, code=code)
    return response
