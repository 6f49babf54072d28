"""The OpenAPI schema's error answers, documented once for every operation.

Any endpoint can refuse a request in the same few ways: the token is not valid (401), the
role does not allow it (403, or a missing CSRF token for a browser session), the record or
the page does not exist (404), the input is bad (400), too large (413) or in a format the
endpoint does not take (415), the requester is throttled (429).
Rather than repeat these on every view, `AutoSchema` adds each one an operation can give
and its view did not already document, and gives every error answer without a body its
JSON shape (`core.api.exception_handler` writes them all).

It also tells the truth about read-only text fields whose column may be blank: DRF drops
`allow_blank` from read-only fields, so their enum or pattern would forbid the "" they answer.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

ERROR = {
    "type": "object",
    "description": "`detail` says what went wrong; a refusal by a workflow guard adds `blockers`.",
    "properties": {
        "detail": {"type": "string"},
        "blockers": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": "Field errors, `{field: [messages]}`, or a `detail` that names what is wrong.",
    "additionalProperties": {},
}

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
            if code.startswith("4") and "content" not in response:
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
        name, schema = ("FieldErrors", FIELD_ERRORS) if code in ("400", "413") else ("Error", ERROR)
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
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
