"""One resilient JSON-over-HTTP client that every provider wraps.

A call goes: response cache (per-endpoint TTL, hit rate counted) -> circuit breaker -> retries
(exponential backoff with jitter, ``Retry-After`` honoured) around [monthly quota -> token
bucket -> httpx GET -> status and body checks -> decode]. Provider quirks (errors sent with HTTP
200) plug in as ``check_body``; a caller's ``decode`` turns the bytes into typed, validated
values. A body is cached only after it decoded and validated, and a cached body that no longer
does is evicted, never served again.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

import httpx
import tenacity

from pipelines.errors import (
    ApiError,
    CircuitOpen,
    MalformedResponse,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    TransientError,
    TruncatedResponse,
)
from pipelines.http.breaker import CircuitBreaker, breaker_for
from pipelines.http.state import MemoryStore, StateStore


@dataclass(frozen=True)
class Endpoint:
    """A provider endpoint: a stable ``name`` for errors, metrics and the cache; ``ttl_s`` 0 = never cached."""

    name: str
    path: str
    ttl_s: float = 0.0
    # Fields a usable body must have (top-level keys of an object, or keys of every array element):
    # checked before caching, so a body with a renamed field is refused and never cached.
    required: tuple[str, ...] = ()
    shape: str = "any"  # "object" | "array" | "any"

    def check_shape(self, provider: str, data: Any) -> None:
        if self.shape == "object" and not isinstance(data, dict):
            raise MalformedResponse(provider, self.name, f"expected an object, got {type(data).__name__}", field="<body>")
        if self.shape == "array" and not isinstance(data, list):
            raise MalformedResponse(provider, self.name, f"expected an array, got {type(data).__name__}", field="<body>")
        items = [(f"[{i}].", x) for i, x in enumerate(data)] if isinstance(data, list) else [("", data)]
        for prefix, item in items:
            if not isinstance(item, dict):
                continue
            for name in self.required:
                if name not in item:
                    raise MalformedResponse(provider, self.name, "missing", field=prefix + name)


@dataclass(frozen=True)
class Policy:
    """Limits of one provider (documented free-tier defaults live in each provider's settings)."""

    rate_per_s: float
    burst: float = 1.0
    max_attempts: int = 4
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    # A Retry-After longer than this (a daily quota) is not waited for: the call fails at once.
    max_retry_after_s: float = 120.0
    timeout_s: float = 20.0
    breaker_threshold: int = 5
    breaker_reset_s: float = 60.0


@dataclass
class CacheStats:
    """Response-cache hits and misses, per endpoint name."""

    hits: Counter[str] = field(default_factory=Counter)
    misses: Counter[str] = field(default_factory=Counter)

    @property
    def hit_rate(self) -> float | None:
        total = sum(self.hits.values()) + sum(self.misses.values())
        return sum(self.hits.values()) / total if total else None


BodyCheck = Callable[[Endpoint, Any], None]
T = TypeVar("T")


@dataclass(frozen=True)
class Quota:
    """A calls-per-month budget of one provider credential, counted in the shared state store.

    Months are calendar months in UTC (the provider's own billing month may start on another
    day: set the limit a little under the plan's to be safe across the boundary).
    """

    key: str
    limit: int | None
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)

    def period(self) -> str:
        return self.clock().strftime("%Y-%m")

    def resets_at(self) -> dt.datetime:
        now = self.clock()
        return dt.datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class QuotaStatus:
    used: int
    limit: int | None
    period: str
    resets_at: dt.datetime

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)

_SECRET_QUERY = re.compile(r"((?:apikey|api_key|x_cg_\w+_api_key)=)[^&\s\"']+", re.IGNORECASE)


class _RedactSecrets(logging.Filter):
    """httpx logs every request URL at INFO; Etherscan and Alpha Vantage keys ride in the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(_SECRET_QUERY.sub(r"\1***", str(a)) if isinstance(a, str | httpx.URL) else a
                                for a in record.args)
        return True


_redactor = _RedactSecrets()


def _install_redactor() -> None:
    logger = logging.getLogger("httpx")
    if _redactor not in logger.filters:
        logger.addFilter(_redactor)


def _no_check(endpoint: Endpoint, data: Any) -> None:
    return None


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def decode_json(provider: str, endpoint: str, content: bytes, status_code: int | None = None) -> Any:
    """Parse a body; a document cut short is ``TruncatedResponse`` (transient), other junk ``MalformedResponse``."""
    try:
        return json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        text = content.decode("utf-8", "replace").rstrip()
        cut = isinstance(exc, json.JSONDecodeError) and (exc.pos >= len(text) - 1 or exc.msg.startswith("Unterminated"))
        if cut and text and text[0] in "[{":
            raise TruncatedResponse(provider, endpoint, f"JSON body ends early at byte {exc.pos}",
                                    status_code=status_code) from None
        raise MalformedResponse(provider, endpoint, f"body is not JSON ({exc})", status_code=status_code) from None


class ProviderHttp:
    """GET JSON from one provider with rate limiting, retries, a breaker and a shared cache."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        policy: Policy,
        *,
        headers: Mapping[str, str] | None = None,
        store: StateStore | None = None,
        check_body: BodyCheck = _no_check,
        secret_params: frozenset[str] = frozenset(),
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        monthly_limit: int | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.policy = policy
        self.store = store if store is not None else MemoryStore()
        self.check_body = check_body
        self.secret_params = secret_params
        self.sleep = sleep
        self.cache_stats = CacheStats()
        self.calls: Counter[str] = Counter()
        self.breaker: CircuitBreaker = breaker_for(
            provider, self.base_url, threshold=policy.breaker_threshold, reset_after_s=policy.breaker_reset_s
        )
        _install_redactor()
        self._http = httpx.Client(
            headers={"accept": "application/json", "user-agent": "crypto-risk/0.1", **(headers or {})},
            timeout=policy.timeout_s,
            transport=transport,
        )
        # The bucket is per provider and credential, not per process: that is what the provider counts.
        self._bucket_key = f"{provider}:{hashlib.sha256(repr(sorted((headers or {}).items())).encode()).hexdigest()[:12]}"
        self.quota = Quota(self._bucket_key, monthly_limit, **({"clock": clock} if clock else {}))

    def quota_status(self) -> QuotaStatus:
        """Calls counted this month against the credential's monthly budget (every process)."""
        period = self.quota.period()
        return QuotaStatus(self.store.calls(self.quota.key, period), self.quota.limit, period, self.quota.resets_at())

    def require_calls(self, endpoint: Endpoint, needed: int, what: str) -> None:
        """Refuse up front work that needs more calls than the month has left (``QuotaExhausted``)."""
        status = self.quota_status()
        if status.remaining is not None and needed > status.remaining:
            raise QuotaExhausted(
                self.provider, endpoint.name,
                f"{what} needs {needed} call(s) but only {status.remaining} of {status.limit} remain in "
                f"{status.period} (resets {status.resets_at:%Y-%m-%d}); deferred",
            )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ProviderHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cache_key(self, endpoint: Endpoint, path: str, params: Mapping[str, Any]) -> str:
        public = sorted((k, str(v)) for k, v in params.items() if k not in self.secret_params)
        raw = json.dumps([self.provider, self.base_url, path, public])
        return f"{self.provider}:{endpoint.name}:{hashlib.sha256(raw.encode()).hexdigest()}"

    def get(self, endpoint: Endpoint, params: Mapping[str, Any] | None = None, *, path: str | None = None,
            use_cache: bool = True, decode: Callable[[bytes], T] | None = None,
            cacheable: Callable[[T], bool] | None = None) -> Any:
        """The checked body of ``GET base_url + path``: ``decode(bytes)`` when given (typed and
        validated: its errors are ``MalformedResponse``), else the plain JSON value.

        The body is cached only when it decoded (and ``cacheable(value)`` holds); a cached body
        that no longer decodes is evicted and fetched again.
        """
        params = dict(params or {})
        path = path or endpoint.path
        cacheable_endpoint = use_cache and endpoint.ttl_s > 0
        key = self.cache_key(endpoint, path, params) if cacheable_endpoint else ""
        if cacheable_endpoint:
            cached = self.store.cache_get(key)
            if cached is not None:
                try:
                    value = self._decode(endpoint, cached, decode)
                except ProviderError:
                    self.store.cache_evict(key)
                else:
                    self.cache_stats.hits[endpoint.name] += 1
                    return value
            self.cache_stats.misses[endpoint.name] += 1
        if not self.breaker.allow():
            raise CircuitOpen(self.provider, endpoint.name,
                              f"circuit open after repeated failures; next probe in {self.breaker.retry_in():.1f}s")
        try:
            content, value = self._with_retries(endpoint, path, params, decode)
        except QuotaExhausted:
            self.breaker.release_probe()  # our own refusal says nothing about the provider
            raise
        except ProviderError as exc:
            if exc.retryable or isinstance(exc, TransientError):
                self.breaker.record_failure()
            else:
                # The provider answered; a bad request says nothing about its health.
                self.breaker.release_probe()
            if cacheable_endpoint:
                self.store.cache_evict(key)
            raise
        self.breaker.record_success()
        if cacheable_endpoint and (cacheable is None or cacheable(value)):
            self.store.cache_put(key, self.provider, endpoint.name, content, endpoint.ttl_s)
        return value

    def _decode(self, endpoint: Endpoint, content: bytes, decode: Callable[[bytes], T] | None) -> Any:
        if decode is not None:
            return decode(content)
        data = decode_json(self.provider, endpoint.name, content)
        self.check_body(endpoint, data)
        endpoint.check_shape(self.provider, data)
        return data

    def _retryable(self, exc: BaseException) -> bool:
        if not getattr(exc, "retryable", False):
            return False
        retry_after = getattr(exc, "retry_after", None)
        return retry_after is None or retry_after <= self.policy.max_retry_after_s

    def _wait(self, state: tenacity.RetryCallState) -> float:
        backoff = tenacity.wait_exponential_jitter(
            multiplier=self.policy.backoff_initial_s, max=self.policy.backoff_max_s, jitter=self.policy.backoff_initial_s
        )(state)
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        return max(backoff, retry_after) if retry_after is not None else backoff

    def _with_retries(self, endpoint: Endpoint, path: str, params: dict[str, Any],
                      decode: Callable[[bytes], Any] | None = None) -> tuple[bytes, Any]:
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.policy.max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception(self._retryable),
            sleep=self.sleep,
            reraise=True,
        )
        return retrying(self._attempt, endpoint, path, params, decode)

    def _attempt(self, endpoint: Endpoint, path: str, params: dict[str, Any],
                 decode: Callable[[bytes], Any] | None = None) -> tuple[bytes, Any]:
        # Every attempt is a call the provider counts, retries included.
        if self.store.take_call(self.quota.key, self.quota.period(), self.quota.limit) is None:
            raise QuotaExhausted(self.provider, endpoint.name,
                                 f"the monthly budget of {self.quota.limit} calls is spent for "
                                 f"{self.quota.period()} (resets {self.quota.resets_at():%Y-%m-%d}); deferred")
        wait = self.store.take_token(self._bucket_key, self.policy.rate_per_s, self.policy.burst)
        if wait > 0:
            self.sleep(wait)
        self.calls[endpoint.name] += 1
        name = endpoint.name
        try:
            response = self._http.get(self.base_url + path, params=params)
        except httpx.TimeoutException as exc:
            raise TransientError(self.provider, name, f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise TransientError(self.provider, name, f"connection failed ({type(exc).__name__}: {exc})") from None
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if status == 429:
            raise RateLimited(self.provider, name, "rate limited", status_code=status, retry_after=retry_after)
        if status >= 500:
            raise TransientError(self.provider, name, f"server error {_error_text(response)}", status_code=status,
                                 retry_after=retry_after)
        if status >= 400:
            raise ApiError(self.provider, name, f"request refused: {_error_text(response)}", status_code=status)
        if decode is None:
            data = decode_json(self.provider, name, response.content, status)
            self.check_body(endpoint, data)
            endpoint.check_shape(self.provider, data)
            return response.content, data
        try:
            return response.content, decode(response.content)
        except MalformedResponse:
            # An HTTP-200 error body (Etherscan NOTOK, Alpha Vantage Note) fails the typed decode:
            # the provider's own error says more than "field missing".
            self.check_body(endpoint, decode_json(self.provider, name, response.content, status))
            raise


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        for key in ("error", "message", "status", "Information", "Note"):
            if key in body and isinstance(body[key], str | int):
                return str(body[key])
    return json.dumps(body)[:200]


class ProviderClient:
    """Base of the provider clients: owns a ``ProviderHttp`` and closes it (also as a context)."""

    http: ProviderHttp

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
