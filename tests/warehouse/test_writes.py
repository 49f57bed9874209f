"""Bulk writes: idempotent upserts, partition rewrites, and whole-batch rejection."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
import sqlalchemy as sa

from tests.warehouse.frames import EPOCH, price_frame
from warehouse.engine import get_engine, transaction
from warehouse.writes import (
    BatchRejected,
    UnknownAssets,
    asset_ids,
    replace_window,
    upsert_frame,
    with_asset_ids,
)


def _ids(url, *symbols):
    with transaction(url) as conn:
        found = asset_ids(conn, symbols)
    return [found[s] for s in symbols]


def _count(url, where: str = "TRUE") -> int:
    with get_engine(url).connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM price_history WHERE {where}")).scalar_one()


def _snapshot(url) -> list[tuple]:
    with get_engine(url).connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT asset_id, time, price, market_cap, volume_24h, source, xmin::text FROM price_history ORDER BY 1, 2"
            )
        ).all()


def test_upsert_is_idempotent_and_updates_changes(db_url):
    btc, eth = _ids(db_url, "BTC", "ETH")
    frame = price_frame([btc, eth], days=30)
    with transaction(db_url) as conn:
        assert upsert_frame(conn, "price_history", frame) == 60
    first = _snapshot(db_url)

    with transaction(db_url) as conn:
        assert upsert_frame(conn, "price_history", frame) == 0
    assert _snapshot(db_url) == first  # same values and same row versions (xmin): nothing rewritten

    changed = frame.with_columns(
        pl.when(pl.col("asset_id") == eth).then(pl.col("price") * 2).otherwise(pl.col("price"))
    )
    with transaction(db_url) as conn:
        assert upsert_frame(conn, "price_history", changed) == 30
    with get_engine(db_url).connect() as conn:
        stored = conn.execute(
            sa.text("SELECT sum(price) FROM price_history WHERE asset_id = :a"), {"a": eth}
        ).scalar_one()
    assert stored == pytest.approx(changed.filter(pl.col("asset_id") == eth)["price"].sum())


def test_stored_values_round_trip_exactly(db_url):
    (btc,) = _ids(db_url, "BTC")
    frame = price_frame([btc], days=5, every="1h").with_columns(
        pl.when(pl.col("time").dt.hour() == 3).then(None).otherwise(pl.col("market_cap")).alias("market_cap")
    )
    with transaction(db_url) as conn:
        upsert_frame(conn, "price_history", frame)
    with get_engine(db_url).connect() as conn:
        rows = conn.execute(
            sa.text("SELECT asset_id, time, price, market_cap, volume_24h, source FROM price_history ORDER BY time")
        ).all()
    assert [tuple(r) for r in rows] == [tuple(r.values()) for r in frame.sort("time").to_dicts()]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda f: f.with_columns(
                pl.when(pl.int_range(pl.len()) == 7).then(-1.0).otherwise(pl.col("price")).alias("price")
            ),
            "price",
        ),
        (
            lambda f: f.with_columns(
                pl.when(pl.int_range(pl.len()) == 3).then(float("nan")).otherwise(pl.col("price")).alias("price")
            ),
            "price",
        ),
        (lambda f: pl.concat([f, f.head(1)]), "duplicate"),
        (
            lambda f: f.with_columns(
                pl.when(pl.int_range(pl.len()) == 2)
                .then(pl.lit(dt.datetime(2999, 1, 1, tzinfo=dt.UTC)))
                .otherwise(pl.col("time"))
                .alias("time")
            ),
            "time_not_in_future",
        ),
    ],
    ids=["negative-price", "nan-price", "duplicate-in-batch", "future-time"],
)
def test_bad_row_rejects_whole_batch(db_url, mutate, message):
    (btc,) = _ids(db_url, "BTC")
    bad = mutate(price_frame([btc], days=20))
    with pytest.raises(BatchRejected) as err, transaction(db_url) as conn:
        upsert_frame(conn, "price_history", bad)
    assert message in str(err.value) and err.value.rows
    assert _count(db_url) == 0


def test_unknown_asset_is_named_and_nothing_written(db_url):
    (btc,) = _ids(db_url, "BTC")
    frame = price_frame([btc], days=3).with_columns(pl.lit("BTC").alias("symbol")).drop("asset_id")
    frame = pl.concat([frame, frame.head(1).with_columns(pl.lit("NOPECOIN").alias("symbol"))])
    with pytest.raises(UnknownAssets) as err, transaction(db_url) as conn:
        upsert_frame(conn, "price_history", with_asset_ids(conn, frame, "price_history"))
    assert "NOPECOIN" in str(err.value)
    assert _count(db_url) == 0


def test_database_constraint_failure_leaves_nothing_and_names_the_problem(db_url):
    frame = price_frame([999_999], days=3)  # passes the contract, fails the foreign key
    with pytest.raises(BatchRejected) as err, transaction(db_url) as conn:
        upsert_frame(conn, "price_history", frame)
    assert "999999" in str(err.value)
    assert _count(db_url) == 0


def test_rejected_batch_leaves_callers_transaction_usable(db_url):
    btc, eth = _ids(db_url, "BTC", "ETH")
    with transaction(db_url) as conn:
        upsert_frame(conn, "price_history", price_frame([btc], days=2))
        with pytest.raises(BatchRejected):
            upsert_frame(conn, "price_history", price_frame([999_999], days=2))
        upsert_frame(conn, "price_history", price_frame([eth], days=2))
    assert _count(db_url) == 4


def test_replace_window_rewrites_only_its_partition(db_url):
    btc, eth = _ids(db_url, "BTC", "ETH")
    frame = price_frame([btc, eth], days=10)
    with transaction(db_url) as conn:
        replace_window(conn, "price_history", frame, start=EPOCH, end=EPOCH + dt.timedelta(days=10))
    day = EPOCH + dt.timedelta(days=4)
    partition = frame.filter(pl.col("time") == day).with_columns(pl.col("price") + 1)
    for _ in range(2):  # materializing the same partition twice gives identical rows
        with transaction(db_url) as conn:
            replace_window(conn, "price_history", partition, start=day, end=day + dt.timedelta(days=1))
        snap = [r[:6] for r in _snapshot(db_url)]
    assert len(snap) == 20
    expected = frame.filter(pl.col("time") != day).vstack(partition).sort("asset_id", "time")
    assert snap == [tuple(r.values()) for r in expected.to_dicts()]


def test_replace_window_scope_keeps_other_assets(db_url):
    btc, eth = _ids(db_url, "BTC", "ETH")
    with transaction(db_url) as conn:
        replace_window(
            conn,
            "price_history",
            price_frame([btc, eth], days=3),
            start=EPOCH,
            end=EPOCH + dt.timedelta(days=3),
        )
        replace_window(
            conn,
            "price_history",
            price_frame([btc], days=3, seed=1),
            start=EPOCH,
            end=EPOCH + dt.timedelta(days=3),
            scope={"asset_id": [btc]},
        )
    assert _count(db_url, f"asset_id = {eth}") == 3 and _count(db_url, f"asset_id = {btc}") == 3


def test_replace_window_refuses_rows_outside_it(db_url):
    (btc,) = _ids(db_url, "BTC")
    with pytest.raises(BatchRejected, match="outside the window"), transaction(db_url) as conn:
        replace_window(conn, "price_history", price_frame([btc], days=3), start=EPOCH, end=EPOCH + dt.timedelta(days=1))
    assert _count(db_url) == 0


def test_replace_window_failure_keeps_previous_rows(db_url):
    (btc,) = _ids(db_url, "BTC")
    good = price_frame([btc], days=3)
    with transaction(db_url) as conn:
        replace_window(conn, "price_history", good, start=EPOCH, end=EPOCH + dt.timedelta(days=3))
    with pytest.raises(BatchRejected), transaction(db_url) as conn:
        replace_window(
            conn,
            "price_history",
            price_frame([999_999], days=3),
            start=EPOCH,
            end=EPOCH + dt.timedelta(days=3),
        )
    assert _count(db_url) == 3


def test_priced_asset_cannot_be_deleted_but_unpriced_can(db_url):
    btc, eth = _ids(db_url, "BTC", "ETH")
    with transaction(db_url) as conn:
        upsert_frame(conn, "price_history", price_frame([btc], days=2))
    with pytest.raises(sa.exc.IntegrityError, match="still has price history"), transaction(db_url) as conn:
        conn.execute(sa.text("DELETE FROM crypto_assets WHERE id = :id"), {"id": btc})
    with transaction(db_url) as conn:
        conn.execute(sa.text("DELETE FROM crypto_assets WHERE id = :id"), {"id": eth})
    assert _count(db_url) == 2


def test_batch_locks_its_assets_against_concurrent_delete(db_url):
    (btc,) = _ids(db_url, "BTC")
    with transaction(db_url) as writer:
        upsert_frame(writer, "price_history", price_frame([btc], days=2))
        with get_engine(db_url).connect() as other:
            other.execute(sa.text("SET lock_timeout = '200ms'"))
            with pytest.raises(sa.exc.OperationalError, match="lock timeout"):
                other.execute(sa.text("DELETE FROM crypto_assets WHERE id = :id"), {"id": btc})
