"""The machine words of the API's error answers (`code` beside `detail`), by HTTP status.

Stable: a client tells a full gallery from a closed survey by them, never by parsing the
translated `detail`. core.api.exception_handler writes them; civic.schema lists them with
every operation's error answers. Adding a word is a change to /api/v1/; renaming or removing
one is not (README: API versioning).
"""

# The words a Conflict (core.errors)'s `code` may be: the API schema lists them for 409 answers.
CONFLICT_CODES = {
    "conflict": "The state of things refuses it (the general case).",
    "workflow_blocked": "A workflow guard holds the topic: `blockers` says why.",
    "moved_meanwhile": "Someone else changed the record since the requester saw it.",
    "gallery_full": "Every observer seat of the meeting is taken.",
    "already_answered": "The requester has already answered this survey.",
}


# Every `code` an error answer may carry, by HTTP status, with what it means (the schema
# lists them with each operation's error answers).
ERROR_CODES = {
    400: {
        "invalid": "Bad input: field errors, or `detail` names what is wrong.",
        "parse_error": "The body is not valid JSON (or not valid multipart).",
        "too_many_files": "More files in one request than the limit.",
        "too_many_fields": "More fields in one request than the limit.",
    },
    401: {
        "not_authenticated": "No credentials were sent.",
        "authentication_failed": "The token is not valid (ended, or never issued).",
    },
    403: {"permission_denied": "The requester's role does not allow this."},
    404: {"not_found": "No such record, page or endpoint."},
    405: {"method_not_allowed": "The operation does not take this method."},
    406: {"not_acceptable": "No answer in the format the Accept header asks for."},
    409: CONFLICT_CODES,
    413: {"too_large": "The body or a file in it is over the size limit."},
    415: {"unsupported_media_type": "The body is in a format the operation does not take."},
    429: {"throttled": "Too many requests: `detail` says how long to wait; Retry-After too."},
    503: {"unavailable": "The service is briefly unavailable: try again after Retry-After."},
}
