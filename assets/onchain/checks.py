"""Checks on the wallet data: the newest balances are well formed (blocking: holdings derive from them)."""

import pandera.polars as pa
import polars as pl
import sqlalchemy as sa
from dagster import AssetCheckResult, asset_check

from assets.checks_support import pandera_result
from assets.onchain.assets import wallet_analysis
from assets.resources import WarehouseResource


class BalanceRows(pa.DataFrameModel):
    address: pl.String = pa.Field(str_matches=r"^0x[0-9a-f]{40}$")
    token_address: pl.String
    symbol: pl.String
    balance: pl.Float64 = pa.Field(ge=0, lt=float("inf"), coerce=True)

    class Config:
        unique = ["address", "token_address"]


@asset_check(asset=wallet_analysis, blocking=True)
def wallet_balances_valid(warehouse: WarehouseResource) -> AssetCheckResult:
    """Each wallet's newest balance snapshot: lower-case addresses, one row per token, no negative balance."""
    with warehouse.transaction() as conn:
        rows = conn.execute(sa.text(
            "SELECT DISTINCT ON (address, token_address) address, token_address, symbol, balance::float8 "
            "FROM wallet_balances ORDER BY address, token_address, time DESC")).all()
    frame = pl.DataFrame([tuple(r) for r in rows], schema=["address", "token_address", "symbol", "balance"],
                         orient="row", infer_schema_length=None)
    return pandera_result(BalanceRows, frame, min_rows=0)
