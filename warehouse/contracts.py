"""Pandera contracts for the frames the warehouse accepts into its time-series tables.

Checked on collected polars frames before anything is written (a LazyFrame would only check
columns and types). The database's own CHECK, UNIQUE and FOREIGN KEY constraints remain the last
line; these give the error that names the offending rows first.
"""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl
from pandera.engines.polars_engine import DateTime

# A little slack for clocks: a row stamped a few seconds ahead of us is not "the future".
_FUTURE_SLACK = dt.timedelta(minutes=5)


def _not_future(data: pa.PolarsData) -> pl.LazyFrame:
    limit = dt.datetime.now(dt.UTC) + _FUTURE_SLACK
    return data.lazyframe.select(pl.col("time") <= pl.lit(limit, dtype=pl.Datetime("us", "UTC")))


class _TimeSeries(pa.DataFrameModel):
    time: DateTime = pa.Field(dtype_kwargs={"time_unit": "us", "time_zone": "UTC"})

    class Config:
        coerce = True
        strict = False

    @pa.dataframe_check(name="time_not_in_future")
    def time_not_in_future(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _not_future(data)


class PriceHistoryFrame(_TimeSeries):
    asset_id: pl.Int32 = pa.Field(gt=0)
    price: pl.Float64 = pa.Field(gt=0, lt=float("inf"))
    market_cap: pl.Float64 = pa.Field(ge=0, lt=float("inf"), nullable=True)
    volume_24h: pl.Float64 = pa.Field(ge=0, lt=float("inf"), nullable=True)
    source: pl.String = pa.Field(isin=["coingecko", "simulated", "alphavantage", "import"])

    class Config:
        unique = ["asset_id", "time"]


class MarketSnapshotFrame(_TimeSeries):
    asset_id: pl.Int32 = pa.Field(gt=0)
    price: pl.Float64 = pa.Field(gt=0, lt=float("inf"))

    class Config:
        unique = ["asset_id", "time"]


_METRIC = {"nullable": True}


class RiskMetricsFrame(_TimeSeries):
    asset_id: pl.Int32 = pa.Field(gt=0)
    window_days: pl.Int32 = pa.Field(gt=1)

    class Config:
        unique = ["asset_id", "time"]


class PortfolioRiskMetricsFrame(_TimeSeries):
    portfolio_id: pl.Int64 = pa.Field(gt=0)
    window_days: pl.Int32 = pa.Field(gt=1)
    risk_score: pl.Float64 = pa.Field(ge=1, le=10, nullable=True)

    class Config:
        unique = ["portfolio_id", "time"]


CONTRACTS: dict[str, type[pa.DataFrameModel]] = {
    "price_history": PriceHistoryFrame,
    "market_snapshots": MarketSnapshotFrame,
    "risk_metrics": RiskMetricsFrame,
    "portfolio_risk_metrics": PortfolioRiskMetricsFrame,
}
