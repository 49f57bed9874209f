"""Standard price reads, on plain tables and (when present) on TimescaleDB."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from tests.warehouse.frames import EPOCH, price_frame
from warehouse import timescale
from warehouse.engine import get_engine, transaction
from warehouse.queries.prices import close_matrix, daily_closes, latest_prices
from warehouse.writes import asset_ids, upsert_frame


@pytest.fixture(params=["plain", "timescale"])
def any_db(request):
    return request.getfixturevalue("db_url" if request.param == "plain" else "ts_db_url")


def _load(url):
    with transaction(url) as conn:
        ids = asset_ids(conn, ["BTC", "ETH", "SOL"])
        frame = price_frame([ids["BTC"], ids["ETH"]], days=10, every="6h")
        upsert_frame(conn, "price_history", frame)
    with get_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        timescale.refresh_rollups(conn, EPOCH, EPOCH + dt.timedelta(days=10))
    return ids, frame


def test_latest_prices(any_db):
    ids, frame = _load(any_db)
    with get_engine(any_db).connect() as conn:
        rows = {r.asset_id: (r.time, r.price) for r in latest_prices(conn, list(ids.values()))}
    last = frame.sort("time").group_by("asset_id").last()
    assert rows == {r["asset_id"]: (r["time"], r["price"]) for r in last.to_dicts()}  # SOL has no prices: left out


def test_latest_prices_recent_and_stale(any_db):
    # ETH priced an hour ago (inside the recent window), BTC only years ago (looked up again).
    ids, frame = _load(any_db)
    recent = price_frame([ids["ETH"]], days=1, start=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1), every="1d")
    with transaction(any_db) as conn:
        upsert_frame(conn, "price_history", recent)
    with get_engine(any_db).connect() as conn:
        rows = {r.asset_id: (r.time, r.price) for r in latest_prices(conn, [ids["SOL"], ids["BTC"], ids["ETH"]])}
    btc = frame.filter(pl.col("asset_id") == ids["BTC"]).sort("time").row(-1, named=True)
    assert rows == {
        ids["BTC"]: (btc["time"], btc["price"]),
        ids["ETH"]: (recent["time"][0], recent["price"][0]),
    }


def test_daily_closes_and_matrix(any_db):
    ids, frame = _load(any_db)
    start, end = EPOCH + dt.timedelta(days=2), EPOCH + dt.timedelta(days=7)
    expected = (
        frame.filter((pl.col("time") >= start) & (pl.col("time") < end))
        .sort("time")
        .group_by("asset_id", pl.col("time").dt.truncate("1d"))
        .agg(pl.col("price").last().alias("close"))
        .sort("asset_id", "time")
    )
    with get_engine(any_db).connect() as conn:
        got = daily_closes(conn, list(ids.values()), start, end)
        wide = close_matrix(conn, [ids["BTC"], ids["ETH"]], start, end)
    assert got.equals(expected.select("asset_id", "time", "close"))
    assert wide.columns == ["time", str(ids["BTC"]), str(ids["ETH"])] and wide.height == 5
