"""The OpenAPI schema's error answers, documented once for every operation.

Any endpoint can refuse a request in the same few ways: the token is not valid (401), the
role does not allow it (403, or a missing CSRF token for a browser session), the record or
the page does not exist (404), the input is bad (400), too large (413) or in a format the
endpoint does not take (415), the requester is throttled (429).
Rather than repeat these on every view, `AutoSchema` adds each one an operation can give
and its view did not already document, and gives every error answer without a body its
JSON shape (`core.api.exception_handler` writes them all).

The document is the same whatever the caller's language: civic.openapi generates and serves
it in the source language.

It also tells the truth about read-only text fields whose column may be blank: DRF drops
`allow_blank` from read-only fields, so their enum or pattern would forbid the "" they answer.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from core.error_codes import ERROR_CODES

# The error answers' components, by status: their `code` enums are core.error_codes.ERROR_CODES.
ERROR_COMPONENTS = {
    400: "FieldErrors",
    401: "NotAuthenticatedError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    405: "MethodNotAllowedError",
    406: "NotAcceptableError",
    409: "ConflictError",
    413: "TooLargeError",
    415: "UnsupportedMediaTypeError",
    429: "ThrottledError",
}
FIELD_ERROR_LIST = {"type": "array", "items": {}, "description": "The field's messages (nested for lists and objects)."}


def error_schema(status):
    """The JSON schema of a `status` error answer (core.api.exception_handler writes them)."""
    codes = ERROR_CODES[status]
    schema = {
        "type": "object",
        "properties": {
            "code": {
                "type": "string",
                "enum": list(codes),
                "description": "A stable machine word for what went wrong:\n\n"
                + "\n".join(f"* `{code}` - {meaning}" for code, meaning in codes.items()),
            },
            "detail": {"type": "string", "description": "What went wrong, in the requester's language."},
        },
        "required": ["code", "detail"],
    }
    if status == 409:
        schema["description"] = "The state of things refuses it; `blockers` says what stands in the way."
        schema["properties"]["blockers"] = {"type": "array", "items": {"type": "string"}}
        schema["required"].append("blockers")
    if status in (400, 413):
        schema["description"] = (
            "Bad input: `detail` sums it up; field errors are under `fields` as `{field: [messages]}`, "
            "and also under their field names (but for a field named `code` or `detail`)."
        )
        schema["properties"]["fields"] = {"type": "object", "additionalProperties": FIELD_ERROR_LIST}
        schema["additionalProperties"] = {}
    return schema


DESCRIPTIONS = {
    "400": "Bad input: field errors or `detail`; nothing is changed.",
    "401": "Not logged in, or the token is not valid.",
    "403": "The requester's role does not allow this.",
    "404": "No such record, or no such page of the list.",
    "413": "The request body is too large.",
    "415": "The body is in a format the operation does not take (see its request body).",
    "429": "Too many requests: `detail` says how long to wait; Retry-After too.",
}


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self._possible_errors(operation):
            responses.setdefault(code, {"description": DESCRIPTIONS[code]})
        for code, response in responses.items():
            if int(code) in ERROR_COMPONENTS and "content" not in response:
                response["content"] = {"application/json": {"schema": self._error_component(code).ref}}
        return operation

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if field.read_only and _blank_column(field):
            field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _possible_errors(self, operation):
        parameters = operation.get("parameters", [])
        if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
            yield "400"
        if self.view.get_authenticators():
            yield "401"
            yield "403"
        if any(p["in"] == "path" for p in parameters) or (self._is_list_view() and self._get_paginator()):
            yield "404"
        if "requestBody" in operation:
            yield "413"
            yield "415"
        if self.view.get_throttles():
            yield "429"

    def _error_component(self, code):
        status = int(code)
        name = ERROR_COMPONENTS[status]
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, object=name, schema=error_schema(status)
        )
        self.registry.register_on_missing(component)
        return component


def _blank_column(field):
    """Whether `field` shows a text column of its model that may hold ""."""
    text = isinstance(field, (serializers.CharField, serializers.ChoiceField))
    if not text or not isinstance(field.parent, serializers.ModelSerializer):
        return False
    try:
        column = field.parent.Meta.model._meta.get_field(field.source)
    except (AttributeError, FieldDoesNotExist):
        return False
    return isinstance(column, (models.CharField, models.TextField)) and column.blank
