"""Market-wide views: the top-coin snapshot with global totals, and the trending list."""

import datetime as dt

from dagster import MaterializeResult, asset

from assets.partitions import MARKET_DATA
from assets.resources import MarketDataResource, WarehouseResource
from pipelines.store import write_markets, write_table
from warehouse import outbox


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@asset(pool=MARKET_DATA, group_name="market", kinds={"postgres"}, tags={"domain": "market"})
def market_overview(warehouse: WarehouseResource, market: MarketDataResource) -> MaterializeResult:
    """Top coins by market cap (price, cap, rank, 24h change, supply, ATH) in ``market_snapshots``,
    global totals and dominance in ``global_market``; new coins join ``crypto_assets``.

    Snapshots are keyed by (asset, time): re-running at the same instant rewrites nothing.
    """
    client = market.client(warehouse.url)
    at = _now()
    snapshot, totals = client.markets(at), client.global_market(at)
    with warehouse.transaction() as conn:
        written = write_markets(conn, snapshot)
        totals_written = write_table(conn, "global_market", totals)
        outbox.publish(conn, "price_updates", {"type": "market_overview", "assets": snapshot.height,
                                               "time": snapshot["time"].max().isoformat()})
    skipped = sorted({s for w in written for s in w.skipped_symbols})
    return MaterializeResult(metadata={
        "rows": sum(w.rows for w in written) + totals_written.rows, "window": snapshot["time"].max().isoformat(),
        "nulls": int(snapshot.null_count().sum_horizontal()[0]), "source": client.source,
        "skipped_symbols": ", ".join(skipped) or "none",
    })


@asset(pool=MARKET_DATA, group_name="market", kinds={"postgres"}, tags={"domain": "market"})
def trending_coins(warehouse: WarehouseResource, market: MarketDataResource) -> MaterializeResult:
    """The trending list (rank, coin, price in BTC) in ``trending_coins``, one list per fetch time."""
    client = market.client(warehouse.url)
    frame = client.trending(_now())
    with warehouse.transaction() as conn:
        written = write_table(conn, "trending_coins", frame)
        outbox.publish(conn, "price_updates", {"type": "trending", "coins": frame["symbol"].to_list()[:20]})
    return MaterializeResult(metadata={
        "rows": written.rows, "window": str(frame["time"].max()) if frame.height else "empty",
        "nulls": int(frame.null_count().sum_horizontal()[0]), "source": client.source,
    })
