"""Errors services raise; pages, admin and API turn them into messages and status codes.

Django's own ValidationError (400) and PermissionDenied (403) are used as they are; a
Conflict is a request that is well-formed and allowed but clashes with the state of
things (409): a workflow guard, a full gallery, a second answer.
"""


class Conflict(Exception):
    def __init__(self, message, blockers=None):
        super().__init__(message)
        self.message = str(message)
        self.blockers = [str(b) for b in (blockers or [])]
