"""Risk: per-asset metrics, portfolio metrics (score, contributions, stress, backtest) and
correlations, one daily partition per as-of day. The math is ``assets.metrics``; shaping is
``assets.risk.rows``; these functions read, call, write and report."""

import datetime as dt

import polars as pl
from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, asset
from pydantic import Field

from assets.metrics import correlation_matrix as pearson
from assets.metrics.returns import simple_returns
from assets.partitions import CRYPTO_DATA, daily_partitions, single_run
from assets.resources import WarehouseResource
from assets.risk import rows
from warehouse import outbox, writes
from warehouse.queries import batch
from warehouse.queries.prices import daily_closes

DAY = dt.timedelta(days=1)
#: Stored history the portfolio engine sees per as-of day (historical stress windows, backtests).
PORTFOLIO_HISTORY = dt.timedelta(days=3 * 365)


class RiskConfig(Config):
    window: int = Field(default=365, description="trailing daily returns of every window metric")


class PortfolioRiskConfig(RiskConfig):
    portfolio_ids: list[int] = Field(default=[], description="recompute only these portfolios (empty: all)")


def _days(context: AssetExecutionContext) -> list[dt.datetime]:
    start, end = context.partition_time_window
    return [start + i * DAY for i in range((end - start) // DAY)]


def _closes(conn, history: dt.timedelta, start: dt.datetime, end: dt.datetime):
    assets = batch.asset_table(conn)
    closes = daily_closes(conn, assets["asset_id"].to_list(), start - history, end)
    return closes, dict(zip(assets["asset_id"].to_list(), assets["symbol"].to_list(), strict=True))


def _window_meta(days: list[dt.datetime], frame: pl.DataFrame, skipped: dict) -> dict:
    nulls = int(frame.select(pl.col(list(rows.METRIC_COLUMNS)).null_count()).sum_horizontal()[0]) if frame.height else 0
    return {"rows": frame.height, "window": f"[{days[0].date()}, {days[-1].date()}]", "nulls": nulls,
            "skipped": str(skipped)[:2000] or "none", "source": "price_closes_1mo (daily closes of price_ohlcv_1d)"}


@asset(partitions_def=daily_partitions, backfill_policy=single_run, deps=[AssetKey("price_history")],
       pool=CRYPTO_DATA, group_name="risk", kinds={"postgres", "numpy"}, tags={"domain": "risk"})
def asset_risk_metrics(context: AssetExecutionContext, config: RiskConfig, warehouse: WarehouseResource) -> MaterializeResult:
    """Per asset and as-of day (``risk_metrics``): 30/90/365-day annualized volatility, Sharpe,
    Sortino, max and current drawdown, historical/parametric/Cornish-Fisher VaR, ES, betas to BTC
    and to the market, over the trailing ``window`` daily returns. Nulls carry their reason."""
    days = _days(context)
    with warehouse.transaction() as conn:
        closes, symbols = _closes(conn, (config.window + 1) * DAY, days[0], days[-1] + DAY)
        frames, skipped = [], {}
        for day in days:
            u = rows.universe(closes.filter(pl.col("time") > day - (config.window + 1) * DAY), symbols, day.date())
            if u is not None:
                frames.append(rows.asset_metric_rows(u, day, config.window))
                skipped.update(u.skipped)
        frame = pl.concat(frames) if frames else pl.DataFrame()
        written = writes.replace_window(conn, "risk_metrics", frame, start=days[0], end=days[-1] + DAY) if frames else 0
        outbox.publish(conn, "risk_metrics_updates", {"type": "asset_risk_metrics", "rows": written,
                                                      "start": days[0].isoformat(), "end": days[-1].isoformat()},
                       partition_key=context.partition_key_range.start)
    return MaterializeResult(metadata=_window_meta(days, frame, skipped))


@asset(partitions_def=daily_partitions, backfill_policy=single_run,
       deps=[AssetKey("asset_risk_metrics"), AssetKey("portfolio_holdings")],
       pool=CRYPTO_DATA, group_name="risk", kinds={"postgres", "numpy"}, tags={"domain": "risk"})
def portfolio_risk_metrics(
    context: AssetExecutionContext, config: PortfolioRiskConfig, warehouse: WarehouseResource
) -> MaterializeResult:
    """Per portfolio and as-of day (``portfolio_risk_metrics``): value, the full metric set on the
    current holdings, HHI and effective holdings, the 1-10 risk score with its components, risk
    contributions (volatility, component VaR), stress scenarios and the VaR backtest (jsonb)."""
    days = _days(context)
    scope = config.portfolio_ids or None
    with warehouse.transaction() as conn:
        held = batch.holdings(conn, scope)
        ids = sorted(held["portfolio_id"].unique().to_list())
        closes, symbols = _closes(conn, PORTFOLIO_HISTORY, days[0], days[-1] + DAY)
        frames, skipped = [], {}
        for day in days:
            u = rows.universe(closes.filter(pl.col("time") > day - PORTFOLIO_HISTORY), symbols, day.date())
            if u is not None and ids:
                frames.append(rows.portfolio_rows(u, held, ids, day, config.window))
                skipped.update(u.skipped)
        frame = pl.concat(frames) if frames else pl.DataFrame()
        written = writes.replace_window(conn, "portfolio_risk_metrics", frame, start=days[0], end=days[-1] + DAY,
                                        scope={"portfolio_id": ids}) if frames else 0
        latest = frame.filter(pl.col("time") == pl.col("time").max()) if frames else frame
        owners = dict(held.select("portfolio_id", "user_id").unique().iter_rows())
        for r in latest.select("portfolio_id", "time", "risk_score").iter_rows(named=True):
            outbox.publish(conn, "risk_metrics_updates",
                           {"type": "portfolio_risk_metrics", "portfolio_id": r["portfolio_id"],
                            "time": r["time"].isoformat(), "risk_score": r["risk_score"], "days": len(days)},
                           partition_key=context.partition_key_range.end, user_id=owners[r["portfolio_id"]])
    return MaterializeResult(metadata={**_window_meta(days, frame, skipped), "portfolios": len(ids),
                                       "scope": "all" if scope is None else str(scope), "written": written})


@asset(partitions_def=daily_partitions, backfill_policy=single_run,
       deps=[AssetKey("price_history"), AssetKey("portfolio_holdings")],
       pool=CRYPTO_DATA, group_name="risk", kinds={"postgres", "numpy"}, tags={"domain": "risk"})
def correlation_matrix(context: AssetExecutionContext, config: RiskConfig, warehouse: WarehouseResource) -> MaterializeResult:
    """Pearson correlations of daily returns over the trailing ``window`` (``correlation_matrices``):
    the whole tracked universe (portfolio null) and each portfolio's holdings; null where an asset
    started trading inside the window or does not move."""
    days = _days(context)
    with warehouse.transaction() as conn:
        held = batch.holdings(conn)
        closes, symbols = _closes(conn, (config.window + 1) * DAY, days[0], days[-1] + DAY)
        out = []
        for day in days:
            u = rows.universe(closes.filter(pl.col("time") > day - (config.window + 1) * DAY), symbols, day.date())
            if u is not None:
                corr = pearson(simple_returns(u.prices.values)[-config.window:])
                out += rows.correlation_rows(u, corr, held, day, config.window)
        written = batch.replace_correlations(conn, days[0], days[-1] + DAY, out)
        outbox.publish(conn, "risk_metrics_updates", {"type": "correlation_matrix", "rows": written,
                                                      "start": days[0].isoformat(), "end": days[-1].isoformat()},
                       partition_key=context.partition_key_range.start)
    return MaterializeResult(metadata={"rows": written, "window": f"[{days[0].date()}, {days[-1].date()}]",
                                       "nulls": sum(v is None for r in out for row in r["matrix"] for v in row),
                                       "source": "price_closes_1mo (daily closes of price_ohlcv_1d)"})
