"""One ConfigurableResource per external system, configured from ``EnvVar`` in ``definitions``.

- ``WarehouseResource``: the PostgreSQL warehouse (``CRYPTO_RISK_DATABASE_URL``).
- ``MarketDataResource``: CoinGecko, or the deterministic simulated market when
  ``CRYPTO_RISK_MARKET_SOURCE=simulated``.
- ``EtherscanResource`` and ``AlphaVantageResource``: on-chain wallets and news sentiment, each
  with the simulated twin selected by the same variable.

Each resource hands out a small client object with one interface and two implementations (live
and simulated); assets call the interface and never know which one they got. Tests swap the
resource's configuration, never the asset. API keys and base URLs are read by the pipelines'
settings classes when a live client is built (at run time, never at import time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import polars as pl
import sqlalchemy as sa
from dagster import ConfigurableResource
from pydantic import Field
from sqlalchemy.engine import Connection

from pipelines import market as market_api
from pipelines import simulated
from pipelines.health import Health
from pipelines.settings import MARKET_SOURCES
from warehouse.engine import get_engine, transaction
from warehouse.settings import ConfigError, DatabaseUrl

SIMULATED = "simulated"


def _check_source(source: str) -> str:
    value = source.strip().lower()
    if value not in MARKET_SOURCES:
        raise ConfigError(f"CRYPTO_RISK_MARKET_SOURCE must be one of {', '.join(MARKET_SOURCES)}, got {source!r}")
    return value


def _simulated_health() -> Health:
    from pipelines.health import probe_simulated

    return probe_simulated()


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

    def symbols(self, conn: Connection) -> list[str]:
        rows = conn.execute(sa.text("SELECT symbol FROM crypto_assets WHERE is_active ORDER BY id")).scalars()
        return list(rows)


# --- market data -----------------------------------------------------------------------------------


class MarketClient(Protocol):
    """What the market assets need from a market data source (frames follow pipelines.contracts)."""

    source: str

    def universe(self, known: Sequence[str]) -> list[str]: ...
    def prices(self, symbols: Sequence[str], start: dt.datetime, end: dt.datetime, interval: str) -> pl.DataFrame: ...
    def markets(self, at: dt.datetime) -> pl.DataFrame: ...
    def trending(self, at: dt.datetime) -> pl.DataFrame: ...
    def global_market(self, at: dt.datetime) -> pl.DataFrame: ...
    def health(self) -> Health: ...


@dataclass(frozen=True)
class SimulatedMarket:
    """The offline market of ``pipelines.simulated``: same seed, same prices, any range."""

    seed: int
    source: str = SIMULATED

    def universe(self, known: Sequence[str]) -> list[str]:
        return [s for s in simulated.SYMBOLS if s in set(known)]

    def prices(self, symbols, start, end, interval):
        return simulated.prices(list(symbols), start, end, interval=interval, seed=self.seed)

    def markets(self, at):
        return simulated.markets(at, seed=self.seed)

    def trending(self, at):
        return simulated.trending(at, seed=self.seed)

    def global_market(self, at):
        return simulated.global_market(at, seed=self.seed)

    def health(self) -> Health:
        return _simulated_health()


class CoinGeckoMarket:
    """The live CoinGecko API through ``pipelines.market`` (rate limit, retry, breaker, shared cache)."""

    source = "coingecko"

    def __init__(self, url: DatabaseUrl) -> None:
        from pipelines.coingecko.helpers import CoinGeckoClient
        from pipelines.http import store_from_env

        self._client = CoinGeckoClient(store=store_from_env(url))

    def universe(self, known):
        from pipelines.market import COINGECKO_IDS

        return [s for s in known if s in COINGECKO_IDS]

    def prices(self, symbols, start, end, interval):
        if interval == "1d":
            return market_api.fetch_prices(self.source, symbols, start, end, interval=interval, client=self._client)
        # Intraday: CoinGecko answers ranges under a day with 5-minute points (the running day).
        from pipelines.coingecko import helpers as cg
        from pipelines.market import coingecko_ids

        frames = [cg.parse_market_chart(self._client.market_chart_range(cid, start, end), symbol)
                  for cid, symbol in coingecko_ids(symbols).items()]
        frame = pl.concat(frames) if frames else pl.DataFrame()
        return frame.filter((pl.col("time") >= start) & (pl.col("time") < end)) if frames else frame

    def markets(self, at):
        return market_api.fetch_markets(self.source, client=self._client)

    def trending(self, at):
        return market_api.fetch_trending(self.source, client=self._client)

    def global_market(self, at):
        return market_api.fetch_global(self.source, client=self._client)

    def health(self) -> Health:
        from pipelines.health import probe_coingecko

        return probe_coingecko(self._client)


class MarketDataResource(ConfigurableResource):
    """Market prices, snapshots, trending and global totals: CoinGecko or the simulated market."""

    source: str = Field(description="coingecko | simulated (CRYPTO_RISK_MARKET_SOURCE)")
    seed: int = Field(default=42, description="seed of the simulated market")

    def client(self, url: DatabaseUrl) -> MarketClient:
        if _check_source(self.source) == SIMULATED:
            return SimulatedMarket(self.seed)
        return CoinGeckoMarket(url)


# --- on-chain --------------------------------------------------------------------------------------


class WalletClient(Protocol):
    source: str

    def balances(self, addresses: Sequence[str], at: dt.datetime) -> pl.DataFrame: ...
    def transactions(self, addresses: Sequence[str], start: dt.datetime, end: dt.datetime) -> pl.DataFrame: ...
    def health(self) -> Health: ...


@dataclass(frozen=True)
class SimulatedWallets:
    seed: int
    source: str = SIMULATED

    def balances(self, addresses, at):
        return simulated.wallet_balances(list(addresses), at, seed=self.seed)

    def transactions(self, addresses, start, end):
        return simulated.wallet_transactions(list(addresses), start, end, seed=self.seed)

    def health(self) -> Health:
        return _simulated_health()


class EtherscanWallets:
    """Etherscan V2 through ``pipelines.market.fetch_wallets``: native and ERC-20 balances, transfers."""

    source = "etherscan"

    def __init__(self, url: DatabaseUrl) -> None:
        from pipelines.etherscan.helpers import EtherscanClient
        from pipelines.http import store_from_env

        self._client = EtherscanClient(store=store_from_env(url))

    def balances(self, addresses, at):
        return market_api.fetch_wallets(addresses, source="coingecko", end=at, client=self._client)[0]

    def transactions(self, addresses, start, end):
        return market_api.fetch_wallets(addresses, source="coingecko", start=start, end=end, client=self._client)[1]

    def health(self) -> Health:
        from pipelines.health import probe_etherscan

        return probe_etherscan(self._client)


class EtherscanResource(ConfigurableResource):
    """Wallet balances and transfers: Etherscan, or simulated wallets with the simulated market."""

    source: str = Field(description="coingecko (live providers) | simulated (CRYPTO_RISK_MARKET_SOURCE)")
    seed: int = 42

    def client(self, url: DatabaseUrl) -> WalletClient:
        if _check_source(self.source) == SIMULATED:
            return SimulatedWallets(self.seed)
        return EtherscanWallets(url)


# --- news sentiment --------------------------------------------------------------------------------


class NewsClient(Protocol):
    source: str

    def news(self, symbols: Sequence[str], start: dt.datetime, end: dt.datetime) -> tuple[pl.DataFrame, pl.DataFrame]: ...
    def health(self) -> Health: ...


@dataclass(frozen=True)
class SimulatedNews:
    seed: int
    source: str = SIMULATED

    def news(self, symbols, start, end):
        known = [s for s in symbols if s in simulated.SYMBOLS]
        return simulated.news(start, end, symbols=known or None, seed=self.seed)

    def health(self) -> Health:
        return _simulated_health()


class AlphaVantageNews:
    """Alpha Vantage NEWS_SENTIMENT through ``pipelines.market.fetch_news`` (one call per run: the
    free tier allows 25 a day)."""

    source = "alphavantage"

    def __init__(self, url: DatabaseUrl) -> None:
        from pipelines.alphavantage.helpers import AlphaVantageClient
        from pipelines.http import store_from_env

        self._client = AlphaVantageClient(store=store_from_env(url))

    def news(self, symbols, start, end):
        return market_api.fetch_news(list(symbols)[:10], start, end, source="coingecko", client=self._client)

    def health(self) -> Health:
        from pipelines.health import probe_alphavantage

        return probe_alphavantage(self._client)


class AlphaVantageResource(ConfigurableResource):
    """News and per-asset sentiment: Alpha Vantage, or simulated headlines with the simulated market."""

    source: str = Field(description="coingecko (live providers) | simulated (CRYPTO_RISK_MARKET_SOURCE)")
    seed: int = 42

    def client(self, url: DatabaseUrl) -> NewsClient:
        if _check_source(self.source) == SIMULATED:
            return SimulatedNews(self.seed)
        return AlphaVantageNews(url)


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
