"""Alpha Vantage settings, read from the environment when constructed."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.http import Endpoint, Policy
from pipelines.settings import env_float, env_str

PROVIDER = "alphavantage"
BASE_URL = "https://www.alphavantage.co/query"
DAILY_LIMIT = 25.0  # free tier: 25 requests per day

NEWS_SENTIMENT = Endpoint("NEWS_SENTIMENT", "", ttl_s=30 * 60, shape="object", required=("feed",))
DIGITAL_CURRENCY_DAILY = Endpoint("DIGITAL_CURRENCY_DAILY", "", ttl_s=60 * 60, shape="object", required=("Meta Data",))
CURRENCY_EXCHANGE_RATE = Endpoint("CURRENCY_EXCHANGE_RATE", "", ttl_s=5 * 60, shape="object",
                                  required=("Realtime Currency Exchange Rate",))
CRYPTO_INTRADAY = Endpoint("CRYPTO_INTRADAY", "", ttl_s=5 * 60)


@dataclass(frozen=True)
class AlphaVantageSettings:
    api_key: str = field(default_factory=lambda: env_str("ALPHAVANTAGE_API_KEY"), repr=False)
    base_url: str = field(default_factory=lambda: env_str("ALPHAVANTAGE_BASE_URL", BASE_URL) or BASE_URL)
    daily_limit: float = field(default_factory=lambda: env_float("ALPHAVANTAGE_DAILY_LIMIT", DAILY_LIMIT))

    def policy(self, **overrides: float) -> Policy:
        # The whole day's budget may be spent at once, then it refills evenly over the day.
        return Policy(rate_per_s=self.daily_limit / 86_400, burst=self.daily_limit, **overrides)
