"""Price reads the portfolio views and the risk assets use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import polars as pl
from psycopg.rows import class_row
from sqlalchemy.engine import Connection

from warehouse import copy_binary
from warehouse.engine import raw_psycopg
from warehouse.timescale import SERIES, bucket_start

# One index probe per asset (newest row of its (asset_id, time) index), not a scan of the table,
# bounded by time: the newest price of an asset is in the newest chunks, and a bound the planner
# can see leaves every older chunk out of the plan (with compression, each chunk left in costs a
# decompression setup per call even when nothing is read from it: 15 ms for 600 daily chunks).
# So it is planned per call, not prepared: a generic plan cannot leave chunks out at plan time.
# Assets without a price in the window (delisted, stale) are looked up again without the bound.
_LATEST = """
    SELECT a.asset_id, p.time, p.price, p.source
    FROM unnest(%(ids)s::integer[]) AS a(asset_id)
    CROSS JOIN LATERAL (
        SELECT time, price, source FROM price_history h
        WHERE h.asset_id = a.asset_id AND h.time >= %(since)s ORDER BY time DESC LIMIT 1
    ) p
"""
RECENT = dt.timedelta(days=3)
_EVER = dt.datetime(1, 1, 1, tzinfo=dt.UTC)


class LatestPrice(NamedTuple):
    asset_id: int
    time: dt.datetime
    price: float
    source: str


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


def latest_prices(conn: Connection, asset_ids: Sequence[int]) -> list[LatestPrice]:
    """The newest stored price of each asset (assets without prices are left out)."""
    ids = list(asset_ids)
    with raw_psycopg(conn).cursor(row_factory=class_row(LatestPrice)) as cur:
        since = dt.datetime.now(dt.UTC) - RECENT
        rows = cur.execute(_LATEST, {"ids": ids, "since": since}, prepare=False).fetchall()
        missing = sorted(set(ids) - {r.asset_id for r in rows})
        if missing:
            rows += cur.execute(_LATEST, {"ids": missing, "since": _EVER}, prepare=False).fetchall()
    return rows


def daily_closes(conn: Connection, asset_ids: Sequence[int], start: dt.datetime, end: dt.datetime) -> pl.DataFrame:
    """Daily close (last price of each UTC day) per asset, from the daily rollup by way of its
    monthly close series, as a long frame ``asset_id, time, close`` sorted by asset and day."""
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    first_month = bucket_start("month", start)
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
