"""One ConfigurableResource per external system, each an interface with a live and a simulated
implementation (Dagster's HN example: an API client and a snapshot client behind one key).

- ``WarehouseResource``: the PostgreSQL warehouse.
- ``market`` (``MarketDataResource``): ``CoinGeckoResource`` or ``SimulatedMarketResource``.
- ``etherscan`` (``WalletDataResource``): ``EtherscanResource`` or ``SimulatedWalletsResource``.
- ``alphavantage`` (``NewsDataResource``): ``AlphaVantageResource`` or ``SimulatedNewsResource``.
- ``llm``: the OpenAI-compatible model of the AI insights.

``assets.definitions`` picks the live or the simulated set once, when the code location loads;
every field (keys, base URLs, plans, limits, the simulated seed) comes from an ``EnvVar`` there.
Assets call the interface (``feed(url)``) and never know which implementation they got; tests
swap the resource, never the asset.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from dagster import ConfigurableResource
from pydantic import Field
from sqlalchemy.engine import Connection

from pipelines.coingecko.budget import Plan, plan
from pipelines.feeds import MarketFeed, NewsFeed, WalletFeed
from warehouse.engine import get_engine, transaction
from warehouse.settings import DatabaseUrl

# --- the warehouse ---------------------------------------------------------------------------------


class WarehouseResource(ConfigurableResource):
    """The PostgreSQL/TimescaleDB warehouse every asset reads from and writes to."""

    database_url: str = Field(description="libpq URL of the warehouse (CRYPTO_RISK_DATABASE_URL)")

    @property
    def url(self) -> DatabaseUrl:
        return DatabaseUrl(self.database_url)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: the asset's rows and its outbox event commit together."""
        with transaction(self.url) as conn:
            yield conn

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A connection outside any transaction block (Timescale's refresh_continuous_aggregate)."""
        with get_engine(self.url).connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn


# --- market data -----------------------------------------------------------------------------------


class MarketDataResource(ConfigurableResource):
    """Prices, market snapshots, trending and global totals (``pipelines.feeds.MarketFeed``)."""

    source: ClassVar[str] = ""  # what the data is labelled with: coingecko | simulated

    def feed(self, url: DatabaseUrl) -> MarketFeed:
        raise TypeError(f"{type(self).__name__} is the interface: configure CoinGeckoResource or SimulatedMarketResource")

    def plan(self, tracked_coins: int) -> Plan:
        """How often the recurring calls may run (``pipelines.coingecko.budget``)."""
        return plan(None, tracked_coins)


class CoinGeckoResource(MarketDataResource):
    """The live CoinGecko API (public, Demo or Pro plan), loading through its dlt source."""

    source: ClassVar[str] = "coingecko"

    api_key: str = Field(default="", description="COINGECKO_API_KEY (empty: the keyless public API)")
    plan_name: str = Field(default="", description="COINGECKO_PLAN: public, demo or pro (default: demo with a key)")
    base_url: str = Field(default="", description="COINGECKO_BASE_URL (default: the plan's host)")
    calls_per_minute: float = Field(default=0.0, description="COINGECKO_CALLS_PER_MINUTE (default: the plan's)")
    monthly_calls: int = Field(default=0, description="COINGECKO_MONTHLY_CALLS (default: the plan's)")

    def settings(self):
        from pipelines.coingecko.settings import CoinGeckoSettings

        return CoinGeckoSettings(api_key=self.api_key, plan=self.plan_name.lower(), base_url=self.base_url,
                                 calls_per_minute=self.calls_per_minute, calls_per_month=self.monthly_calls)

    def feed(self, url: DatabaseUrl) -> MarketFeed:
        from pipelines.coingecko.feed import CoinGeckoFeed

        return CoinGeckoFeed(self.settings(), url)

    def plan(self, tracked_coins: int) -> Plan:
        return plan(self.settings().monthly_limit, tracked_coins)


class SimulatedMarketResource(MarketDataResource):
    """The deterministic offline market (``pipelines.simulated``), labelled ``simulated``."""

    source: ClassVar[str] = "simulated"

    seed: int = Field(default=42, description="CRYPTO_RISK_SIM_SEED")

    def feed(self, url: DatabaseUrl) -> MarketFeed:
        from pipelines.simulated.feed import SimulatedFeed

        return SimulatedFeed(self.seed)


def market_plan(warehouse: WarehouseResource, market: MarketDataResource) -> Plan:
    """The market provider's plan for today's universe: which schedule slots are due."""
    from warehouse.queries.assets import tracked_coins

    with warehouse.transaction() as conn:
        return market.plan(len(tracked_coins(conn)))


# --- on-chain --------------------------------------------------------------------------------------


class WalletDataResource(ConfigurableResource):
    """Balances and transfers of linked wallets (``pipelines.feeds.WalletFeed``)."""

    def feed(self, url: DatabaseUrl) -> WalletFeed:
        raise TypeError(f"{type(self).__name__} is the interface: configure EtherscanResource or SimulatedWalletsResource")


class EtherscanResource(WalletDataResource):
    """Etherscan API V2 (one key for every EVM chain it serves), loading through its dlt source."""

    api_key: str = Field(default="", description="ETHERSCAN_API_KEY")
    base_url: str = Field(default="", description="ETHERSCAN_BASE_URL (default: api.etherscan.io/v2/api)")
    calls_per_second: float = Field(default=0.0, description="ETHERSCAN_CALLS_PER_SECOND (default 5)")

    def feed(self, url: DatabaseUrl) -> WalletFeed:
        from pipelines.etherscan.feed import EtherscanFeed

        return EtherscanFeed(url, api_key=self.api_key, base_url=self.base_url, calls_per_second=self.calls_per_second)


class SimulatedWalletsResource(WalletDataResource):
    seed: int = Field(default=42, description="CRYPTO_RISK_SIM_SEED")

    def feed(self, url: DatabaseUrl) -> WalletFeed:
        from pipelines.simulated.feed import SimulatedWallets

        return SimulatedWallets(self.seed)


# --- news sentiment --------------------------------------------------------------------------------


class NewsDataResource(ConfigurableResource):
    """News articles with per-asset sentiment (``pipelines.feeds.NewsFeed``)."""

    def feed(self, url: DatabaseUrl) -> NewsFeed:
        raise TypeError(f"{type(self).__name__} is the interface: configure AlphaVantageResource or SimulatedNewsResource")


class AlphaVantageResource(NewsDataResource):
    """Alpha Vantage NEWS_SENTIMENT (free tier: 25 calls a day), loading through its dlt source."""

    api_key: str = Field(default="", description="ALPHAVANTAGE_API_KEY")
    base_url: str = Field(default="", description="ALPHAVANTAGE_BASE_URL (default: www.alphavantage.co/query)")
    daily_limit: float = Field(default=0.0, description="ALPHAVANTAGE_DAILY_LIMIT (default 25)")

    def feed(self, url: DatabaseUrl) -> NewsFeed:
        from pipelines.alphavantage.feed import AlphaVantageFeed

        return AlphaVantageFeed(url, api_key=self.api_key, base_url=self.base_url, daily_limit=self.daily_limit)


class SimulatedNewsResource(NewsDataResource):
    seed: int = Field(default=42, description="CRYPTO_RISK_SIM_SEED")

    def feed(self, url: DatabaseUrl) -> NewsFeed:
        from pipelines.simulated.feed import SimulatedNews

        return SimulatedNews(self.seed)


# --- the language model ----------------------------------------------------------------------------


class LanguageModelResource(ConfigurableResource):
    """The OpenAI-compatible model that writes the AI insights (OpenAI, Azure, vLLM, Ollama...).

    ``OPENAI_API_KEY``, ``OPENAI_BASE_URL`` and ``CRYPTO_RISK_LLM_MODEL`` are read when a run builds
    its client (like the provider keys); without a key the deterministic offline engine writes
    every insight. Each run gets one token budget.
    """

    timeout_s: float = Field(default=30.0, description="seconds per model call before it counts as failed")
    max_retries: int = Field(default=3, description="retries with exponential backoff on 429, 5xx and timeouts")
    run_token_budget: int = Field(default=200_000, description="prompt + completion tokens one run may spend")

    def chat(self):
        """The model client, or None without ``OPENAI_API_KEY`` (offline engine)."""
        from assets.insights.llm import ChatModel, LLMSettings

        settings = LLMSettings.from_env(timeout_s=self.timeout_s, max_retries=self.max_retries)
        return None if settings is None else ChatModel(settings)

    def budget(self):
        from assets.insights.llm import TokenBudget

        return TokenBudget(self.run_token_budget)
