"""TimescaleDB paths: run when the extension is installed and preloaded, skip otherwise."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
import sqlalchemy as sa

from tests.warehouse.frames import EPOCH, price_frame
from warehouse import migrate, timescale
from warehouse.engine import get_engine, transaction
from warehouse.queries.prices import daily_closes
from warehouse.writes import asset_ids, replace_window, upsert_frame


def _scalar(url, query: str, **params):
    with get_engine(url).connect() as conn:
        return conn.execute(sa.text(query), params).scalar()


def test_hypertables_compression_and_policies(ts_db_url):
    with get_engine(ts_db_url).connect() as conn:
        hypertables = dict(
            conn.execute(
                sa.text("SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables")
            ).all()
        )
        chunk = conn.execute(
            sa.text(
                "SELECT time_interval FROM timescaledb_information.dimensions WHERE hypertable_name = 'price_history'"
            )
        ).scalar_one()
        segment = conn.execute(
            sa.text(
                "SELECT attname FROM timescaledb_information.compression_settings "
                "WHERE hypertable_name = 'price_history' AND segmentby_column_index = 1"
            )
        ).scalar_one()
        jobs = {
            (r.proc_name, r.hypertable_name)
            for r in conn.execute(sa.text("SELECT proc_name, hypertable_name FROM timescaledb_information.jobs"))
        }
        caggs = {
            r[0] for r in conn.execute(sa.text("SELECT view_name FROM timescaledb_information.continuous_aggregates"))
        }
    assert hypertables == {"price_history": True, "risk_metrics": True, "portfolio_risk_metrics": True}
    assert chunk == dt.timedelta(days=1)
    assert segment == "asset_id"
    assert {("policy_compression", t) for t in hypertables} <= jobs
    assert sum(1 for proc, _ in jobs if proc == "policy_refresh_continuous_aggregate") == 3
    assert caggs == {"price_ohlcv_1h", "price_ohlcv_1d", timescale.SERIES}
    assert migrate.status(ts_db_url).timescale_enabled


def test_rollups_match_raw_prices(ts_db_url):
    with transaction(ts_db_url) as conn:
        (btc,) = asset_ids(conn, ["BTC"]).values()
    frame = price_frame([btc], days=3, every="15m")
    with transaction(ts_db_url) as conn:
        upsert_frame(conn, "price_history", frame)
    with get_engine(ts_db_url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        timescale.refresh_rollups(conn, EPOCH, EPOCH + dt.timedelta(days=3))
    with get_engine(ts_db_url).connect() as conn:
        daily = conn.execute(
            sa.text(
                "SELECT bucket, open, high, low, close, ticks FROM price_ohlcv_1d WHERE asset_id = :a ORDER BY bucket"
            ),
            {"a": btc},
        ).all()
    expected = (
        frame.sort("time")
        .group_by_dynamic("time", every="1d")
        .agg(
            pl.col("price").first().alias("open"),
            pl.col("price").max().alias("high"),
            pl.col("price").min().alias("low"),
            pl.col("price").last().alias("close"),
            pl.len().alias("ticks"),
        )
    )
    assert [tuple(r) for r in daily] == [tuple(r.values()) for r in expected.to_dicts()]


def test_upserts_and_rewrites_reach_compressed_chunks(ts_db_url):
    with transaction(ts_db_url) as conn:
        (btc,) = asset_ids(conn, ["BTC"]).values()
    frame = price_frame([btc], days=4)
    with transaction(ts_db_url) as conn:
        upsert_frame(conn, "price_history", frame)
    with transaction(ts_db_url) as conn:
        conn.execute(sa.text("SELECT compress_chunk(c) FROM show_chunks('price_history') c"))
    assert _scalar(ts_db_url, "SELECT count(*) FROM timescaledb_information.chunks WHERE is_compressed") == 4

    with transaction(ts_db_url) as conn:
        assert upsert_frame(conn, "price_history", frame) == 0  # idempotent against compressed data
    day = EPOCH + dt.timedelta(days=1)
    changed = frame.filter(pl.col("time") == day).with_columns(pl.col("price") * 3)
    with transaction(ts_db_url) as conn:
        replace_window(conn, "price_history", changed, start=day, end=day + dt.timedelta(days=1))
    assert _scalar(ts_db_url, "SELECT price FROM price_history WHERE time = :t", t=day) == pytest.approx(
        changed["price"][0]
    )
    assert _scalar(ts_db_url, "SELECT count(*) FROM price_history") == 4


def test_timescale_migrations_roundtrip_and_noop(ts_db_url):
    before = _scalar(ts_db_url, "SELECT count(*) FROM timescaledb_information.jobs")
    migrate.upgrade(ts_db_url)
    assert _scalar(ts_db_url, "SELECT count(*) FROM timescaledb_information.jobs") == before
    migrate.downgrade(ts_db_url, "0002")
    assert _scalar(ts_db_url, "SELECT count(*) FROM timescaledb_information.continuous_aggregates") == 0
    migrate.upgrade(ts_db_url)
    assert _scalar(ts_db_url, "SELECT count(*) FROM timescaledb_information.continuous_aggregates") == 3
    migrate.downgrade(ts_db_url, "base")
    assert _scalar(ts_db_url, "SELECT count(*) FROM timescaledb_information.hypertables") == 0


def test_retention_policy_is_configurable(ts_db_url):
    with transaction(ts_db_url) as conn:
        timescale.set_raw_retention(conn, 90)
    assert _scalar(
        ts_db_url,
        "SELECT config->>'drop_after' FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention'",
    ) in ("90 days", "3 mons")
    with transaction(ts_db_url) as conn:
        timescale.set_raw_retention(conn, None)
    assert (
        _scalar(ts_db_url, "SELECT count(*) FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention'")
        == 0
    )


def test_plain_database_has_the_same_rollup_names(db_url):
    with transaction(db_url) as conn:
        (btc,) = asset_ids(conn, ["BTC"]).values()
        upsert_frame(conn, "price_history", price_frame([btc], days=2, every="6h"))
    with get_engine(db_url).connect() as conn:
        assert not timescale.warn_once_if_disabled(conn)
        rows = conn.execute(sa.text("SELECT ticks FROM price_ohlcv_1d ORDER BY bucket")).scalars().all()
        hourly = conn.execute(sa.text("SELECT count(*) FROM price_ohlcv_1h")).scalar_one()
        series = conn.execute(sa.text(f"SELECT month, length(closes) / 8 FROM {timescale.SERIES}")).all()
    assert rows == [4, 4] and hourly == 8
    assert series == [(EPOCH, 2)]


def _closes(url, asset: int, start: dt.datetime, end: dt.datetime) -> dict[dt.datetime, float]:
    with get_engine(url).connect() as conn:
        frame = daily_closes(conn, [asset], start, end)
    return dict(zip(frame["time"].to_list(), frame["close"].to_list(), strict=True))


def _refresh(url, start: dt.datetime, end: dt.datetime) -> None:
    with get_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        timescale.refresh_rollups(conn, start, end)


def test_close_series_follows_rewrites_and_the_running_month(ts_db_url):
    with transaction(ts_db_url) as conn:
        (btc,) = asset_ids(conn, ["BTC"]).values()
    frame = price_frame([btc], days=70, every="12h")  # Jan 1 - Mar 11 2021
    with transaction(ts_db_url) as conn:
        upsert_frame(conn, "price_history", frame)
    _refresh(ts_db_url, EPOCH, EPOCH + dt.timedelta(days=70))
    materialized = _scalar(ts_db_url, f"SELECT count(*) FROM _timescaledb_internal.{_series_table(ts_db_url)}")
    assert materialized == 3  # the months the refreshed days touch: January to March
    truth = frame.group_by(pl.col("time").dt.truncate("1d")).agg(pl.col("price").sort_by("time").last())
    expected = dict(zip(truth["time"].to_list(), truth["price"].to_list(), strict=True))
    window = (EPOCH + dt.timedelta(days=20), EPOCH + dt.timedelta(days=65))
    assert _closes(ts_db_url, btc, *window) == {t: p for t, p in expected.items() if window[0] <= t < window[1]}

    # One day of January rewritten and refreshed for that day alone: its (materialized) month follows.
    day = EPOCH + dt.timedelta(days=10)
    changed = frame.filter(pl.col("time").dt.truncate("1d") == day).with_columns(pl.col("price") * 2)
    with transaction(ts_db_url) as conn:
        replace_window(conn, "price_history", changed, start=day, end=day + dt.timedelta(days=1))
    _refresh(ts_db_url, day, day + dt.timedelta(days=1))
    assert _closes(ts_db_url, btc, day, day + dt.timedelta(days=1)) == {day: changed["price"][-1]}

    # The running month is never materialized: what is written now is read now.
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    today = now.replace(hour=0, minute=0, second=0)
    with transaction(ts_db_url) as conn:
        upsert_frame(conn, "price_history", price_frame([btc], days=1, start=today, every="1h").head(1))
    _refresh(ts_db_url, today, today + dt.timedelta(days=1))
    first = _closes(ts_db_url, btc, today, today + dt.timedelta(days=1))
    later = price_frame([btc], days=1, start=today + dt.timedelta(minutes=30), every="1h", seed=9).head(1)
    with transaction(ts_db_url) as conn:
        upsert_frame(conn, "price_history", later)
    assert _closes(ts_db_url, btc, today, today + dt.timedelta(days=1)) == {today: later["price"][0]} != first


def _series_table(url) -> str:
    return _scalar(
        url,
        "SELECT materialization_hypertable_name FROM timescaledb_information.continuous_aggregates "
        "WHERE view_name = :v",
        v=timescale.SERIES,
    )
