"""Price reads the portfolio views and the risk assets use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
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

# One row per asset (its days and closes as two arrays) by binary COPY, decoded with numpy
# (``copy_binary.decode_grouped_arrays``): a year of 50 assets is 50 messages and ~37k values to
# encode, where rows would be ~18k messages and ~55k values. Both aggregates read the rows in the
# same order, so the arrays stay aligned; the frame is sorted after decoding.
_DAILY = """
    COPY (
        SELECT asset_id, array_agg(bucket), array_agg(close) FROM price_ohlcv_1d
        WHERE asset_id = ANY(%(ids)s) AND bucket >= %(start)s AND bucket < %(end)s AND close IS NOT NULL
        GROUP BY asset_id
    ) TO STDOUT (FORMAT BINARY)
"""
_DAILY_SCHEMA = {"asset_id": pl.Int32, "time": pl.Datetime("us", "UTC"), "close": pl.Float64}


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
    cols = copy_binary.decode_grouped_arrays(bytes(buf), "int4", ["timestamptz", "float8"])
    # The values arrive as a few sorted runs (per asset, per rollup chunk): numpy's lexsort orders
    # ~18k of them in a fraction of what a polars sort of the built frame costs.
    order = np.lexsort((cols["c0"], cols["key"]))
    return pl.DataFrame(
        {"asset_id": cols["key"][order], "time": cols["c0"][order], "close": cols["c1"][order]},
        schema=_DAILY_SCHEMA,
    )


def close_matrix(conn: Connection, asset_ids: Sequence[int], start: dt.datetime, end: dt.datetime) -> pl.DataFrame:
    """Daily closes as a wide frame: ``time`` then one column per asset id (as text); days an
    asset has no close are null (not forward-filled: the risk engine decides what a gap means)."""
    long = daily_closes(conn, asset_ids, start, end)
    if long.height == 0:
        return pl.DataFrame({"time": []}, schema={"time": pl.Datetime("us", "UTC")})
    return long.pivot(on="asset_id", index="time", values="close").sort("time")
