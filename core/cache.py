"""A Redis cache that keeps the portal serving while Redis is down.

Django's RedisCache raises on every call when Redis cannot be reached, and everything that
reads the cache (pages, the API's and the posting and log-in rate limits, the dashboards)
would fail with it. `ResilientRedisCache` answers such a call from a local-memory cache of
this process instead, and stops trying Redis for a few seconds, so a dead Redis costs one
short timeout now and then, not one on every call.

What "degrade safely" means here: cached figures are recomputed (or read from what this
process cached during the outage); rate limits keep counting, but per process rather than
across processes, so with N web processes a client gets at most N times a limit until
Redis is back, and no one is refused who would not be. The outage is logged once per
process as a warning, and its end as an info line; `/healthz/` reports the cache as
`degraded`. When Redis answers again the process goes back to it and drops what it kept
locally, so a later outage starts from an empty local cache.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


class _Outage:
    """Whether this process found a Redis location down, shared by every thread's cache instance
    (Django makes one backend instance per thread)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.retry_at = 0.0  # monotonic time before which Redis is not tried again
        self.down = False


_outages = {}
_outages_lock = threading.Lock()


def _outage_for(location):
    with _outages_lock:
        return _outages.setdefault(location, _Outage())


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client builds a new redis-py client (and its table of reply parsers) for every
    call; one per connection pool does the same work, a sizeable part of a cached page's cost."""

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        if pool not in clients:
            clients[pool] = self._client(connection_pool=pool)
        return clients[pool]


class ResilientRedisCache(RedisCache):
    """RedisCache that falls back to per-process local memory while Redis is unreachable."""

    # Seconds between attempts to reach a Redis found down.
    retry_seconds = 5.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        location = server if isinstance(server, str) else ",".join(server)
        self._outage = _outage_for(location)
        self._local = LocMemCache(
            f"redis-fallback:{location}",
            {
                "TIMEOUT": params.get("TIMEOUT", 300),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "KEY_FUNCTION": params.get("KEY_FUNCTION"),
                "OPTIONS": {"MAX_ENTRIES": 10000},
            },
        )

    @property
    def degraded(self):
        """True while this process serves the cache from local memory."""
        return self._outage.down

    def _call(self, name, *args, **kwargs):
        outage = self._outage
        if outage.down and time.monotonic() < outage.retry_at:
            return getattr(self._local, name)(*args, **kwargs)
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except UNREACHABLE as error:
            self._went_down(error)
            return getattr(self._local, name)(*args, **kwargs)
        if outage.down:
            self._came_back()
        return result

    def _went_down(self, error):
        outage = self._outage
        with outage.lock:
            first = not outage.down
            outage.down = True
            outage.retry_at = time.monotonic() + self.retry_seconds
        if first:
            log.warning(
                "Redis cache unreachable (%s); serving from this process's memory, rate limits per process.", error
            )

    def _came_back(self):
        outage = self._outage
        with outage.lock:
            if not outage.down:
                return
            outage.down = False
        self._local.clear()
        log.info("Redis cache reachable again; local fallback dropped.")

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version)

    def clear(self):
        self._local.clear()
        return self._call("clear")
