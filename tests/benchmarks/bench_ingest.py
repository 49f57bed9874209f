"""``crypto-risk bench ingest``: price rows per second through the warehouse's write paths.

- bulk: ``replace_window`` (delete window + binary COPY), what backfills use;
- raw: a bare binary COPY of the same rows into an empty table shaped like price_history (same
  indexes, constraints and, with Timescale, the same hypertable chunking): the limit;
- upsert: ``upsert_frame`` (COPY to staging + INSERT ... ON CONFLICT), what live updates use, on
  new rows; and the same batch again (nothing changes: the idempotent re-ingest).
Each is repeated; medians are reported. Targets: bulk >= 250k rows/s and >= 0.7 of raw; upsert
>= 100k rows/s.
"""

from __future__ import annotations

import argparse
import datetime as dt

import numpy as np
import polars as pl
import sqlalchemy as sa
from psycopg import sql

from tests.benchmarks.support import bench_database, median, timed
from warehouse import copy_binary, timescale
from warehouse.engine import get_engine, raw_psycopg, transaction
from warehouse.writes import replace_window, upsert_frame

COLUMNS = ["asset_id", "time", "price", "market_cap", "volume_24h", "source"]
TYPES = ["int4", "timestamptz", "float8", "float8", "float8", "text"]


def synthetic_prices(rows: int, assets: int, asset_ids: list[int]) -> pl.DataFrame:
    steps = rows // assets
    end = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(days=1)
    start = end - dt.timedelta(minutes=5 * steps)
    times = pl.datetime_range(start, end, "5m", closed="left", eager=True, time_zone="UTC")[:steps]
    rng = np.random.default_rng(1)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, (assets, steps)), axis=1)).ravel()
    return pl.DataFrame(
        {
            "asset_id": pl.Series(np.repeat(asset_ids[:assets], steps), dtype=pl.Int32),
            "time": pl.concat([times] * assets),
            "price": prices,
            "market_cap": prices * 1e7,
            "volume_24h": prices * 1e5,
            "source": "simulated",
        }
    )


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="crypto-risk bench ingest")
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--assets", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    url = bench_database("crypto_risk_bench_ingest", fresh=True)
    engine = get_engine(url)
    with engine.begin() as conn:
        ids = (
            conn.execute(sa.text("SELECT id FROM crypto_assets ORDER BY id LIMIT :n"), {"n": args.assets})
            .scalars()
            .all()
        )
        ts = timescale.features_enabled(conn)
        conn.execute(sa.text("CREATE TABLE raw_copy_target (LIKE price_history INCLUDING ALL)"))
        if ts:
            conn.execute(sa.text("SELECT create_hypertable('raw_copy_target', by_range('time', INTERVAL '1 day'))"))
    frame = synthetic_prices(args.rows, args.assets, ids)
    start, end = frame["time"].min(), frame["time"].max() + dt.timedelta(seconds=1)

    def truncate(table: str) -> None:
        with engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {table}"))

    def bulk() -> None:
        with transaction(url) as conn:
            replace_window(conn, "price_history", frame, start=start, end=end)

    def raw() -> None:
        with transaction(url) as conn, raw_psycopg(conn).cursor() as cur:
            stmt = sql.SQL("COPY raw_copy_target ({}) FROM STDIN (FORMAT BINARY)").format(
                sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
            )
            with cur.copy(stmt) as copy:
                for chunk in copy_binary.iter_copy_data(frame.select(COLUMNS), TYPES):
                    copy.write(chunk)

    def upsert() -> None:
        with transaction(url) as conn:
            upsert_frame(conn, "price_history", frame)

    results: dict[str, list[float]] = {"bulk": [], "raw": [], "upsert": [], "reupsert": []}
    for _ in range(args.repeat):
        truncate("price_history")
        results["bulk"].append(timed(bulk))
        truncate("raw_copy_target")
        results["raw"].append(timed(raw))
        truncate("price_history")
        results["upsert"].append(timed(upsert))
        results["reupsert"].append(timed(upsert))
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM price_history")).scalar_one()
    assert stored == frame.height, f"expected {frame.height} rows, found {stored}"

    rate = {k: frame.height / median(v) for k, v in results.items()}
    return {
        "rows": frame.height,
        "rows_per_s": round(rate["bulk"]),
        "ratio_vs_raw_copy": round(rate["bulk"] / rate["raw"], 3),
        "upsert_rows_per_s": round(rate["upsert"]),
        "reupsert_unchanged_rows_per_s": round(rate["reupsert"]),
        "raw_copy_rows_per_s": round(rate["raw"]),
        "repeat": args.repeat,
        "timescale": ts,
        "seconds_median": {k: round(median(v), 3) for k, v in results.items()},
    }
