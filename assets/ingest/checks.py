"""Checks on ``price_history``: the written partition satisfies its contract (blocking: risk
would be computed from bad prices), every asset is priced on every day, and prices are fresh."""


import datetime as dt

import pandera.polars as pa
import polars as pl
import sqlalchemy as sa
from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, asset_check
from pandera.engines.polars_engine import DateTime

from assets.checks_support import pandera_result, read_window
from assets.ingest.assets import price_history
from assets.partitions import daily_partitions
from assets.resources import WarehouseResource

FRESHNESS = dt.timedelta(minutes=15)


class PriceRows(pa.DataFrameModel):
    """Stored prices: positive and finite, caps and volumes non-negative, a known source."""

    asset_id: pl.Int32 = pa.Field(gt=0, coerce=True)
    time: DateTime = pa.Field(dtype_kwargs={"time_unit": "us", "time_zone": "UTC"}, coerce=True)
    price: pl.Float64 = pa.Field(gt=0, lt=float("inf"))
    market_cap: pl.Float64 = pa.Field(ge=0, lt=float("inf"), nullable=True)
    volume_24h: pl.Float64 = pa.Field(ge=0, lt=float("inf"), nullable=True)
    source: pl.String = pa.Field(isin=["coingecko", "simulated", "alphavantage", "import"])

    class Config:
        unique = ["asset_id", "time"]


@asset_check(asset=price_history, partitions_def=daily_partitions, blocking=True)
def price_history_valid(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
    """The partition's stored rows pass the price contract, and no day is missing an asset that
    other days of the same run have (a gap would make the risk engine drop the asset)."""
    start, end = context.partition_time_window
    with warehouse.transaction() as conn:
        frame = read_window(conn, "price_history", start, end, list(PriceRows.to_schema().columns))
    result = pandera_result(PriceRows, frame, window=f"[{start.isoformat()}, {end.isoformat()})")
    if not result.passed or frame.height == 0:
        return result
    per_day = frame.group_by(pl.col("time").dt.date()).agg(pl.col("asset_id").n_unique().alias("assets"))
    fewest, most = per_day["assets"].min(), per_day["assets"].max()
    return AssetCheckResult(
        passed=fewest == most,
        severity=AssetCheckSeverity.ERROR,
        metadata={**result.metadata, "days": per_day.height, "assets_min": fewest, "assets_max": most},
    )


@asset_check(asset=price_history)
def price_history_fresh(warehouse: WarehouseResource) -> AssetCheckResult:
    """While the 5-minute price schedule runs, the newest price is at most 15 minutes old."""
    with warehouse.transaction() as conn:
        newest = conn.execute(sa.text("SELECT max(time) FROM price_history")).scalar()
    age = None if newest is None else (dt.datetime.now(dt.UTC) - newest).total_seconds()
    return AssetCheckResult(
        passed=age is not None and age <= FRESHNESS.total_seconds(),
        severity=AssetCheckSeverity.WARN,
        metadata={"newest": str(newest), "age_s": age if age is not None else -1.0, "limit_s": FRESHNESS.total_seconds()},
    )
