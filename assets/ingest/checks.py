"""Checks on ``price_history``: the written partition satisfies the table's contract (blocking:
risk would be computed from bad prices) and prices are fresh. Coverage (skipped coins, kept days,
quarantined points) is reported by the asset itself, from the load, before it returns."""


import datetime as dt

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, asset_check

from assets.checks_support import pandera_result, read_window
from assets.ingest.assets import price_history
from assets.partitions import daily_partitions
from assets.resources import WarehouseResource
from warehouse.contracts import PriceHistoryFrame
from warehouse.queries.prices import newest_time

FRESHNESS = dt.timedelta(minutes=15)
_COLUMNS = ["asset_id", "time", "price", "market_cap", "volume_24h", "source"]


@asset_check(asset=price_history, partitions_def=daily_partitions, blocking=True)
def price_history_valid(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
    """The partition's stored rows pass ``price_history``'s contract (the writer's own)."""
    start, end = context.partition_time_window
    with warehouse.transaction() as conn:
        frame = read_window(conn, "price_history", start, end, _COLUMNS)
    return pandera_result(PriceHistoryFrame, frame, window=f"[{start.isoformat()}, {end.isoformat()})")


@asset_check(asset=price_history)
def price_history_fresh(warehouse: WarehouseResource) -> AssetCheckResult:
    """While the price tick runs, the newest price is at most 15 minutes old (on plans whose
    quota stretches the tick, up to the tick's cadence plus 5 minutes)."""
    with warehouse.transaction() as conn:
        newest = newest_time(conn)
    age = None if newest is None else (dt.datetime.now(dt.UTC) - newest).total_seconds()
    return AssetCheckResult(
        passed=age is not None and age <= FRESHNESS.total_seconds(),
        severity=AssetCheckSeverity.WARN,
        metadata={"newest": str(newest), "age_s": age if age is not None else -1.0, "limit_s": FRESHNESS.total_seconds()},
    )
