"""Errors every provider client raises, so callers handle all providers one way.

Each error names the provider and the endpoint; parsing errors also name the field. Transient
errors (``retryable``) are retried with backoff and count towards the circuit breaker; the others
(a bad key, a premium endpoint, a malformed body) fail at once.
"""

from __future__ import annotations


class ProviderError(RuntimeError):
    """A provider call failed; ``provider`` and ``endpoint`` say which."""

    retryable = False

    def __init__(self, provider: str, endpoint: str, message: str, *, status_code: int | None = None) -> None:
        self.provider = provider
        self.endpoint = endpoint
        self.status_code = status_code
        self.detail = message
        code = f" (HTTP {status_code})" if status_code is not None else ""
        super().__init__(f"{provider} {endpoint}: {message}{code}")


class TransientError(ProviderError):
    """5xx, timeouts, connection failures: worth another try after a pause."""

    retryable = True

    def __init__(self, provider: str, endpoint: str, message: str, *, status_code: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(provider, endpoint, message, status_code=status_code)
        self.retry_after = retry_after


class RateLimited(TransientError):
    """HTTP 429 or a provider's own rate-limit body (sent with HTTP 200 by Etherscan and Alpha Vantage).

    ``retryable`` is False for budgets that a short pause cannot restore (a daily quota).
    """

    def __init__(self, provider: str, endpoint: str, message: str, *, status_code: int | None = None,
                 retry_after: float | None = None, retryable: bool = True) -> None:
        super().__init__(provider, endpoint, message, status_code=status_code, retry_after=retry_after)
        self.retryable = retryable


class ApiError(ProviderError):
    """The provider refused the request (bad parameter, invalid key, premium endpoint): no retry."""


class HistoryLimit(ApiError):
    """The range is older than the plan serves (CoinGecko public/Demo: the past 365 days): refused
    before any call, naming the plan's limit."""


class MalformedResponse(ProviderError):
    """The body is not what the provider documents: invalid JSON, a missing or mistyped field."""

    def __init__(self, provider: str, endpoint: str, message: str, *, field: str | None = None,
                 status_code: int | None = None) -> None:
        self.field = field
        self.reason = message  # what is wrong with ``field``, without the field
        where = f"field {field!r}: " if field else ""
        super().__init__(provider, endpoint, where + message, status_code=status_code)


class TruncatedResponse(MalformedResponse):
    """The body ended mid-document (a dropped connection): transient, unlike a renamed field."""

    retryable = True
    retry_after: float | None = None


class QuotaExhausted(ProviderError):
    """A call (or a piece of work) would pass the credential's monthly budget: refused before it
    is sent. Not retryable until the month resets; the provider as a whole is unusable meanwhile."""


class CircuitOpen(ProviderError):
    """The provider failed repeatedly; calls are refused until the breaker's cool-down ends."""


class InvalidBatch(ValueError):
    """A curated frame failed its contract; nothing of it is used. ``rows`` are the offenders."""

    def __init__(self, provider: str, endpoint: str, frame: str, reason: str, rows: list[dict]) -> None:
        self.provider = provider
        self.endpoint = endpoint
        self.frame = frame
        self.reason = reason
        self.rows = rows[:20]
        shown = "; ".join(str(r) for r in self.rows[:5])
        more = f" (+{len(rows) - 5} more)" if len(rows) > 5 else ""
        super().__init__(f"{provider} {endpoint}: {frame} batch rejected, {reason}" + (f": {shown}{more}" if shown else ""))
