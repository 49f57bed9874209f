"""CoinGecko dlt source (verified-sources layout: source and resources here, client and parsers in
``helpers``, plans and endpoints in ``settings``).

Each resource calls the API, parses and validates the answer into warehouse-shaped frames for
the run's ``Harvest`` (see ``pipelines.raw``), and yields the answer's rows for the ``raw``
dataset (append: every load is kept, with its load id, until the nightly cleanup):

- ``coingecko_market_chart``: ``/coins/{id}/market_chart/range`` points, one call per coin;
- ``coingecko_markets``: ``/coins/markets`` rows of the tracked coins (250 ids a call);
- ``coingecko_trending``, ``coingecko_global``: the trending list and the global totals.

One coin CoinGecko answers with 404, with data that fails validation or with repeated errors is
skipped (``Harvest.skipped`` names it and why) and the others land; a failure of the provider as
a whole (auth, quota, plan limit, breaker open, rate limit that outlasts the retries) raises and
the run writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

import dlt
import msgspec
import polars as pl
import pyarrow as pa
from dlt.extract.resource import DltResource

from pipelines.coingecko import helpers
from pipelines.coingecko import settings as s
from pipelines.coingecko.helpers import CoinGeckoClient
from pipelines.errors import ApiError, CircuitOpen, HistoryLimit, ProviderError, QuotaExhausted, RateLimited
from pipelines.prices import Coin
from pipelines.raw import Harvest

CHART_TABLE = "coingecko_market_chart"
MARKETS_TABLE = "coingecko_markets"
TRENDING_TABLE = "coingecko_trending"
GLOBAL_TABLE = "coingecko_global"

POINTS = "points"  # Harvest frame names
SNAPSHOTS = "market_snapshots"
TRENDING = "trending_coins"
GLOBAL = "global_market"


def coin_level(exc: ProviderError) -> bool:
    """Does this error concern one coin (skip it) rather than the provider (fail the run)?"""
    if isinstance(exc, QuotaExhausted | CircuitOpen | HistoryLimit | RateLimited):
        return False
    if isinstance(exc, ApiError):
        return exc.status_code == 404
    return True  # malformed data for that coin, or errors that outlasted the retries


def _raw_points(points: pl.DataFrame, coin: Coin, fetched_at: dt.datetime) -> pa.Table:
    return points.select(
        pl.lit(coin.coingecko_id).alias("coin_id"), "time", "price", "market_cap",
        pl.col("volume_24h").alias("total_volume"), pl.lit(fetched_at).alias("fetched_at"),
    ).to_arrow()


def _chart(client: CoinGeckoClient, coins: Sequence[Coin], start: dt.datetime, end: dt.datetime,
           harvest: Harvest) -> DltResource:
    @dlt.resource(name="market_chart", table_name=CHART_TABLE, write_disposition="append")
    def market_chart() -> Iterator[pa.Table]:
        """Price, cap and volume points of each coin in [start, end], at the API's granularity."""
        client.check_history(start)
        client.http.require_calls(s.MARKET_CHART_RANGE, len(coins), f"price history of {len(coins)} coin(s)")
        fetched_at = dt.datetime.now(dt.UTC)
        landed = 0
        for coin in coins:
            try:
                chart = client.market_chart_range(coin.coingecko_id, start, end)
            except ProviderError as exc:
                if not coin_level(exc):
                    raise
                harvest.skip(coin.coingecko_id, str(exc))
                continue
            points = helpers.chart_points(chart, coin)
            if points.height == 0:
                harvest.skip(coin.coingecko_id, "empty answer: no price points in the range")
                continue
            harvest.add(POINTS, points)
            landed += 1
            yield _raw_points(points, coin, fetched_at)
        if coins and not landed:
            raise ProviderError(s.PROVIDER, s.MARKET_CHART_RANGE.name,
                                f"no coin could be fetched: {'; '.join(f'{k}: {v}' for k, v in harvest.skipped.items())[:1500]}")

    return market_chart


def _markets(client: CoinGeckoClient, coins: Sequence[Coin], at: dt.datetime, harvest: Harvest) -> DltResource:
    @dlt.resource(name="markets", table_name=MARKETS_TABLE, write_disposition="append")
    def markets() -> Iterator[list[dict]]:
        """The tracked coins' ``/coins/markets`` rows: current price, cap, rank, 24h change."""
        rows: list[helpers.MarketRow] = []
        for page in client.markets([c.coingecko_id for c in coins]):
            rows += page
        snapshot, missing = helpers.market_snapshot(rows, coins, at=at)
        if coins and snapshot.height == 0:
            raise ProviderError(s.PROVIDER, s.COINS_MARKETS.name, "no tracked coin has a price in the answer")
        for coin_id, reason in missing.items():
            harvest.skip(coin_id, reason)
        harvest.add(SNAPSHOTS, snapshot)
        harvest.add(POINTS, helpers.snapshot_points(snapshot))
        yield [{"fetched_at": at, **msgspec.to_builtins(r)} for r in rows]

    return markets


def _trending(client: CoinGeckoClient, at: dt.datetime, harvest: Harvest) -> DltResource:
    @dlt.resource(name="trending", table_name=TRENDING_TABLE, write_disposition="append")
    def trending() -> Iterator[list[dict]]:
        """The trending list as sent, stamped with the minute it was fetched."""
        answer = client.trending()
        harvest.add(TRENDING, helpers.trending_rows(answer, at=at))
        yield [{"fetched_at": at, "rank": i, **msgspec.to_builtins(e.item)} for i, e in enumerate(answer.coins)]

    return trending


def _global(client: CoinGeckoClient, at: dt.datetime, harvest: Harvest) -> DltResource:
    @dlt.resource(name="global", table_name=GLOBAL_TABLE, write_disposition="append", max_table_nesting=0)
    def global_market() -> Iterator[dict]:
        """``/global``'s ``data`` object (per-currency totals kept as JSON)."""
        answer = client.global_market()
        harvest.add(GLOBAL, helpers.global_row(answer))
        yield {"fetched_at": at, **msgspec.to_builtins(answer.data)}

    return global_market


@dlt.source(name="coingecko", max_table_nesting=0)
def coingecko_source(client: CoinGeckoClient, harvest: Harvest, *, coins: Sequence[Coin] = (),
                     history: tuple[dt.datetime, dt.datetime] | None = None, markets: bool = False,
                     trending: bool = False, global_market: bool = False,
                     at: dt.datetime | None = None) -> list[DltResource]:
    """The CoinGecko resources a run asks for: price ``history`` of ``coins`` for (start, end),
    their current ``markets`` rows, the ``trending`` list, the ``global_market`` totals."""
    at = at or dt.datetime.now(dt.UTC)
    resources: list[DltResource] = []
    if history is not None:
        resources.append(_chart(client, coins, *history, harvest))
    if markets:
        resources.append(_markets(client, coins, at, harvest))
    if trending:
        resources.append(_trending(client, at, harvest))
    if global_market:
        resources.append(_global(client, at, harvest))
    return resources


__all__ = ["CoinGeckoClient", "coin_level", "coingecko_source"]
