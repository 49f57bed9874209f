"""Reports: the date-partitioned Parquet export of the time-series tables for analysts, and the
weekly HTML report of each portfolio for its owner."""

import datetime as dt
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, WeeklyPartitionsDefinition, asset
from pydantic import Field

from assets.partitions import MAINTENANCE, daily_partitions, single_run
from assets.reports.weekly import render_weekly_report
from assets.resources import MarketDataResource, WarehouseResource
from warehouse import outbox
from warehouse.export import EXPORTABLE, export_tables
from warehouse.queries import reports
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


weekly_partitions = WeeklyPartitionsDefinition(start_date="2022-01-03", day_offset=1, timezone="UTC")


@asset(partitions_def=weekly_partitions, deps=[AssetKey("portfolio_risk_metrics"), AssetKey("ai_insights")], pool=MAINTENANCE,
       group_name="reports", kinds={"html", "postgres"}, tags={"domain": "reports"})
def weekly_reports(context: AssetExecutionContext, warehouse: WarehouseResource, market: MarketDataResource) -> MaterializeResult:
    """One self-contained HTML report per portfolio with holdings for the week (Monday to Sunday,
    UTC): value, drawdown, volatility, allocation, risk contributions, stress results, insights.
    Stored in ``reports`` (replaced when the week is rerun), listed and downloaded through the API."""
    start = dt.date.fromisoformat(context.partition_key)
    end = start + dt.timedelta(days=6)
    built = []
    with warehouse.transaction() as conn:
        for pid in reports.portfolios_with_holdings(conn):
            inputs = reports.report_inputs(conn, pid, start, end)
            html = render_weekly_report(inputs, dt.datetime.now(dt.UTC), simulated=market.source == "simulated")
            rid = reports.store_report(conn, pid, start, end, html)
            outbox.publish(conn, "portfolio_updates", {"type": "report", "portfolio_id": pid, "report_id": rid},
                           partition_key=str(pid), user_id=inputs["portfolio"]["user_id"])
            built.append(pid)
    return MaterializeResult(metadata={"reports": len(built), "week": f"[{start}, {end}]", "portfolios": str(built)})
