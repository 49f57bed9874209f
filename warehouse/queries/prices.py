"""Price reads the portfolio views and the risk assets use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse import copy_binary
from warehouse.engine import raw_psycopg

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

# Binary COPY of NOT NULL fixed-width columns, decoded with numpy: ~18k rows (a year of 50 assets)
# arrive as three arrays instead of 55k Python objects.
_DAILY = """
    COPY (
        SELECT asset_id, bucket, close FROM price_ohlcv_1d
        WHERE asset_id = ANY(%(ids)s) AND bucket >= %(start)s AND bucket < %(end)s AND close IS NOT NULL
    ) TO STDOUT (FORMAT BINARY)
"""


def latest_prices(conn: Connection, asset_ids: Sequence[int]) -> list[sa.Row]:
    """The newest stored price of each asset (assets without prices are left out)."""
    return conn.execute(_LATEST, {"ids": list(asset_ids)}).all()


def daily_closes(conn: Connection, asset_ids: Sequence[int], start: dt.datetime, end: dt.datetime) -> pl.DataFrame:
    """Daily close (last price of each UTC day) per asset, from the daily rollup, as a long frame
    ``asset_id, time, close`` sorted by asset and day."""
    buf = bytearray()
    with (
        raw_psycopg(conn).cursor() as cur,
        cur.copy(_DAILY, {"ids": list(asset_ids), "start": start, "end": end}) as copy,
    ):
        for block in copy:
            buf += block
    cols = copy_binary.decode_fixed(bytes(buf), ["int4", "timestamptz", "float8"])
    frame = pl.DataFrame({"asset_id": cols["c0"], "time": cols["c1"], "close": cols["c2"]})
    return frame.with_columns(pl.col("time").dt.replace_time_zone("UTC")).sort("asset_id", "time")


def close_matrix(conn: Connection, asset_ids: Sequence[int], start: dt.datetime, end: dt.datetime) -> pl.DataFrame:
    """Daily closes as a wide frame: ``time`` then one column per asset id (as text); days an
    asset has no close are null (not forward-filled: the risk engine decides what a gap means)."""
    long = daily_closes(conn, asset_ids, start, end)
    if long.height == 0:
        return pl.DataFrame({"time": []}, schema={"time": pl.Datetime("us", "UTC")})
    return long.pivot(on="asset_id", index="time", values="close").sort("time")
