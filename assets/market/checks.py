"""Checks on the market snapshot and trending list (warnings: nothing downstream computes on them)."""

import datetime as dt

import pandera.polars as pa
import polars as pl
import sqlalchemy as sa
from dagster import AssetCheckResult, asset_check

from assets.checks_support import pandera_result
from assets.market.assets import market_overview, trending_coins
from assets.resources import WarehouseResource
from warehouse.queries.market import latest_snapshots


class SnapshotRows(pa.DataFrameModel):
    asset_id: pl.Int32 = pa.Field(gt=0, coerce=True)
    price: pl.Float64 = pa.Field(gt=0, lt=float("inf"))
    market_cap: pl.Float64 = pa.Field(ge=0, nullable=True)
    market_cap_rank: pl.Int32 = pa.Field(gt=0, nullable=True, coerce=True)

    class Config:
        unique = ["asset_id"]


class TrendingRows(pa.DataFrameModel):
    rank: pl.Int16 = pa.Field(ge=0, coerce=True)
    symbol: pl.String = pa.Field(str_matches=r"^[A-Z0-9.]{1,15}$")

    class Config:
        unique = ["rank"]


def _latest(warehouse: WarehouseResource, query: str, columns: list[str]) -> pl.DataFrame:
    with warehouse.transaction() as conn:
        rows = conn.execute(sa.text(query)).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=columns, orient="row", infer_schema_length=None)


@asset_check(asset=market_overview)
def market_overview_valid(warehouse: WarehouseResource) -> AssetCheckResult:
    """Each coin's newest snapshot of the last hour (every coin has its own update time):
    positive prices, one row per coin, at least 10 coins."""
    with warehouse.transaction() as conn:
        frame = latest_snapshots(conn, dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    return pandera_result(SnapshotRows, frame, min_rows=10)


@asset_check(asset=trending_coins)
def trending_coins_valid(warehouse: WarehouseResource) -> AssetCheckResult:
    """The newest trending list: ranks unique, symbols well formed, not empty."""
    frame = _latest(
        warehouse,
        "SELECT rank, symbol FROM trending_coins WHERE time = (SELECT max(time) FROM trending_coins)",
        ["rank", "symbol"],
    )
    return pandera_result(TrendingRows, frame)
