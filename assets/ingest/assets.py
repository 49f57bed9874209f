"""Price ingestion: ``price_history``, the daily-partitioned source of every risk number."""


import datetime as dt

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    MaterializeResult,
    asset,
)
from pydantic import Field

from assets.partitions import CRYPTO_DATA, daily_partitions, single_run
from assets.resources import MarketDataResource, WarehouseResource
from pipelines import loads
from warehouse import timescale
from warehouse.queries.assets import tracked_coins

COVERAGE_CHECK = "price_history_coverage"


class PriceHistoryConfig(Config):
    mode: str = Field(default="range", description=(
        "range: rewrite the window's days from the provider (backfills); tick: add every coin's current "
        "price in one batched call (the 5-minute schedule; deletes nothing); close: fetch the day that "
        "closed again only for coins whose last price of it is missing or older than 30 minutes"))
    max_jump: float = Field(default=5.0, gt=1.0, description=(
        "a point more than this many times above or below both neighbours is quarantined, not stored"))


@asset(
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    pool=CRYPTO_DATA,
    group_name="ingest",
    kinds={"postgres", "polars", "dlt"},
    tags={"domain": "ingest"},
    check_specs=[AssetCheckSpec(COVERAGE_CHECK, asset="price_history", description=(
        "every tracked coin answered and every stored day was covered; lists skipped coins, kept days "
        "and quarantined points"))],
)
def price_history(
    context: AssetExecutionContext, config: PriceHistoryConfig, warehouse: WarehouseResource, market: MarketDataResource
) -> MaterializeResult:
    """USD prices, market caps and 24h volumes per tracked coin (table ``price_history``).

    One partition is one UTC day. Day D's close is the last price of D: a provider point stamped
    exactly 00:00 UTC (CoinGecko's daily points) is the close of the day before and is stored at
    23:59:59.999999 of that day; other points keep their own time; the running day's newest row
    is its latest price. A backfill of any range is one run; a rewrite replaces only the (coin,
    day) pairs the provider answered for, so a coin that failed or came back empty keeps its
    stored days (listed by the coverage check). Provider answers land in the ``raw`` dataset
    (dlt, one load id per run). The candles analysts read (``price_ohlcv_1h``, ``price_ohlcv_1d``)
    and the monthly close series the risk engine reads (``price_closes_1mo``) are refreshed for
    the rewritten days; today is computed on read.
    """
    start, end = context.partition_time_window
    with warehouse.transaction() as conn:
        coins = tracked_coins(conn)
    load = loads.load_prices(warehouse.url, market.feed(warehouse.url), coins, start, end, mode=config.mode,
                             partition_key=context.partition_key_range.start, jump=config.max_jump)
    if load.rows:
        with warehouse.autocommit() as conn:
            timescale.refresh_rollups(conn, start, min(end, dt.datetime.now(dt.UTC) + dt.timedelta(days=1)))
    return MaterializeResult(
        metadata={"rows": load.rows, "window": f"[{start.isoformat()}, {end.isoformat()})", "coins": load.coins,
                  "coins_fetched": load.fetched_coins, "source": load.source, "mode": load.mode,
                  "raw_load_id": load.load_id or "none", "skipped_coins": len(load.missing)},
        check_results=[coverage_result(load)],
    )


def coverage_result(load: loads.PriceLoad) -> AssetCheckResult:
    """WARN when a coin was skipped, a stored day kept or a point quarantined; the rest landed."""
    quarantined = load.quarantined.head(20).select("asset_id", "time", "price", "reason").to_dicts() \
        if load.quarantined.height else []
    return AssetCheckResult(
        check_name=COVERAGE_CHECK,
        passed=load.complete,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "skipped_coins": "; ".join(f"{k}: {v}" for k, v in sorted(load.missing.items()))[:4000] or "none",
            "kept_days": ", ".join(f"{a}@{d}" for a, d in load.kept[:200]) or "none",
            "gaps": ", ".join(f"{a}@{d}" for a, d in load.gaps[:200]) or "none",
            "quarantined": str([{**q, "time": q["time"].isoformat()} for q in quarantined]) if quarantined else "none",
        },
    )
