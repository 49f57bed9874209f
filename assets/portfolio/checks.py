"""Checks on holdings: quantities are finite and non-negative, one position per asset (blocking:
portfolio risk multiplies by them)."""

import pandera.polars as pa
import polars as pl
from dagster import AssetCheckResult, asset_check

from assets.checks_support import pandera_result
from assets.portfolio.assets import portfolio_holdings
from assets.resources import WarehouseResource
from warehouse.queries import batch


class HoldingRows(pa.DataFrameModel):
    portfolio_id: pl.Int64 = pa.Field(gt=0)
    symbol: pl.String = pa.Field(str_matches=r"^[A-Z0-9.]{1,15}$")
    quantity: pl.Float64 = pa.Field(ge=0, lt=float("inf"))

    class Config:
        unique = ["portfolio_id", "symbol"]


@asset_check(asset=portfolio_holdings, blocking=True)
def portfolio_holdings_valid(warehouse: WarehouseResource) -> AssetCheckResult:
    """Every stored position is a known asset with a finite, non-negative quantity."""
    with warehouse.transaction() as conn:
        frame = batch.holdings(conn).drop_nulls("symbol").drop("user_id")
    return pandera_result(HoldingRows, frame, min_rows=0)
