"""Analyst export: Parquet partitions that DuckDB and Polars read back as the stored rows."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from serving.cli.main import cli
from tests.warehouse.frames import EPOCH, price_frame
from warehouse.engine import get_engine, transaction
from warehouse.export import export_tables
from warehouse.writes import asset_ids, upsert_frame


def _load(url, days=5, every="6h"):
    with transaction(url) as conn:
        ids = list(asset_ids(conn, ["BTC", "ETH"]).values())
        frame = price_frame(ids, days=days, every=every)
        upsert_frame(conn, "price_history", frame)
    return frame


def test_export_round_trips_through_duckdb_and_polars(db_url, tmp_path):
    frame = _load(db_url)
    assert export_tables(db_url, tmp_path, ("price_history",)) == {"price_history": frame.height}
    days = sorted(p.name for p in (tmp_path / "price_history").iterdir())
    assert days == [f"date={(EPOCH + dt.timedelta(days=i)).date()}" for i in range(5)]

    glob = str(tmp_path / "price_history" / "**" / "*.parquet")
    back = pl.read_parquet(glob, hive_partitioning=True).drop("date").sort("asset_id", "time")
    assert back.select(frame.columns).equals(frame.sort("asset_id", "time"))

    daily = duckdb.sql(
        f"SELECT date, count(*) AS n, max(price) AS hi FROM read_parquet('{glob}', hive_partitioning = true) "
        "GROUP BY date ORDER BY date"
    ).fetchall()
    expected = frame.group_by(pl.col("time").dt.date()).agg(pl.len(), pl.col("price").max()).sort("time")
    assert [(str(d), n, hi) for d, n, hi in daily] == [(str(d), n, hi) for d, n, hi in expected.iter_rows()]


def test_reexport_replaces_days_instead_of_duplicating(db_url, tmp_path):
    frame = _load(db_url)
    export_tables(db_url, tmp_path, ("price_history",))
    with transaction(db_url) as conn:
        conn.execute(sa.text("UPDATE price_history SET price = price * 2"))
    export_tables(db_url, tmp_path, ("price_history",), since=(EPOCH + dt.timedelta(days=3)).date())
    back = pl.read_parquet(str(tmp_path / "price_history" / "**" / "*.parquet"), hive_partitioning=True)
    assert back.height == frame.height
    late = back.filter(pl.col("time") >= EPOCH + dt.timedelta(days=3))["price"].sum()
    with get_engine(db_url).connect() as conn:
        stored = conn.execute(
            sa.text("SELECT sum(price) FROM price_history WHERE time >= :t"), {"t": EPOCH + dt.timedelta(days=3)}
        ).scalar_one()
    assert late == pytest.approx(stored, rel=1e-12)  # same rows; only the summation order differs


def test_cli_export(db_url, tmp_path, monkeypatch):
    frame = _load(db_url, days=2)
    monkeypatch.setenv("CRYPTO_RISK_DATABASE_URL", db_url.url)
    result = CliRunner().invoke(cli, ["export", "--out", str(tmp_path), "--table", "price_history"])
    assert result.exit_code == 0, result.output
    assert f"price_history: {frame.height} rows" in result.output
    bad = CliRunner().invoke(cli, ["export", "--table", "users"])
    assert bad.exit_code == 2 and "users" in bad.output
