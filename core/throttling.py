"""How often one person and one address may post comments, topics, objections and sign-ups.

Pages and the API count in the same buckets, so switching from one to the other buys
nothing. Each scope has up to two buckets: `<scope>` per logged-in user and `<scope>_ip`
per client address (core.client_ip, so a reverse proxy is seen through). Rates are
settings.CIVIC_THROTTLES, "<number>/<second|minute|hour|day>", each from its THROTTLE_<NAME>
environment variable.

A bucket is a counter in the Django cache under a fixed-window key: `cache.add` creates it
at 0 and `cache.incr` counts atomically, so with Redis every web process shares the count
and two processes cannot both take the last place. A window allows at most its number of
posts; straddling two windows allows a burst of twice that, which these limits tolerate.

While Redis is down the cache answers from each process's memory (core.cache), so the
limits still hold, per process, and nobody is refused who would not be.
"""

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import ngettext
from rest_framework import exceptions, status
from rest_framework.throttling import BaseThrottle

from .client_ip import client_ip

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class Throttled(Exception):
    """Past a limit, the one kind every limit raises (posting, logins, password resets, SMS codes):
    pages answer 429 with the form as it was typed, the API 429 JSON with Retry-After. `message`
    says it in the limit's own words; without it, the scope's standard sentence is used."""

    def __init__(self, wait, scope=None, *, message=None):
        self.wait = max(int(wait), 1)
        if message is not None:
            self.message = str(message)
        elif scope == "login":
            self.message = logging_in_too_fast(self.wait)
        elif scope == "password_reset":
            self.message = resetting_too_often(self.wait)
        else:
            self.message = posting_too_fast(self.wait)
        super().__init__(self.message)


class TooManyRequests(exceptions.APIException):
    """A Throttled as the API answers it: 429 with the limit's own message (DRF's Throttled would
    append its own wording) and Retry-After from `wait`."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "throttled"

    def __init__(self, detail, wait):
        super().__init__(detail)
        self.wait = wait


def logging_in_too_fast(wait):
    return ngettext(
        "Too many logins from your connection; please wait %(seconds)d second.",
        "Too many logins from your connection; please wait %(seconds)d seconds.",
        wait,
    ) % {"seconds": wait}


def resetting_too_often(wait):
    minutes = max(math.ceil(wait / 60), 1)
    return ngettext(
        "Too many password-reset requests; please wait %(minutes)d minute before asking again.",
        "Too many password-reset requests; please wait %(minutes)d minutes before asking again.",
        minutes,
    ) % {"minutes": minutes}


def posting_too_fast(wait):
    if wait > 90:
        minutes = math.ceil(wait / 60)
        return ngettext(
            "You are posting too fast; please wait %(minutes)d minute.",
            "You are posting too fast; please wait %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
    return ngettext(
        "You are posting too fast; please wait %(seconds)d second.",
        "You are posting too fast; please wait %(seconds)d seconds.",
        wait,
    ) % {"seconds": wait}


def parse_rate(rate):
    """'10/min' -> (10, 60)."""
    number, period = rate.split("/")
    return int(number), PERIODS[period.strip()[0].lower()]


def count(key, seconds):
    """One more event under `key`, a counter kept `seconds` from its first event (shared through
    the cache); returns the count. Every limit counts with it: posting, SMS codes, guesses."""
    cache.add(key, 0, seconds)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.add(key, 1, seconds)
        return 1


def _hit(bucket, ident, rate):
    """Count one post in the bucket's current window; the seconds to wait when past the rate."""
    allowed, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    if count(f"throttle:{bucket}:{ident}:{window}", period) <= allowed:
        return None
    return math.ceil((window + 1) * period - now)


def check(request, scope):
    """Count one post of `scope` by this request's user and address; raise Throttled past either limit."""
    rates = settings.CIVIC_THROTTLES
    waits = []
    user = getattr(request, "user", None)
    if scope in rates and user is not None and user.is_authenticated:
        waits.append(_hit(scope, f"user:{user.pk}", rates[scope]))
    if f"{scope}_ip" in rates:
        waits.append(_hit(f"{scope}_ip", f"ip:{client_ip(request) or 'unknown'}", rates[f"{scope}_ip"]))
    waits = [wait for wait in waits if wait]
    if waits:
        raise Throttled(max(waits), scope)


def check_for(request, scope, ident):
    """Like `check`, with the per-person bucket keyed by `ident` (an e-mail address, a phone
    number) instead of the logged-in user: for requests made before anyone is logged in."""
    rates = settings.CIVIC_THROTTLES
    waits = []
    if scope in rates and ident:
        waits.append(_hit(scope, f"id:{ident}", rates[scope]))
    if f"{scope}_ip" in rates:
        waits.append(_hit(f"{scope}_ip", f"ip:{client_ip(request) or 'unknown'}", rates[f"{scope}_ip"]))
    waits = [wait for wait in waits if wait]
    if waits:
        raise Throttled(max(waits), scope)


class PostingTooFast(exceptions.APIException):
    """429 with our own sentence (DRF's Throttled appends its own) and Retry-After."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "throttled"

    def __init__(self, throttled):
        super().__init__(throttled.message)
        self.wait = throttled.wait


class PostThrottle(BaseThrottle):
    """DRF's side of `check`: a view names its throttled posts in `posting_scopes`,
    {action: scope} on a viewset, {"post": scope} on a plain APIView."""

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        scope = getattr(view, "posting_scopes", {}).get(getattr(view, "action", None) or "post")
        if scope is None:
            return True
        try:
            check(request, scope)
        except Throttled as throttled:
            raise PostingTooFast(throttled) from throttled
        return True
