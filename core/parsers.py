"""The API's parsers. JSON is every operation's body (settings.REST_FRAMEWORK's
DEFAULT_PARSER_CLASSES): deep JSON is a 400, and a body over the form-field limit is refused
with 413 before a byte of it is read. Operations that upload a file add `UPLOAD_PARSERS`.

Kept apart from core.api, which imports DRF's views: those read DEFAULT_PARSER_CLASSES as
they are imported."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


def _refuse_large_body(parser_context, limit):
    """A body over `limit` (by its Content-Length) is refused before a byte of it is read."""
    request = (parser_context or {}).get("request")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
    except ValueError:
        length = 0
    if limit is not None and length > limit:
        raise RequestDataTooBig(_("The request is too large."))


class JSONParser(parsers.JSONParser):
    """DRF's, with JSON nested past Python's recursion limit (`[` x 5000) a 400, not a 500,
    and a body over DATA_UPLOAD_MAX_MEMORY_SIZE a 413 before it is read."""

    def parse(self, stream, media_type=None, parser_context=None):
        _refuse_large_body(parser_context, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("JSON parse error: nested too deeply.")) from None


# For the operations that take files (announcement attachments, progress reports): JSON when
# there is no file to send, multipart when there is; DRF's multipart parser, as the files are
# judged by the upload limits (core.uploads), not by the form-field limit.
UPLOAD_PARSERS = [JSONParser, parsers.MultiPartParser]
