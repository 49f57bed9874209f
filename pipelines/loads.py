"""Loads: one feed fetch into the curated tables, the same way for every caller (the Dagster
assets, the benchmarks, scripts). Each load fetches first (network, raw extract), then screens
the points against what is stored, then writes rows and their outbox event in one short
transaction, then lands the raw rows (``pipelines.raw``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from pipelines.alphavantage import ARTICLES, SENTIMENT
from pipelines.coingecko import GLOBAL, POINTS, SNAPSHOTS, TRENDING
from pipelines.errors import ProviderError
from pipelines.etherscan import BALANCES, TRANSACTIONS, by_chain
from pipelines.feeds import MarketFeed, NewsFeed, WalletFeed
from pipelines.prices import POINT_SCHEMA, screen
from pipelines.raw import Harvest
from warehouse import outbox, writes
from warehouse.engine import transaction
from warehouse.queries import assets as asset_queries
from warehouse.queries import news as news_queries
from warehouse.queries import portfolios as portfolio_queries
from warehouse.queries import prices as price_queries
from warehouse.queries import wallets as wallet_queries
from warehouse.queries.assets import Coin
from warehouse.settings import DatabaseUrl

MODES = ("range", "tick", "close")
#: A closed day whose newest stored price is older than this before midnight is fetched again.
CLOSE_TOLERANCE = dt.timedelta(minutes=30)


@dataclass
class PriceLoad:
    """What one price load did, for the run's metadata and its coverage check."""

    source: str
    mode: str
    coins: int
    rows: int = 0
    fetched_coins: int = 0
    missing: dict[str, str] = field(default_factory=dict)  # coingecko id -> why it was skipped
    kept: list[tuple[int, dt.date]] = field(default_factory=list)  # stored (asset, day) left alone
    gaps: list[tuple[int, dt.date]] = field(default_factory=list)  # (asset, day) inside a coin's answer with no price
    quarantined: pl.DataFrame = field(default_factory=lambda: pl.DataFrame())
    load_id: str | None = None
    raw_rows: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.kept and not self.gaps and self.quarantined.height == 0


def _screened(url: DatabaseUrl, harvest: Harvest, start: dt.datetime, jump: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    points = harvest.frame(POINTS, POINT_SCHEMA)
    if points.height == 0:
        return points, points.with_columns(pl.lit(None, pl.String).alias("reason"))
    with transaction(url) as conn:
        before = price_queries.last_before(conn, points["asset_id"].unique().to_list(), start)
    return screen(points, before, jump=jump)


def _incomplete(url: DatabaseUrl, coins: Sequence[Coin], end: dt.datetime) -> list[Coin]:
    """Coins whose day ending at ``end`` has no stored price in its last ``CLOSE_TOLERANCE``."""
    with transaction(url) as conn:
        fresh = {r.asset_id for r in price_queries.latest_in(conn, [c.asset_id for c in coins], end - CLOSE_TOLERANCE, end)}
    return [c for c in coins if c.asset_id not in fresh]


def _gaps(points: pl.DataFrame) -> list[tuple[int, dt.date]]:
    """(asset, day) pairs between an asset's first and last day in ``points`` that have no point."""
    days = points.select("asset_id", pl.col("time").dt.date().alias("day")).unique()
    spans = days.group_by("asset_id").agg(pl.col("day").min().alias("first"), pl.col("day").max().alias("last"))
    full = spans.select("asset_id", pl.date_ranges("first", "last").alias("day")).explode("day")
    missing = full.join(days, on=["asset_id", "day"], how="anti").sort("asset_id", "day")
    return [(a, d) for a, d in missing.iter_rows()]


def load_prices(url: DatabaseUrl, feed: MarketFeed, coins: Sequence[Coin], start: dt.datetime, end: dt.datetime,
                *, mode: str = "range", partition_key: str | None = None,
                jump: float | None = None, at: dt.datetime | None = None) -> PriceLoad:
    """``price_history`` for [start, end).

    ``range`` rewrites each (coin, day) the provider answered for and keeps the rest; ``tick``
    adds the current prices of every coin in one batched call and deletes nothing; ``close``
    fetches a closed day again only for the coins whose last price of it is missing or older
    than ``CLOSE_TOLERANCE`` (the 5-minute ticks usually closed it already). ``at``: the tick's
    time (default now).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    jump = jump or 5.0
    if mode == "close":
        coins = _incomplete(url, coins, end)
    result = PriceLoad(feed.source, mode, len(coins))
    if not coins:
        return result
    fetch = feed.tick(coins, at or dt.datetime.now(dt.UTC)) if mode == "tick" else feed.history(coins, start, end)
    with fetch as harvest:
        accepted, refused = _screened(url, harvest, start, jump)
        accepted = accepted.filter((pl.col("time") >= start) & (pl.col("time") < end))
        result.missing = dict(harvest.skipped)
        result.quarantined = refused
        result.fetched_coins = accepted["asset_id"].n_unique()
        result.gaps = [] if mode == "tick" else _gaps(accepted)
        if accepted.height == 0 and mode != "tick":
            raise ProviderError(feed.source, "prices", "no price in the answer for any coin: nothing stored was "
                                f"changed ({'; '.join(f'{k}: {v}' for k, v in result.missing.items())[:800]})")
        with transaction(url) as conn:
            price_queries.quarantine(conn, refused)
            if mode == "tick":
                result.rows = price_queries.upsert_points(conn, accepted)
            else:
                coverage = price_queries.replace_days(conn, accepted, start, end)
                result.rows, result.kept = coverage.rows, coverage.kept
            outbox.publish(conn, "price_updates", {"type": "price_history", "rows": result.rows, "source": feed.source,
                                                   "start": start.isoformat(), "end": end.isoformat()},
                           partition_key=partition_key)
    result.load_id, result.raw_rows = harvest.load_id, harvest.raw_rows
    return result


@dataclass
class TableLoad:
    source: str
    rows: int = 0
    missing: dict[str, str] = field(default_factory=dict)
    load_id: str | None = None


def load_market_snapshot(url: DatabaseUrl, feed: MarketFeed, coins: Sequence[Coin], at: dt.datetime) -> TableLoad:
    """``market_snapshots`` of the tracked coins (live: the same ``/coins/markets`` answer as the
    price tick, served from the shared cache when the tick ran in the last few minutes)."""
    with feed.tick(coins, at) as harvest:
        snapshot = harvest.frame(SNAPSHOTS, {})
        with transaction(url) as conn:
            rows = writes.upsert_frame(conn, "market_snapshots", snapshot) if snapshot.height else 0
            if snapshot.height:
                asset_queries.update_ranks(conn, dict(zip(snapshot["asset_id"].to_list(),
                                                          snapshot["market_cap_rank"].to_list(), strict=True)))
            outbox.publish(conn, "price_updates", {"type": "market_overview", "assets": snapshot.height,
                                                   "time": at.isoformat()})
    return TableLoad(feed.source, rows, dict(harvest.skipped), harvest.load_id)


def load_table(url: DatabaseUrl, feed: MarketFeed, kind: str, at: dt.datetime) -> TableLoad:
    """``trending_coins`` (kind ``trending``) or ``global_market`` (kind ``global``)."""
    fetch, name = (feed.trending(at), TRENDING) if kind == "trending" else (feed.global_market(at), GLOBAL)
    with fetch as harvest:
        frame = harvest.frame(name, {})
        with transaction(url) as conn:
            rows = writes.upsert_frame(conn, name, frame) if frame.height else 0
            outbox.publish(conn, "price_updates", {"type": kind, "rows": rows, "time": at.isoformat()})
    return TableLoad(feed.source, rows, dict(harvest.skipped), harvest.load_id)


@dataclass
class WalletLoad:
    source: str
    wallets: int
    transactions: int = 0
    balances: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # address -> why
    portfolios: list[tuple[int, int]] = field(default_factory=list)  # (portfolio, owner) of synced wallets
    load_id: str | None = None


def load_wallets(url: DatabaseUrl, feed: WalletFeed, at: dt.datetime) -> WalletLoad:
    """Every linked wallet, each fetched once: new transfers and today's balances, then a
    ``wallets_synced`` event per portfolio (its holdings follow in ``portfolio_holdings``)."""
    with transaction(url) as conn:
        linked = wallet_queries.linked_wallets(conn)
    result = WalletLoad(feed.source, len({(w.chain_id, w.address) for w in linked}))
    if not linked:
        return result
    with feed.sync(linked, at) as harvest:
        transfers = harvest.frame(TRANSACTIONS, {})
        balances = harvest.frame(BALANCES, {})
        result.skipped = dict(harvest.skipped)
        synced = [w for w in linked if w.address not in result.skipped]
        with transaction(url) as conn:
            if transfers.height:
                result.transactions = writes.upsert_frame(conn, "wallet_transactions", transfers)
            if feed.derives_token_balances:
                for chain, addresses in by_chain(synced).items():
                    tokens = wallet_queries.token_balances(conn, chain, addresses, at, feed.source)
                    balances = pl.concat([balances, tokens], how="vertical_relaxed") if balances.height else tokens
            balances = balances.filter(~pl.col("address").is_in(list(result.skipped))) if balances.height else balances
            if balances.height:
                result.balances = writes.upsert_frame(conn, "wallet_balances", balances)
            wallet_queries.mark_synced(conn, [w.id for w in synced], at)
            owners = portfolio_queries.owners(conn, sorted({w.portfolio_id for w in synced}))
            for portfolio_id, user_id in owners:
                outbox.publish(conn, "portfolio_updates", {"type": "wallets_synced", "portfolio_id": portfolio_id},
                               partition_key=str(portfolio_id), user_id=user_id)
            result.portfolios = owners
    result.load_id = harvest.load_id
    return result


@dataclass
class NewsLoad:
    source: str
    articles: int = 0
    sentiment: int = 0
    untracked_symbols: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    load_id: str | None = None


def load_news(url: DatabaseUrl, feed: NewsFeed, symbols: Sequence[str], start: dt.datetime,
              end: dt.datetime) -> NewsLoad:
    """Articles published in [start, end) about ``symbols``, with their per-asset sentiment."""
    with feed.news(symbols, start, end) as harvest:
        articles = harvest.frame(ARTICLES, {})
        sentiment = harvest.frame(SENTIMENT, {})
        wanted = {s.upper() for s in symbols}
        if articles.height:
            articles = articles.filter(pl.col("published_at") < end)
        if sentiment.height:
            sentiment = sentiment.filter(pl.col("published_at") < end, pl.col("symbol").is_in(wanted))
        with transaction(url) as conn:
            n_articles, n_sentiment, untracked = news_queries.write_news(conn, articles, sentiment)
            outbox.publish(conn, "price_updates", {"type": "news_sentiment", "articles": n_articles})
    return NewsLoad(feed.source, n_articles, n_sentiment, untracked, dict(harvest.skipped), harvest.load_id)
