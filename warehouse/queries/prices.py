"""Price reads the portfolio views and the risk assets use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import polars as pl
import sqlalchemy as sa
from psycopg.rows import class_row
from sqlalchemy.engine import Connection

from warehouse import copy_binary, writes
from warehouse.engine import raw_psycopg
from warehouse.models import price_history, price_quarantine
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


# --- writes ---------------------------------------------------------------------------------------

# The last stored price of each asset before an instant: the earlier neighbour a new batch's
# first point is screened against (pipelines.prices.screen).
_LAST_BEFORE = """
    SELECT a.asset_id, p.price
    FROM unnest(%(ids)s::integer[]) AS a(asset_id)
    CROSS JOIN LATERAL (
        SELECT price FROM price_history h
        WHERE h.asset_id = a.asset_id AND h.time < %(before)s AND h.time >= %(since)s ORDER BY time DESC LIMIT 1
    ) p
"""
NEIGHBOUR_LOOKBACK = dt.timedelta(days=3)


def last_before(conn: Connection, asset_ids: Sequence[int], before: dt.datetime) -> pl.DataFrame:
    """``asset_id, price``: each asset's newest stored price before ``before`` (within 3 days)."""
    with raw_psycopg(conn).cursor() as cur:
        found = cur.execute(_LAST_BEFORE, {"ids": list(asset_ids), "before": before,
                                           "since": before - NEIGHBOUR_LOOKBACK}, prepare=False).fetchall()
    return pl.DataFrame(found, schema={"asset_id": pl.Int32, "price": pl.Float64}, orient="row")


def replace_days(conn: Connection, points: pl.DataFrame, start: dt.datetime, end: dt.datetime) -> writes.Coverage:
    """Rewrite the (asset, day) pairs of [start, end) that ``points`` covers; keep the rest."""
    return writes.replace_covered(conn, "price_history", points, start=start, end=end)


def upsert_points(conn: Connection, points: pl.DataFrame) -> int:
    """Add or update points by (asset, time) and delete nothing (the 5-minute tick)."""
    return writes.upsert_frame(conn, "price_history", points)


def quarantine(conn: Connection, refused: pl.DataFrame) -> int:
    """Keep refused points (``asset_id, time, source, price, reason``) for review."""
    if refused.height == 0:
        return 0
    return writes.upsert_frame(conn, "price_quarantine", refused.select("asset_id", "time", "source", "price", "reason"))


def quarantined(conn: Connection, start: dt.datetime, end: dt.datetime) -> pl.DataFrame:
    """Points quarantined with a time in [start, end)."""
    q = price_quarantine.c
    found = conn.execute(sa.select(q.asset_id, q.time, q.source, q.price, q.reason)
                         .where(q.time >= start, q.time < end).order_by(q.asset_id, q.time)).all()
    return pl.DataFrame([tuple(r) for r in found], orient="row", schema={
        "asset_id": pl.Int32, "time": pl.Datetime("us", "UTC"), "source": pl.String, "price": pl.Float64,
        "reason": pl.String})


_LATEST_IN = """
    SELECT a.asset_id, p.time, p.price, p.source
    FROM unnest(%(ids)s::integer[]) AS a(asset_id)
    CROSS JOIN LATERAL (
        SELECT time, price, source FROM price_history h
        WHERE h.asset_id = a.asset_id AND h.time >= %(since)s AND h.time < %(until)s ORDER BY time DESC LIMIT 1
    ) p
"""


def latest_in(conn: Connection, asset_ids: Sequence[int], since: dt.datetime, until: dt.datetime) -> list[LatestPrice]:
    """Each asset's newest price in [since, until) (assets without one are left out)."""
    with raw_psycopg(conn).cursor(row_factory=class_row(LatestPrice)) as cur:
        return cur.execute(_LATEST_IN, {"ids": list(asset_ids), "since": since, "until": until}, prepare=False).fetchall()


def newest_time(conn: Connection) -> dt.datetime | None:
    """The time of the newest stored price (None before the first ingest)."""
    return conn.execute(sa.select(sa.func.max(price_history.c.time))).scalar()
