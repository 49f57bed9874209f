"""Price reads the portfolio views and the risk assets use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

# One index probe per asset (newest row of its (asset_id, time) index), not a scan of the table.
_LATEST = sa.text(
    """
    SELECT a.asset_id, p.time, p.price, p.source
    FROM unnest(CAST(:ids AS integer[])) AS a(asset_id)
    CROSS JOIN LATERAL (
        SELECT time, price, source FROM price_history h
        WHERE h.asset_id = a.asset_id ORDER BY time DESC LIMIT 1
    ) p
    """
)

_DAILY = sa.text(
    """
    SELECT asset_id, bucket AS time, close
    FROM price_ohlcv_1d
    WHERE asset_id = ANY(CAST(:ids AS integer[])) AND bucket >= :start AND bucket < :end
    ORDER BY asset_id, bucket
    """
)


def latest_prices(conn: Connection, asset_ids: Sequence[int]) -> list[sa.Row]:
    """The newest stored price of each asset (assets without prices are left out)."""
    return conn.execute(_LATEST, {"ids": list(asset_ids)}).all()


def daily_closes(conn: Connection, asset_ids: Sequence[int], start: dt.datetime, end: dt.datetime) -> list[sa.Row]:
    """Daily close (last price of each UTC day) per asset, from the daily rollup."""
    return conn.execute(_DAILY, {"ids": list(asset_ids), "start": start, "end": end}).all()


def close_matrix(conn: Connection, asset_ids: Sequence[int], start: dt.datetime, end: dt.datetime) -> pl.DataFrame:
    """Daily closes as a wide frame: ``time`` then one column per asset id (as text); days an
    asset has no close are null (not forward-filled: the risk engine decides what a gap means)."""
    rows = daily_closes(conn, asset_ids, start, end)
    long = pl.DataFrame(
        rows, schema={"asset_id": pl.Int32, "time": pl.Datetime("us", "UTC"), "close": pl.Float64}, orient="row"
    )
    if long.height == 0:
        return pl.DataFrame({"time": []}, schema={"time": pl.Datetime("us", "UTC")})
    return long.pivot(on="asset_id", index="time", values="close").sort("time")
