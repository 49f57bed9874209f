"""CoinGecko settings: read from the environment when constructed, never at import time.

Plans: public (no key), Demo (``x-cg-demo-api-key`` on the public host) and Pro
(``x-cg-pro-api-key`` on ``pro-api.coingecko.com``). ``COINGECKO_PLAN`` picks demo or pro for a
key (default demo); ``COINGECKO_BASE_URL`` overrides the host for any plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.http import Endpoint, Policy
from pipelines.settings import env_float, env_str
from warehouse.settings import ConfigError

PROVIDER = "coingecko"
PUBLIC_BASE_URL = "https://api.coingecko.com/api/v3"
PRO_BASE_URL = "https://pro-api.coingecko.com/api/v3"
KEY_HEADERS = {"demo": "x-cg-demo-api-key", "pro": "x-cg-pro-api-key"}
# Documented budgets, calls per minute: public ~5-15 (varies), Demo 30, Pro 500 (Analyst plan).
CALLS_PER_MINUTE = {"public": 10.0, "demo": 30.0, "pro": 500.0}
MARKETS_PAGE_SIZE = 250  # the API's maximum per_page

# TTLs follow how fast each answer changes (5-60 minutes).
SIMPLE_PRICE = Endpoint("simple/price", "/simple/price", ttl_s=5 * 60, shape="object")
COINS_MARKETS = Endpoint("coins/markets", "/coins/markets", ttl_s=5 * 60, shape="array",
                         required=("id", "symbol", "name", "current_price", "last_updated"))
MARKET_CHART_RANGE = Endpoint("coins/market_chart/range", "/coins/{id}/market_chart/range", ttl_s=60 * 60,
                              shape="object", required=("prices", "market_caps", "total_volumes"))
OHLC = Endpoint("coins/ohlc", "/coins/{id}/ohlc", ttl_s=30 * 60, shape="array")
TRENDING = Endpoint("search/trending", "/search/trending", ttl_s=15 * 60, shape="object", required=("coins",))
GLOBAL = Endpoint("global", "/global", ttl_s=10 * 60, shape="object", required=("data",))
PING = Endpoint("ping", "/ping")


@dataclass(frozen=True)
class CoinGeckoSettings:
    api_key: str = field(default_factory=lambda: env_str("COINGECKO_API_KEY"), repr=False)
    plan: str = field(default_factory=lambda: env_str("COINGECKO_PLAN").lower())
    base_url: str = field(default_factory=lambda: env_str("COINGECKO_BASE_URL"))
    calls_per_minute: float = field(default_factory=lambda: env_float("COINGECKO_CALLS_PER_MINUTE", 0.0))

    def __post_init__(self) -> None:
        plan = self.plan or ("demo" if self.api_key else "public")
        if plan not in CALLS_PER_MINUTE:
            raise ConfigError(f"COINGECKO_PLAN must be public, demo or pro, got {plan!r}")
        if plan != "public" and not self.api_key:
            raise ConfigError(f"COINGECKO_PLAN={plan} needs COINGECKO_API_KEY")
        object.__setattr__(self, "plan", plan)
        if not self.base_url:
            object.__setattr__(self, "base_url", PRO_BASE_URL if plan == "pro" else PUBLIC_BASE_URL)
        if not self.calls_per_minute:
            object.__setattr__(self, "calls_per_minute", CALLS_PER_MINUTE[plan])

    @property
    def headers(self) -> dict[str, str]:
        return {KEY_HEADERS[self.plan]: self.api_key} if self.plan in KEY_HEADERS else {}

    def policy(self, **overrides: float) -> Policy:
        rate = self.calls_per_minute / 60.0
        return Policy(rate_per_s=rate, burst=max(1.0, min(10.0, self.calls_per_minute / 6)), **overrides)
