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
from warehouse.timescale import SERIES

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

# From the monthly close series (``warehouse.timescale.SERIES``): one row per asset, its months'
# packed days and closes joined in order, by binary COPY, decoded with numpy (``copy_binary.
# decode_grouped_packed``). A year of 50 assets is ~650 series rows read and 50 rows of bytes
# sent, where the daily rollup would be ~18k rows read and ~37k values encoded one by one.
_DAILY = f"""
    COPY (
        SELECT asset_id, string_agg(days, ''::bytea ORDER BY month), string_agg(closes, ''::bytea ORDER BY month)
        FROM {SERIES}
        WHERE asset_id = ANY(%(ids)s) AND month >= %(first_month)s AND month < %(end)s
        GROUP BY asset_id
    ) TO STDOUT (FORMAT BINARY)
"""
_DAILY_SCHEMA = {"asset_id": pl.Int32, "time": pl.Datetime("us", "UTC"), "close": pl.Float64}


def latest_prices(conn: Connection, asset_ids: Sequence[int]) -> list[sa.Row]:
    """The newest stored price of each asset (assets without prices are left out)."""
    return conn.execute(_LATEST, {"ids": list(asset_ids)}).all()


def daily_closes(conn: Connection, asset_ids: Sequence[int], start: dt.datetime, end: dt.datetime) -> pl.DataFrame:
    """Daily close (last price of each UTC day) per asset, from the daily rollup by way of its
    monthly close series, as a long frame ``asset_id, time, close`` sorted by asset and day."""
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    first_month = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    buf = bytearray()
    params = {"ids": list(asset_ids), "first_month": first_month, "end": end}
    with raw_psycopg(conn).cursor() as cur, cur.copy(_DAILY, params) as copy:
        for block in copy:
            buf += block
    cols = copy_binary.decode_grouped_packed(bytes(buf), "int4", ["timestamptz", "float8"])
    days = cols["c0"]
    # Whole months were read: keep the days of the window. numpy's lexsort then orders the assets
    # (each one's days are in order already) in a fraction of what a polars sort costs.
    lo, hi = (np.datetime64(t.replace(tzinfo=None), "us") for t in (start, end))
    keep = (days >= lo) & (days < hi)
    keys, days, closes = cols["key"][keep], days[keep], cols["c1"][keep]
    order = np.lexsort((days, keys))
    return pl.DataFrame({"asset_id": keys[order], "time": days[order], "close": closes[order]}, schema=_DAILY_SCHEMA)


def close_matrix(conn: Connection, asset_ids: Sequence[int], start: dt.datetime, end: dt.datetime) -> pl.DataFrame:
    """Daily closes as a wide frame: ``time`` then one column per asset id (as text); days an
    asset has no close are null (not forward-filled: the risk engine decides what a gap means)."""
    long = daily_closes(conn, asset_ids, start, end)
    if long.height == 0:
        return pl.DataFrame({"time": []}, schema={"time": pl.Datetime("us", "UTC")})
    return long.pivot(on="asset_id", index="time", values="close").sort("time")
