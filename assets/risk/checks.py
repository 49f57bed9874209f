"""Checks on the risk tables, blocking: alerts, the API and portfolio risk read these numbers."""

import pandera.polars as pa
import polars as pl
import sqlalchemy as sa
from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, asset_check

from assets.checks_support import pandera_result, read_window
from assets.partitions import daily_partitions
from assets.resources import WarehouseResource
from assets.risk.assets import asset_risk_metrics, portfolio_risk_metrics
from assets.risk.rows import METRIC_COLUMNS

_VOL = {"ge": 0, "lt": float("inf"), "nullable": True}
_LOSS = {"ge": -1, "le": 1, "nullable": True}
_DRAWDOWN = {"ge": -1, "le": 0, "nullable": True}


class _Metrics(pa.DataFrameModel):
    volatility_30d: pl.Float64 = pa.Field(**_VOL)
    volatility_90d: pl.Float64 = pa.Field(**_VOL)
    volatility_365d: pl.Float64 = pa.Field(**_VOL)
    max_drawdown: pl.Float64 = pa.Field(**_DRAWDOWN)
    current_drawdown: pl.Float64 = pa.Field(**_DRAWDOWN)
    var_95: pl.Float64 = pa.Field(**_LOSS)
    var_99: pl.Float64 = pa.Field(**_LOSS)
    es_95: pl.Float64 = pa.Field(**_LOSS)
    es_99: pl.Float64 = pa.Field(**_LOSS)

    @pa.dataframe_check(name="es_at_least_var")
    def es_at_least_var(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("es_95") >= pl.col("var_95") - 1e-12).fill_null(True))


class AssetRiskRows(_Metrics):
    asset_id: pl.Int32 = pa.Field(gt=0, coerce=True)

    class Config:
        unique = ["asset_id", "time"]
        coerce = True


class PortfolioRiskRows(_Metrics):
    portfolio_id: pl.Int64 = pa.Field(gt=0, coerce=True)
    hhi: pl.Float64 = pa.Field(gt=0, le=1, nullable=True)
    risk_score: pl.Float64 = pa.Field(ge=1, le=10, nullable=True)

    class Config:
        unique = ["portfolio_id", "time"]
        coerce = True


_UNEXPLAINED = """
    SELECT count(*) FROM {table}, unnest(CAST(:cols AS text[])) AS c(name)
    WHERE time >= :s AND time < :e AND to_jsonb({table}) ->> c.name IS NULL AND NOT null_reasons ? c.name
"""


def _check(context, warehouse: WarehouseResource, table: str, model, key: str) -> AssetCheckResult:
    start, end = context.partition_time_window
    columns = [key, "time", *METRIC_COLUMNS] + (["hhi", "risk_score"] if table == "portfolio_risk_metrics" else [])
    with warehouse.transaction() as conn:
        frame = read_window(conn, table, start, end, columns)
        unexplained = conn.execute(sa.text(_UNEXPLAINED.format(table=table)),
                                   {"cols": list(METRIC_COLUMNS), "s": start, "e": end}).scalar_one()
    result = pandera_result(model, frame.with_columns(pl.col(list(METRIC_COLUMNS)).cast(pl.Float64)), min_rows=0,
                            window=f"[{start.isoformat()}, {end.isoformat()})")
    if not result.passed:
        return result
    return AssetCheckResult(passed=unexplained == 0, severity=AssetCheckSeverity.ERROR,
                            metadata={**result.metadata, "nulls_without_reason": unexplained})


@asset_check(asset=asset_risk_metrics, partitions_def=daily_partitions, blocking=True)
def asset_risk_metrics_valid(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
    """Metrics in their ranges (volatility >= 0, drawdowns in [-1, 0], ES >= VaR) and every null explained."""
    return _check(context, warehouse, "risk_metrics", AssetRiskRows, "asset_id")


@asset_check(asset=portfolio_risk_metrics, partitions_def=daily_partitions, blocking=True)
def portfolio_risk_metrics_valid(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
    """Metrics in range, score in [1, 10], HHI in (0, 1], every null explained."""
    return _check(context, warehouse, "portfolio_risk_metrics", PortfolioRiskRows, "portfolio_id")
