"""Provider health probes: one cheap, uncached call per provider, recorded in ``provider_health``
(latency, HTTP status, error and the recent error rate of that provider's calls in this process).

Alpha Vantage's free tier allows 25 calls a day, so its probe asks the endpoint without a key:
the answer (an error body, HTTP 200) proves the service is up without spending the quota.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import httpx
import sqlalchemy as sa

from pipelines.alphavantage.helpers import AlphaVantageClient
from pipelines.coingecko.helpers import CoinGeckoClient
from pipelines.errors import ProviderError
from pipelines.etherscan.helpers import EtherscanClient
from warehouse.engine import transaction
from warehouse.models import provider_health
from warehouse.settings import DatabaseUrl

PROVIDERS = ("coingecko", "etherscan", "alphavantage", "simulated")


@dataclass(frozen=True)
class Health:
    provider: str
    ok: bool
    status_code: int | None
    latency_ms: float
    error_rate: float | None
    error: str | None
    quota_used: int | None = None
    quota_limit: int | None = None
    quota_period: str | None = None


def _timed(provider: str, call: Callable[[], int | None], error_rate: Callable[[], float | None]) -> Health:
    started = time.perf_counter()
    try:
        status, error, ok = call(), None, True
    except ProviderError as exc:
        status, error, ok = exc.status_code, str(exc), False
    except httpx.HTTPError as exc:
        status, error, ok = None, f"{provider}: {type(exc).__name__}: {exc}", False
    latency = (time.perf_counter() - started) * 1000
    return Health(provider, ok, status, latency, error_rate(), error)


def probe_coingecko(client: CoinGeckoClient | None = None) -> Health:
    """``/ping`` (it counts against the monthly budget like any call), with the month's usage."""
    client = client or CoinGeckoClient()
    health = _timed("coingecko", lambda: (client.ping(), 200)[1], lambda: client.http.breaker.error_rate)
    quota = client.http.quota_status()
    return replace(health, quota_used=quota.used, quota_limit=quota.limit, quota_period=quota.period)


def probe_etherscan(client: EtherscanClient | None = None) -> Health:
    client = client or EtherscanClient()
    return _timed("etherscan", lambda: (client.ethprice(use_cache=False), 200)[1], lambda: client.http.breaker.error_rate)


def probe_alphavantage(client: AlphaVantageClient | None = None) -> Health:
    client = client or AlphaVantageClient()

    def call() -> int:
        # Keyless on purpose (see the module docstring); a 5xx or a non-JSON body means trouble.
        response = httpx.get(client.settings.base_url, params={"function": "CURRENCY_EXCHANGE_RATE"},
                             timeout=client.http.policy.timeout_s)
        if response.status_code >= 500:
            raise ProviderError("alphavantage", "probe", "server error", status_code=response.status_code)
        response.json()
        return response.status_code

    def wrapped() -> int:
        try:
            return call()
        except ValueError:
            raise ProviderError("alphavantage", "probe", "answer is not JSON") from None

    return _timed("alphavantage", wrapped, lambda: client.http.breaker.error_rate)


def probe_simulated() -> Health:
    from pipelines import simulated

    return _timed("simulated", lambda: (simulated.markets().height, None)[1], lambda: 0.0)


def record(url: DatabaseUrl, health: Health) -> None:
    """Append one row to ``provider_health``."""
    with transaction(url) as conn:
        conn.execute(sa.insert(provider_health).values(
            provider=health.provider, ok=health.ok, status_code=health.status_code, latency_ms=health.latency_ms,
            error_rate=health.error_rate, error=health.error[:1000] if health.error else None))


def check_providers(url: DatabaseUrl, probes: dict[str, Callable[[], Health]] | None = None) -> list[Health]:
    """Probe every provider independently (one failing never stops the others) and record each."""
    probes = probes or {"coingecko": probe_coingecko, "etherscan": probe_etherscan,
                        "alphavantage": probe_alphavantage, "simulated": probe_simulated}
    results = []
    for provider, probe in probes.items():
        try:
            health = probe()
        except Exception as exc:  # a misconfigured provider (no key, bad URL) is unhealthy, not fatal
            health = Health(provider, False, None, 0.0, None, f"{provider}: {type(exc).__name__}: {exc}")
        record(url, health)
        results.append(health)
    return results
