"""Reports for analysts: the date-partitioned Parquet export of the time-series tables."""

import datetime as dt
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, asset
from pydantic import Field

from assets.partitions import MAINTENANCE, daily_partitions, single_run
from assets.resources import WarehouseResource
from warehouse.export import EXPORTABLE, export_tables
from warehouse.settings import home_dir


class ExportConfig(Config):
    out_dir: str = Field(default="", description="export folder (default: CRYPTO_RISK_HOME/exports)")


@asset(partitions_def=daily_partitions, backfill_policy=single_run,
       deps=[AssetKey("price_history"), AssetKey("asset_risk_metrics"), AssetKey("portfolio_risk_metrics")],
       pool=MAINTENANCE, group_name="reports", kinds={"parquet"}, tags={"domain": "reports"})
def warehouse_export(context: AssetExecutionContext, config: ExportConfig, warehouse: WarehouseResource) -> MaterializeResult:
    """Hive-partitioned Parquet (``<table>/date=YYYY-MM-DD/``) of prices, asset and portfolio risk
    from the partition's first day on, for DuckDB or Polars; each exported day is replaced whole."""
    start, end = context.partition_time_window
    out = Path(config.out_dir) if config.out_dir else home_dir() / "exports"
    counts = export_tables(warehouse.url, out, EXPORTABLE, since=start.date())
    return MaterializeResult(metadata={"rows": sum(counts.values()), "window": f"[{start.date()}, {end.date()})",
                                       "nulls": 0, "source": "warehouse", "path": str(out),
                                       **{f"rows_{t}": n for t, n in counts.items()}, "exported_at": dt.datetime.now(dt.UTC).isoformat()})
