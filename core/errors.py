"""Errors services raise, and their one translation for each surface.

Django's own ValidationError (400) and PermissionDenied (403) are used as they are; a
Conflict is a request that is well-formed and allowed but clashes with the state of
things (409): a workflow guard, a full gallery, a second answer. An upload over the size
limit (core.uploads.TooLarge, a ValidationError) answers 413.

Every surface catches REFUSALS and translates them here, nowhere else:
  a page:   add_refusal (onto the form it re-renders) or refusal_text (a message), with
            refusal_status;
  the admin: refusal_messages / refusal_text (core.admin puts them on the form or the row);
  the API:  refusal_detail (its exception handler, core.api, owns the answer's shape).
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


def refusal_status(error):
    """The HTTP status a refusal answers with, on a page as in the API."""
    from .uploads import TooLarge  # core.uploads raises ValidationErrors of its own

    if isinstance(error, Conflict):
        return 409
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, TooLarge):
        return 413
    return 400


def add_refusal(form, error):
    """A refusal onto the form a page shows again: each message beside the field it names when
    the form has that field, the rest at the top of the form."""
    for field, messages in refusal_messages(error).items():
        form.add_error(field if field in form.fields else None, messages)


def refusal_detail(error):
    """A ValidationError as the API's body: its messages by field, or one `detail` sentence."""
    if hasattr(error, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in error.error_dict.items()}
    return {"detail": " ".join(str(m) for m in error.messages)}
