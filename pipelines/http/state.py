"""Shared state for the resilience layer: the rate limiter's budget, the monthly call counters
and the response cache.

Every Dagster run is its own process, so all of it lives outside the process: in the warehouse's
UNLOGGED tables ``rate_limit_buckets`` and ``response_cache`` (losing them in a crash costs a
refetch) and its logged table ``provider_quota`` (a month's count must survive a restart), or in
Redis when ``CRYPTO_RISK_REDIS_URL`` is set. ``MemoryStore`` serves one process (scripts, tests
of a single client).

The token bucket is kept as a reservation: each call takes one token, even on credit, and
learns how long to wait until that token exists. One atomic statement per call, no polling.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Protocol

import sqlalchemy as sa

from warehouse.engine import get_engine
from warehouse.settings import DatabaseUrl

REDIS_URL_ENV = "CRYPTO_RISK_REDIS_URL"


class StateStore(Protocol):
    """What the HTTP layer needs to share between processes."""

    def take_token(self, key: str, rate_per_s: float, capacity: float) -> float:
        """Take one token from bucket ``key``; return the seconds to wait before using it."""

    def cache_get(self, key: str) -> bytes | None:
        """The cached body for ``key`` if present and not expired."""

    def cache_put(self, key: str, provider: str, endpoint: str, body: bytes, ttl_s: float) -> None:
        """Store ``body`` for ``ttl_s`` seconds."""

    def cache_evict(self, key: str) -> None:
        """Forget ``key`` (a cached body that no longer parses or validates)."""

    def take_call(self, key: str, period: str, limit: int | None) -> int | None:
        """Count one call against ``key`` in ``period`` (e.g. ``2026-12``) unless ``limit`` calls
        were counted already; return the new count, or None when the limit was reached."""

    def calls(self, key: str, period: str) -> int:
        """Calls counted against ``key`` in ``period``."""


def _wait_for(tokens_after: float, rate_per_s: float) -> float:
    return 0.0 if tokens_after >= 0 else -tokens_after / rate_per_s


class MemoryStore:
    """Process-local store (thread-safe). ``clock`` (seconds, monotonic by default) lets a
    benchmark replay a day of schedules in minutes with cache lifetimes in the day's own time."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        self._cache: dict[str, tuple[bytes, float]] = {}
        self._calls: dict[tuple[str, str], int] = {}

    def take_token(self, key: str, rate_per_s: float, capacity: float) -> float:
        with self._lock:
            now = self._clock()
            tokens, updated = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - updated) * rate_per_s) - 1
            self._buckets[key] = (tokens, now)
        return _wait_for(tokens, rate_per_s)

    def cache_get(self, key: str) -> bytes | None:
        with self._lock:
            hit = self._cache.get(key)
        if hit is None or hit[1] <= self._clock():
            return None
        return hit[0]

    def cache_put(self, key: str, provider: str, endpoint: str, body: bytes, ttl_s: float) -> None:
        with self._lock:
            self._cache[key] = (body, self._clock() + ttl_s)

    def cache_evict(self, key: str) -> None:
        with self._lock:
            self._cache.pop(key, None)

    def take_call(self, key: str, period: str, limit: int | None) -> int | None:
        with self._lock:
            used = self._calls.get((key, period), 0)
            if limit is not None and used >= limit:
                return None
            self._calls[(key, period)] = used + 1
            return used + 1

    def calls(self, key: str, period: str) -> int:
        with self._lock:
            return self._calls.get((key, period), 0)


_TAKE_SQL = sa.text(
    """
    INSERT INTO rate_limit_buckets AS b (key, tokens, updated_at)
    VALUES (:key, :capacity - 1, clock_timestamp())
    ON CONFLICT (key) DO UPDATE SET
        tokens = LEAST(:capacity,
                       b.tokens + EXTRACT(EPOCH FROM clock_timestamp() - b.updated_at)::float8 * :rate) - 1,
        updated_at = clock_timestamp()
    RETURNING tokens
    """
)
_GET_SQL = sa.text("SELECT body FROM response_cache WHERE key = :key AND expires_at > now()")
_PUT_SQL = sa.text(
    """
    INSERT INTO response_cache (key, provider, endpoint, body, expires_at, created_at)
    VALUES (:key, :provider, :endpoint, :body, now() + make_interval(secs => :ttl), now())
    ON CONFLICT (key) DO UPDATE SET body = EXCLUDED.body, expires_at = EXCLUDED.expires_at,
        created_at = EXCLUDED.created_at
    """
)
_PURGE_SQL = sa.text("DELETE FROM response_cache WHERE expires_at < now()")
_EVICT_SQL = sa.text("DELETE FROM response_cache WHERE key = :key")
# Count-and-check in one statement: concurrent callers can never together pass the limit.
_TAKE_CALL_SQL = sa.text(
    """
    INSERT INTO provider_quota AS q (key, period, calls, updated_at)
    SELECT :key, :period, 1, now() WHERE CAST(:limit AS integer) IS NULL OR CAST(:limit AS integer) > 0
    ON CONFLICT (key, period) DO UPDATE SET calls = q.calls + 1, updated_at = now()
        WHERE CAST(:limit AS integer) IS NULL OR q.calls < CAST(:limit AS integer)
    RETURNING calls
    """
)
_CALLS_SQL = sa.text("SELECT calls FROM provider_quota WHERE key = :key AND period = :period")
_PURGE_EVERY = 500


class PostgresStore:
    """The warehouse's UNLOGGED ``rate_limit_buckets`` and ``response_cache`` tables."""

    def __init__(self, url: DatabaseUrl) -> None:
        self.url = url
        self._puts = 0

    def take_token(self, key: str, rate_per_s: float, capacity: float) -> float:
        with get_engine(self.url).begin() as conn:
            tokens = conn.execute(_TAKE_SQL, {"key": key, "rate": rate_per_s, "capacity": capacity}).scalar_one()
        return _wait_for(tokens, rate_per_s)

    def cache_get(self, key: str) -> bytes | None:
        with get_engine(self.url).connect() as conn:
            body = conn.execute(_GET_SQL, {"key": key}).scalar_one_or_none()
        return bytes(body) if body is not None else None

    def cache_put(self, key: str, provider: str, endpoint: str, body: bytes, ttl_s: float) -> None:
        self._puts += 1
        with get_engine(self.url).begin() as conn:
            conn.execute(_PUT_SQL, {"key": key, "provider": provider, "endpoint": endpoint, "body": body, "ttl": ttl_s})
            if self._puts % _PURGE_EVERY == 0:
                conn.execute(_PURGE_SQL)

    def cache_evict(self, key: str) -> None:
        with get_engine(self.url).begin() as conn:
            conn.execute(_EVICT_SQL, {"key": key})

    def take_call(self, key: str, period: str, limit: int | None) -> int | None:
        with get_engine(self.url).begin() as conn:
            return conn.execute(_TAKE_CALL_SQL, {"key": key, "period": period, "limit": limit}).scalar_one_or_none()

    def calls(self, key: str, period: str) -> int:
        with get_engine(self.url).connect() as conn:
            return conn.execute(_CALLS_SQL, {"key": key, "period": period}).scalar_one_or_none() or 0


# Atomic refill-and-take in Redis; time comes from the server so every process agrees.
_REDIS_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local rate = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(v[1]) or cap
local ts = tonumber(v[2]) or now
tokens = math.min(cap, tokens + (now - ts) * rate) - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(cap / rate) + 3600)
return tostring(tokens)
"""

# Count-and-check, atomically; the counter outlives its month by a little, then expires.
_REDIS_TAKE_CALL = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local limit = tonumber(ARGV[1])
if limit >= 0 and used >= limit then return -1 end
used = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], 40 * 86400)
return used
"""


class RedisStore:
    """Redis keys ``crypto_risk:bucket:*`` and ``crypto_risk:cache:*``."""

    def __init__(self, redis_url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(redis_url)
        self._take = self._redis.register_script(_REDIS_TAKE)
        self._take_call = self._redis.register_script(_REDIS_TAKE_CALL)

    def take_token(self, key: str, rate_per_s: float, capacity: float) -> float:
        tokens = float(self._take(keys=[f"crypto_risk:bucket:{key}"], args=[rate_per_s, capacity]))
        return _wait_for(tokens, rate_per_s)

    def cache_get(self, key: str) -> bytes | None:
        return self._redis.get(f"crypto_risk:cache:{key}")

    def cache_put(self, key: str, provider: str, endpoint: str, body: bytes, ttl_s: float) -> None:
        self._redis.set(f"crypto_risk:cache:{key}", body, px=max(1, int(ttl_s * 1000)))

    def cache_evict(self, key: str) -> None:
        self._redis.delete(f"crypto_risk:cache:{key}")

    def take_call(self, key: str, period: str, limit: int | None) -> int | None:
        used = int(self._take_call(keys=[f"crypto_risk:quota:{key}:{period}"], args=[-1 if limit is None else limit]))
        return None if used < 0 else used

    def calls(self, key: str, period: str) -> int:
        return int(self._redis.get(f"crypto_risk:quota:{key}:{period}") or 0)


def store_from_env(database: DatabaseUrl | None = None) -> StateStore:
    """Redis when ``CRYPTO_RISK_REDIS_URL`` is set, else the warehouse when given, else memory."""
    redis_url = os.environ.get(REDIS_URL_ENV, "").strip()
    if redis_url:
        return RedisStore(redis_url)
    if database is not None:
        return PostgresStore(database)
    return MemoryStore()
