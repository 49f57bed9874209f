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
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import polars as pl
import sqlalchemy as sa
from dagster import ConfigurableResource
from pydantic import Field
from sqlalchemy.engine import Connection

from pipelines import simulated
from pipelines.settings import MARKET_SOURCES
from warehouse.engine import get_engine, transaction
from warehouse.settings import ConfigError, DatabaseUrl

SIMULATED = "simulated"


def _check_source(source: str) -> str:
    value = source.strip().lower()
    if value not in MARKET_SOURCES:
        raise ConfigError(f"CRYPTO_RISK_MARKET_SOURCE must be one of {', '.join(MARKET_SOURCES)}, got {source!r}")
    return value


@dataclass(frozen=True)
class Health:
    """One provider probe, as stored in ``provider_health``."""

    provider: str
    ok: bool
    latency_ms: float
    status_code: int | None = None
    error: str | None = None


def _probe(provider: str, call) -> Health:
    started = time.perf_counter()
    try:
        call()
    except Exception as exc:  # a probe reports any failure as data, it never raises
        return Health(provider, False, (time.perf_counter() - started) * 1000, getattr(exc, "status_code", None),
                      f"{type(exc).__name__}: {exc}"[:500])
    return Health(provider, True, (time.perf_counter() - started) * 1000, 200)


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
        return _probe(SIMULATED, lambda: simulated.markets(None, symbols=["BTC"], seed=self.seed))


class CoinGeckoMarket:
    """The live CoinGecko API through the pipelines' resilient client (rate limit, retry, cache)."""

    source = "coingecko"

    def __init__(self, url: DatabaseUrl, coin_ids: dict[str, str]) -> None:
        from pipelines.coingecko.helpers import CoinGeckoClient
        from pipelines.http.state import store_from_env

        self._ids = coin_ids
        self._client = CoinGeckoClient(store=store_from_env(url))

    def universe(self, known):
        return [s for s in known if s in self._ids]

    def prices(self, symbols, start, end, interval):
        from pipelines.coingecko import helpers

        frames = [
            helpers.parse_market_chart(self._client.market_chart_range(self._ids[s], start, end), s) for s in symbols
        ]
        frame = pl.concat(frames) if frames else pl.DataFrame()
        frame = frame.filter((pl.col("time") >= start) & (pl.col("time") < end)) if frames else frame
        return helpers.daily_close(frame) if interval == "1d" and frames else frame

    def markets(self, at):
        from pipelines.coingecko import helpers

        rows = [row for page in self._client.markets_pages("usd", top=100) for row in page]
        return helpers.parse_markets(rows)

    def trending(self, at):
        from pipelines.coingecko import helpers

        return helpers.parse_trending(self._client.trending(), at=at.replace(second=0, microsecond=0))

    def global_market(self, at):
        from pipelines.coingecko import helpers

        return helpers.parse_global(self._client.global_market())

    def health(self) -> Health:
        return _probe(self.source, self._client.ping)


class MarketDataResource(ConfigurableResource):
    """Market prices, snapshots, trending and global totals: CoinGecko or the simulated market."""

    source: str = Field(description="coingecko | simulated (CRYPTO_RISK_MARKET_SOURCE)")
    seed: int = Field(default=42, description="seed of the simulated market")

    def client(self, url: DatabaseUrl) -> MarketClient:
        if _check_source(self.source) == SIMULATED:
            return SimulatedMarket(self.seed)
        with transaction(url) as conn:
            ids = dict(conn.execute(sa.text("SELECT symbol, coingecko_id FROM crypto_assets WHERE is_active")).all())
        return CoinGeckoMarket(url, ids)


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
        return _probe("etherscan-simulated", lambda: simulated.wallet_address(self.seed, 0))


class EtherscanWallets:
    """Etherscan V2: native balances (balancemulti), normal and ERC-20 transfers, token balances."""

    source = "etherscan"

    def __init__(self, url: DatabaseUrl) -> None:
        from pipelines.etherscan.helpers import EtherscanClient
        from pipelines.http.state import store_from_env

        self._client = EtherscanClient(store=store_from_env(url))

    def balances(self, addresses, at):
        from pipelines.etherscan import helpers

        native = helpers.parse_balances(self._client.balances(list(addresses)), at=at)
        transfers = self.transactions(addresses, dt.datetime(2015, 7, 30, tzinfo=dt.UTC), at)
        tokens = helpers.token_balances(transfers.filter(pl.col("kind") == "erc20"), at=at)
        return pl.concat([native, tokens], how="diagonal_relaxed").select(native.columns)

    def transactions(self, addresses, start, end):
        from pipelines.etherscan import helpers

        frames = []
        for address in addresses:
            for page in self._client.transactions(address):
                frames.append(helpers.parse_transactions(page, address, "normal"))
            for page in self._client.token_transfers(address):
                frames.append(helpers.parse_transactions(page, address, "erc20"))
        if not frames:
            return simulated.wallet_transactions([], start, end)
        frame = pl.concat(frames, how="diagonal_relaxed")
        return frame.filter((pl.col("time") >= start) & (pl.col("time") < end)).unique(
            ["chain_id", "address", "tx_hash", "kind", "log_index"], keep="first"
        )

    def health(self) -> Health:
        return _probe(self.source, lambda: self._client.ethprice(use_cache=False))


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
        return _probe("alphavantage-simulated", lambda: None)


class AlphaVantageNews:
    """Alpha Vantage NEWS_SENTIMENT (25 calls a day on the free tier: one call per run)."""

    source = "alphavantage"

    def __init__(self, url: DatabaseUrl) -> None:
        from pipelines.alphavantage.helpers import AlphaVantageClient
        from pipelines.http.state import store_from_env

        self._client = AlphaVantageClient(store=store_from_env(url))

    def news(self, symbols, start, end):
        from pipelines.alphavantage import helpers

        tickers = [f"CRYPTO:{s}" for s in symbols[:10]]
        return helpers.parse_news(self._client.news_sentiment(tickers, time_from=start))

    def health(self) -> Health:
        # The daily budget is too small to spend on probes: a cached exchange rate answers the question.
        return _probe(self.source, lambda: self._client.exchange_rate("BTC", "USD"))


class AlphaVantageResource(ConfigurableResource):
    """News and per-asset sentiment: Alpha Vantage, or simulated headlines with the simulated market."""

    source: str = Field(description="coingecko (live providers) | simulated (CRYPTO_RISK_MARKET_SOURCE)")
    seed: int = 42

    def client(self, url: DatabaseUrl) -> NewsClient:
        if _check_source(self.source) == SIMULATED:
            return SimulatedNews(self.seed)
        return AlphaVantageNews(url)
