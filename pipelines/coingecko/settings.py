"""CoinGecko settings: read from the environment when constructed, never at import time.

Plans: public (no key), Demo (``x-cg-demo-api-key`` on the public host) and Pro
(``x-cg-pro-api-key`` on ``pro-api.coingecko.com``). ``COINGECKO_PLAN`` picks demo or pro for a
key (default demo); ``COINGECKO_BASE_URL`` overrides the host for any plan.

Each plan has three limits, all enforced on our side so the provider never has to refuse us:
calls per minute (a token bucket shared by every process), calls per month (a counter in the
same shared store; a call past it is refused before it is sent) and how far back history goes
(the public and Demo plans serve the past 365 days only; the API answers older ranges with 401
and error_code 10012).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.http import Endpoint, Policy
from pipelines.settings import env_float, env_int, env_str
from warehouse.settings import ConfigError

PROVIDER = "coingecko"
PUBLIC_BASE_URL = "https://api.coingecko.com/api/v3"
PRO_BASE_URL = "https://pro-api.coingecko.com/api/v3"
KEY_HEADERS = {"demo": "x-cg-demo-api-key", "pro": "x-cg-pro-api-key"}


@dataclass(frozen=True)
class Plan:
    """Documented limits of a CoinGecko plan (docs.coingecko.com, "Errors & Rate Limits", pricing)."""

    calls_per_minute: float
    calls_per_month: int | None  # None: not limited by us
    history_days: int | None  # None: full history (from 2013)


# Keyless calls are limited per IP to ~5-15 a minute and, like Demo, get a year of history; their
# monthly volume is undocumented, so we hold them to Demo's 10,000. Pro's monthly credits depend
# on the tier (Analyst 500,000): COINGECKO_MONTHLY_CALLS says which.
PLANS = {
    "public": Plan(calls_per_minute=5.0, calls_per_month=10_000, history_days=365),
    "demo": Plan(calls_per_minute=30.0, calls_per_month=10_000, history_days=365),
    "pro": Plan(calls_per_minute=500.0, calls_per_month=500_000, history_days=None),
}
MARKETS_PAGE_SIZE = 250  # the API's maximum per_page (and the most ids /coins/markets takes)

# TTLs follow how fast each answer changes; /coins/markets is shared by the price tick and the
# market snapshot a few minutes later (one call serves both).
SIMPLE_PRICE = Endpoint("simple/price", "/simple/price", ttl_s=4 * 60, shape="object")
COINS_MARKETS = Endpoint("coins/markets", "/coins/markets", ttl_s=4 * 60, shape="array")
COINS_LIST = Endpoint("coins/list", "/coins/list", ttl_s=12 * 60 * 60, shape="array")
MARKET_CHART_RANGE = Endpoint("coins/market_chart/range", "/coins/{id}/market_chart/range", ttl_s=30 * 60,
                              shape="object")
OHLC = Endpoint("coins/ohlc", "/coins/{id}/ohlc", ttl_s=30 * 60, shape="array")
TRENDING = Endpoint("search/trending", "/search/trending", ttl_s=10 * 60, shape="object")
GLOBAL = Endpoint("global", "/global", ttl_s=10 * 60, shape="object")
PING = Endpoint("ping", "/ping")


@dataclass(frozen=True)
class CoinGeckoSettings:
    api_key: str = field(default_factory=lambda: env_str("COINGECKO_API_KEY"), repr=False)
    plan: str = field(default_factory=lambda: env_str("COINGECKO_PLAN").lower())
    base_url: str = field(default_factory=lambda: env_str("COINGECKO_BASE_URL"))
    calls_per_minute: float = field(default_factory=lambda: env_float("COINGECKO_CALLS_PER_MINUTE", 0.0))
    calls_per_month: int = field(default_factory=lambda: env_int("COINGECKO_MONTHLY_CALLS", 0, low=0))

    def __post_init__(self) -> None:
        plan = self.plan or ("demo" if self.api_key else "public")
        if plan not in PLANS:
            raise ConfigError(f"COINGECKO_PLAN must be public, demo or pro, got {plan!r}")
        if plan != "public" and not self.api_key:
            raise ConfigError(f"COINGECKO_PLAN={plan} needs COINGECKO_API_KEY")
        object.__setattr__(self, "plan", plan)
        if not self.base_url:
            object.__setattr__(self, "base_url", PRO_BASE_URL if plan == "pro" else PUBLIC_BASE_URL)
        if not self.calls_per_minute:
            object.__setattr__(self, "calls_per_minute", PLANS[plan].calls_per_minute)
        if not self.calls_per_month:
            object.__setattr__(self, "calls_per_month", PLANS[plan].calls_per_month or 0)

    @property
    def headers(self) -> dict[str, str]:
        return {KEY_HEADERS[self.plan]: self.api_key} if self.plan in KEY_HEADERS else {}

    @property
    def history_days(self) -> int | None:
        """How many days back the plan serves history (None: all of it)."""
        return PLANS[self.plan].history_days

    @property
    def monthly_limit(self) -> int | None:
        return self.calls_per_month or None

    def policy(self, **overrides: float) -> Policy:
        rate = self.calls_per_minute / 60.0
        return Policy(rate_per_s=rate, burst=max(1.0, min(10.0, self.calls_per_minute / 6)), **overrides)
