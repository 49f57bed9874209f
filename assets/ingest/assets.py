"""Price ingestion: ``price_history``, the daily-partitioned source of every risk number."""


import datetime as dt

import polars as pl
from dagster import AssetExecutionContext, Config, MaterializeResult, asset
from pydantic import Field

from assets.partitions import CRYPTO_DATA, daily_partitions, single_run
from assets.resources import MarketDataResource, WarehouseResource
from warehouse import outbox, timescale, writes

INTERVALS = ("1d", "1h", "5m")


class PriceHistoryConfig(Config):
    interval: str = Field(default="1d", description="1d for backfills; 5m keeps today's partition live")


@asset(
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    pool=CRYPTO_DATA,
    group_name="ingest",
    kinds={"postgres", "polars"},
    tags={"domain": "ingest"},
)
def price_history(
    context: AssetExecutionContext, config: PriceHistoryConfig, warehouse: WarehouseResource, market: MarketDataResource
) -> MaterializeResult:
    """USD prices, market caps and 24h volumes per tracked asset (table ``price_history``).

    One partition is one UTC day; a backfill of any range runs as one run and rewrites its days
    whole (rerunning a day yields the same rows). Daily points hold the day's close; the 5-minute
    schedule keeps today's partition at 5-minute resolution. The candles analysts read
    (``price_ohlcv_1h``, ``price_ohlcv_1d``) and the monthly close series the risk engine reads
    (``price_closes_1mo``) are refreshed for the rewritten days; today is computed on read.
    """
    if config.interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}, got {config.interval!r}")
    start, end = context.partition_time_window
    client = market.client(warehouse.url)
    with warehouse.transaction() as conn:
        symbols = client.universe(warehouse.symbols(conn))
        frame = client.prices(symbols, start, end, config.interval)
        rows = writes.replace_window(
            conn, "price_history", writes.with_asset_ids(conn, frame, "price_history").select(
                "asset_id", "time", "price", "market_cap", "volume_24h", "source"),
            start=start, end=end,
        )
        outbox.publish(conn, "price_updates", {"type": "price_history", "rows": rows, "source": client.source,
                                               "start": start.isoformat(), "end": end.isoformat()},
                       partition_key=context.partition_key_range.start)
    with warehouse.autocommit() as conn:
        timescale.refresh_rollups(conn, start, min(end, dt.datetime.now(dt.UTC) + dt.timedelta(days=1)))
    return MaterializeResult(metadata={
        "rows": rows, "window": f"[{start.isoformat()}, {end.isoformat()})", "assets": len(symbols),
        "nulls": int(frame.select(pl.col("market_cap", "volume_24h").null_count()).sum_horizontal()[0]) if rows else 0,
        "source": client.source, "interval": config.interval,
    })
