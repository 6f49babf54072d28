"""Errors services raise; pages, admin and API turn them into messages and status codes.

Django's own ValidationError (400) and PermissionDenied (403) are used as they are; a
Conflict is a request that is well-formed and allowed but clashes with the state of
things (409): a workflow guard, a full gallery, a second answer.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext


class Conflict(Exception):
    """`code` is a stable machine word for what clashed (the API answers it beside `detail`):
    one of core.error_codes.CONFLICT_CODES."""

    def __init__(self, message, blockers=None, *, code="conflict"):
        super().__init__(message)
        self.message = str(message)
        self.blockers = [str(b) for b in (blockers or [])]
        self.code = code


# What a service may refuse with; every surface catches exactly these.
REFUSALS = (PermissionDenied, Conflict, ValidationError)


def refusal_messages(error):
    """A refusal as {field or None: [message, ...]}, None holding what belongs to no field."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return {
                (None if field == "__all__" else field): [str(m) for m in messages]
                for field, messages in error.message_dict.items()
            }
        return {None: [str(m) for m in error.messages]}
    if isinstance(error, Conflict):
        return {None: [error.message, *error.blockers]}
    return {None: [str(error) or gettext("You are not allowed to do this.")]}


def refusal_text(error):
    """A refusal as one sentence, for a message at the top of a page."""
    return " ".join(m for messages in refusal_messages(error).values() for m in messages)
