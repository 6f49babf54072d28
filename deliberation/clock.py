"""The deliberation app's notion of "now".

Every service reads the time here rather than from `timezone.now()` directly, so that the
demo can lay down a history that really took months (publicity periods, evaluation
windows) through the same services residents and staff use: `with clock.travel(moment):`.
The override lives in a context variable, so it never leaks into another request or thread.
"""

import contextlib
import contextvars

from django.utils import timezone

_moment = contextvars.ContextVar("deliberation_clock", default=None)


def now():
    moment = _moment.get()
    return moment if moment is not None else timezone.now()


@contextlib.contextmanager
def travel(moment):
    token = _moment.set(moment)
    try:
        yield moment
    finally:
        _moment.reset(token)
