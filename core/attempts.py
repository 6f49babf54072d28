"""Attempt limits for short secrets (an activity's 6-digit check-in code): a few wrong
guesses per person and thing in a fixed window, counted in the Django cache (Redis in
production, so every process shares the count; while Redis is down, each process's memory).
The service asks `attempts_left` before comparing, refuses with TooManyAttempts while the
window is full (the right code too, or guessing would go on), and calls `wrong_guess` after
a miss."""

import math
import time

from django.core.cache import cache

from .throttling import count


class TooManyAttempts(Exception):
    """Too many wrong guesses: pages and the API answer 429 with `message` and Retry-After `wait`."""

    def __init__(self, wait, message):
        super().__init__(message)
        self.wait = max(int(wait), 1)
        self.message = message


def attempts_left(bucket, ident, limit, period):
    """Before a guess: raise nothing while fewer than `limit` wrong guesses fell in this
    window; returns the window's key, to pass to `wrong_guess`. Else the seconds to wait."""
    now = time.time()
    window = int(now // period)
    key = f"attempts:{bucket}:{ident}:{window}"
    if (cache.get(key) or 0) >= limit:
        return key, math.ceil((window + 1) * period - now)
    return key, None


def wrong_guess(key, period):
    """Count one wrong guess in the window `attempts_left` named (shared through Redis)."""
    count(key, period)
