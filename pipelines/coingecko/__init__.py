"""CoinGecko dlt source (verified-sources layout: source and resources here, client and parsers in
``helpers``, constants and env settings in ``settings``).

Raw tables (dataset ``raw``): ``coingecko_markets`` (every ``/coins/markets`` row as sent),
``coingecko_market_chart`` (``/coins/{id}/market_chart/range`` points, one incremental cursor per
coin), ``coingecko_trending`` and ``coingecko_global``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

import dlt
import polars as pl
from dlt.extract.resource import DltResource
from sqlalchemy.engine import Connection

from pipelines.coingecko import helpers
from pipelines.coingecko import settings as s
from pipelines.coingecko.helpers import CoinGeckoClient
from pipelines.contracts import PriceFrame, validate
from pipelines.parsing import utc
from pipelines.store import Written, write_markets, write_prices, write_table

MARKETS_TABLE = "coingecko_markets"
CHART_TABLE = "coingecko_market_chart"
TRENDING_TABLE = "coingecko_trending"
GLOBAL_TABLE = "coingecko_global"

_CHART_COLUMNS = {
    "time": {"data_type": "timestamp", "nullable": False},
    "price": {"data_type": "double", "nullable": False},
    "market_cap": {"data_type": "double"},
    "total_volume": {"data_type": "double"},
}


def _markets(client: CoinGeckoClient, vs_currency: str, top: int) -> DltResource:
    @dlt.resource(name="markets", table_name=MARKETS_TABLE, write_disposition="merge",
                  primary_key=("id", "last_updated"),
                  columns={"current_price": {"data_type": "double"}, "last_updated": {"data_type": "timestamp"}})
    def markets() -> Iterator[list[dict]]:
        """Top ``top`` coins by market cap, one page (<= 250 rows) at a time."""
        for page in client.markets_pages(vs_currency, top=top):
            yield [{**row, "vs_currency": vs_currency} for row in page]

    return markets


def _chart(client: CoinGeckoClient, coin_id: str, symbol: str, start: dt.datetime, vs_currency: str) -> DltResource:
    def points(
        time: dlt.sources.incremental[dt.datetime] = dlt.sources.incremental("time", initial_value=start),
    ) -> Iterator[list[dict]]:
        """Price, cap and volume points since the last loaded one (the API's range is inclusive)."""
        end = dt.datetime.now(dt.UTC)
        since = time.last_value
        frame = helpers.parse_market_chart(client.market_chart_range(coin_id, since, end, vs_currency), symbol)
        # The range includes its start: after the first run that point is already loaded.
        frame = frame.filter(pl.col("time") >= since if since == start else pl.col("time") > since)
        yield [
            {"coin_id": coin_id, "symbol": row["symbol"], "vs_currency": vs_currency, "time": row["time"],
             "price": row["price"], "market_cap": row["market_cap"], "total_volume": row["volume_24h"]}
            for row in frame.iter_rows(named=True)
        ]

    return dlt.resource(points, name=f"market_chart_{coin_id.replace('-', '_')}", table_name=CHART_TABLE,
                        write_disposition="merge", primary_key=("coin_id", "vs_currency", "time"),
                        columns=_CHART_COLUMNS)


def _trending(client: CoinGeckoClient) -> DltResource:
    @dlt.resource(name="trending", table_name=TRENDING_TABLE, write_disposition="merge",
                  primary_key=("fetched_at", "rank"))
    def trending() -> Iterator[list[dict]]:
        """The trending list as sent, stamped with the minute it was fetched."""
        data = client.trending()
        at = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
        yield [{"fetched_at": at, "rank": i, **entry.get("item", {})} for i, entry in enumerate(data.get("coins", []))]

    return trending


def _global(client: CoinGeckoClient) -> DltResource:
    @dlt.resource(name="global", table_name=GLOBAL_TABLE, write_disposition="merge", primary_key="updated_at",
                  max_table_nesting=0)
    def global_market() -> Iterator[dict]:
        """``/global``'s ``data`` object (per-currency totals kept as JSON)."""
        yield client.global_market().get("data", {})

    return global_market


@dlt.source(name="coingecko", max_table_nesting=0)
def coingecko_source(client: CoinGeckoClient, coins: Mapping[str, str], start: dt.datetime,
                     vs_currency: str = "usd", top: int = 100, history: bool = True) -> list[DltResource]:
    """CoinGecko markets (top ``top``), price history for ``coins`` (id -> symbol) since ``start``,
    trending and global totals."""
    resources = [_markets(client, vs_currency, top), _trending(client), _global(client)]
    if history:
        resources += [_chart(client, cid, sym, utc(start), vs_currency) for cid, sym in coins.items()]
    return resources


def curate(conn: Connection, records: dict[str, list[dict]]) -> list[Written]:
    """Raw CoinGecko records -> validated frames -> warehouse upserts."""
    written: list[Written] = []
    markets = [r for r in records.get(MARKETS_TABLE, []) if r.get("vs_currency") == "usd"]
    if markets:
        written += write_markets(conn, helpers.parse_markets(markets))
    chart = records.get(CHART_TABLE, [])
    if chart:
        frame = pl.DataFrame(chart).select(
            "symbol", "time", "price", "market_cap", pl.col("total_volume").alias("volume_24h"),
            pl.lit(helpers.SOURCE).alias("source"))
        written.append(write_prices(conn, validate(frame, PriceFrame, provider=s.PROVIDER,
                                                   endpoint=s.MARKET_CHART_RANGE.name)))
    if records.get(TRENDING_TABLE):
        rows = records[TRENDING_TABLE]
        frame = helpers.parse_trending({"coins": [{"item": r} for r in rows]}, at=rows[0]["fetched_at"])
        written.append(write_table(conn, "trending_coins", frame))
    if records.get(GLOBAL_TABLE):
        written.append(write_table(conn, "global_market", helpers.parse_global({"data": records[GLOBAL_TABLE][0]})))
    return written


__all__ = ["CoinGeckoClient", "coingecko_source", "curate"]
