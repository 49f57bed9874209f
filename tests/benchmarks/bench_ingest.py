"""``crypto-risk bench ingest``: price rows per second through the warehouse's write paths, with
pgpq's binary COPY encoder (the writers' own) and, in the same run on the same frame, the hand
encoder it replaced (numpy, grouped by row layout; kept here only for this comparison).

- bulk: ``replace_window`` (validate, lock, delete window + binary COPY), what backfills use;
  ``bulk_hand``: the same call with the writers' COPY swapped for the hand-encoded one;
- raw: a bare binary COPY of the same rows into an empty table shaped like price_history (same
  indexes, constraints and, with Timescale, the same hypertable chunking): the limit; ``raw_hand``
  the same with the hand encoder; ``raw_preencoded`` writes bytes encoded beforehand: the server's
  share alone;
- encode / encode_hand: the encoders alone (no server), one pass over the frame;
- validate: the pandera contract over the frame (part of bulk, not of raw);
- wallet: a bare COPY of ``--wallet-rows`` wallet_transactions rows (numeric, int2, int8, bool):
  types the hand encoder never had, which went through psycopg's ``write_row`` one row at a
  time (``wallet_row_by_row``) until pgpq;
- upsert: ``upsert_frame`` (COPY to staging + INSERT ... ON CONFLICT), what live updates use, on
  new rows; and the same batch again (nothing changes: the idempotent re-ingest).
Each is repeated, alternating the encoders; medians are reported, and ratios are medians of
the ratios of pairs that ran back to back (the machine is shared: load shifts between repeats). Targets: bulk >= 250k rows/s,
>= 0.9 of raw and >= 1.4x the hand encoder's bulk; upsert >= 100k rows/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import polars as pl
import psycopg
import sqlalchemy as sa
from psycopg import sql

from tests.benchmarks.support import bench_database, median, timed
from warehouse import copy_binary, timescale, writes
from warehouse.engine import get_engine, raw_psycopg, transaction
from warehouse.writes import replace_window, upsert_frame

COLUMNS = ["asset_id", "time", "price", "market_cap", "volume_24h", "source"]
TYPES = ["int4", "timestamptz", "float8", "float8", "float8", "text"]
TARGETS = {"rows_per_s": 250_000, "ratio_vs_raw_copy": 0.9, "speedup_vs_hand_encoder": 1.4}


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


WALLET_TYPES = {
    "chain_id": "int4", "address": "text", "tx_hash": "text", "kind": "text", "log_index": "int4",
    "block_number": "int8", "time": "timestamptz", "from_address": "text", "to_address": "text",
    "value": "numeric", "token_address": "text", "token_symbol": "text", "token_decimals": "int2",
    "gas_used": "int8", "is_error": "bool",
}  # fmt: skip


def synthetic_transfers(rows: int) -> pl.DataFrame:
    """wallet_transactions rows: ERC-20 transfers of one wallet, values with 18 decimals."""
    rng = np.random.default_rng(2)
    wallet, other = "0x" + "ab" * 20, "0x" + "cd" * 20
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    values = [f"{int(v)}.{int(f):018d}" for v, f in zip(rng.integers(0, 10**9, rows), rng.integers(0, 10**18, rows), strict=True)]
    return pl.DataFrame(
        {
            "chain_id": pl.Series([1] * rows, dtype=pl.Int32),
            "address": wallet,
            "tx_hash": [f"0x{i:064x}" for i in range(rows)],
            "kind": "erc20",
            "log_index": pl.Series(np.arange(rows) % 7, dtype=pl.Int32),
            "block_number": pl.Series(18_000_000 + np.arange(rows), dtype=pl.Int64),
            "time": pl.datetime_range(start, start + dt.timedelta(seconds=12 * (rows - 1)), "12s", eager=True, time_zone="UTC"),
            "from_address": wallet,
            "to_address": other,
            "value": pl.Series(values).str.to_decimal(scale=18),
            "token_address": other,
            "token_symbol": pl.Series(["USDC", None, "ÜNI"] * (rows // 3) + ["USDC"] * (rows % 3)),
            "token_decimals": pl.Series([18, None, 6] * (rows // 3) + [18] * (rows % 3), dtype=pl.Int16),
            "gas_used": pl.Series(rng.integers(21_000, 200_000, rows), dtype=pl.Int64),
            "is_error": pl.Series(np.arange(rows) % 50 == 0),
        }
    )  # fmt: skip


# --- the hand encoder (the writers' until pgpq), for comparison only -------------------------------

_PG_EPOCH_US = 946_684_800_000_000
_PG_EPOCH_DAYS = 10_957


def _hand_values(series: pl.Series, pg_type: str) -> np.ndarray:
    if pg_type == "timestamptz":
        return series.dt.cast_time_unit("us").to_physical().to_numpy() - _PG_EPOCH_US
    if pg_type == "date":
        return series.cast(pl.Date).to_physical().to_numpy().astype(np.int64) - _PG_EPOCH_DAYS
    if pg_type == "bool":
        return series.cast(pl.UInt8).to_numpy()
    return series.to_numpy()


def _hand_uniform(frame: pl.DataFrame, pg_types: list[str], nulls: tuple[bool, ...], text_len: dict[int, int]) -> bytes:
    """Rows that share one layout (same NULL pattern, same text lengths) as one structured array."""
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for i, pg_type in enumerate(pg_types):
        fields.append((f"l{i}", ">i4"))
        if not nulls[i]:
            fields.append((f"v{i}", f"S{text_len[i]}" if pg_type == "text" else copy_binary.FIXED[pg_type]))
    out = np.empty(frame.height, dtype=np.dtype(fields))
    out["count"] = len(pg_types)
    for i, (series, pg_type) in enumerate(zip(frame.get_columns(), pg_types, strict=True)):
        if nulls[i]:
            out[f"l{i}"] = -1
        elif pg_type == "text":
            out[f"l{i}"] = text_len[i]
            if text_len[i]:
                joined = series.cast(pl.String).str.join("").item().encode()
                out[f"v{i}"] = np.frombuffer(joined, dtype=f"S{text_len[i]}")
        else:
            out[f"l{i}"] = np.dtype(copy_binary.FIXED[pg_type]).itemsize
            out[f"v{i}"] = _hand_values(series, pg_type)
    return out.tobytes()


def _hand_chunk(frame: pl.DataFrame, pg_types: list[str]) -> bytes:
    if frame.height == 0:
        return b""
    names = frame.columns
    keys = [pl.col(c).is_null().alias(f"__n{i}") for i, c in enumerate(names)]
    keys += [
        pl.col(c).cast(pl.String).str.len_bytes().fill_null(0).alias(f"__t{i}")
        for i, (c, t) in enumerate(zip(names, pg_types, strict=True))
        if t == "text"
    ]
    keyed = frame.with_columns(keys)
    key_names = [k.meta.output_name() for k in keys]
    parts = []
    for key, group in keyed.group_by(key_names):
        values = dict(zip(key_names, key, strict=True))
        nulls = tuple(bool(values[f"__n{i}"]) for i in range(len(names)))
        text_len = {i: int(values[f"__t{i}"]) for i, t in enumerate(pg_types) if t == "text"}
        parts.append(_hand_uniform(group.select(names), pg_types, nulls, text_len))
    return b"".join(parts)


def hand_encode(frame: pl.DataFrame, pg_types: list[str], chunk_rows: int = 200_000) -> Iterator[bytes]:
    yield copy_binary.HEADER
    for start in range(0, frame.height, chunk_rows):
        yield _hand_chunk(frame.slice(start, chunk_rows), pg_types)
    yield b"\xff\xff"


def _hand_copy(cur: psycopg.Cursor, target: sql.Composable, columns: list[sa.Column], frame: pl.DataFrame) -> None:
    """The writers' COPY as it was (price_history's types are all the hand encoder's)."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        target, sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    )
    with cur.copy(statement) as copy:
        for chunk in hand_encode(frame.select([c.name for c in columns]), TYPES):
            copy.write(chunk)


@contextmanager
def _hand_encoder_in_writes() -> Iterator[None]:
    """``replace_window`` exactly as it runs, with only its COPY encoder changed back."""
    pgpq_copy = writes._copy
    writes._copy = _hand_copy
    try:
        yield
    finally:
        writes._copy = pgpq_copy


def row_by_row_copy(cur: psycopg.Cursor, statement: sql.Composable, frame: pl.DataFrame, types: list[str]) -> None:
    """The writers' path for types the hand encoder lacked: psycopg encoding one row at a time."""
    with cur.copy(statement) as copy:
        copy.set_types(types)
        for row in frame.iter_rows():
            copy.write_row(row)


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="crypto-risk bench ingest")
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--assets", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--wallet-rows", type=int, default=200_000)
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
        conn.execute(sa.text("CREATE TABLE wallet_copy_target (LIKE wallet_transactions INCLUDING ALL)"))
    frame = synthetic_prices(args.rows, args.assets, ids)
    rows = frame.select(COLUMNS)
    start, end = frame["time"].min(), frame["time"].max() + dt.timedelta(seconds=1)
    preencoded = b"".join(copy_binary.encode(rows, TYPES))
    # Both encoders write the same stream (every row here has one layout, so the hand encoder's
    # grouping keeps the order): the comparison is of the same bytes made two ways.
    assert preencoded == b"".join(hand_encode(rows, TYPES)), "the encoders disagree"

    def truncate(table: str) -> None:
        with engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {table}"))

    def bulk() -> None:
        with transaction(url) as conn:
            replace_window(conn, "price_history", frame, start=start, end=end)

    def bulk_hand() -> None:
        with _hand_encoder_in_writes():
            bulk()

    def raw_copy(chunks) -> None:
        with transaction(url) as conn, raw_psycopg(conn).cursor() as cur:
            stmt = sql.SQL("COPY raw_copy_target ({}) FROM STDIN (FORMAT BINARY)").format(
                sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
            )
            with cur.copy(stmt) as copy:
                for chunk in chunks():
                    copy.write(chunk)

    transfers = synthetic_transfers(args.wallet_rows)
    wallet_types = list(WALLET_TYPES.values())
    wallet_stmt = sql.SQL("COPY wallet_copy_target ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.SQL(", ").join(map(sql.Identifier, WALLET_TYPES))
    )

    def wallet(encode: bool) -> None:
        with transaction(url) as conn, raw_psycopg(conn).cursor() as cur:
            if not encode:
                row_by_row_copy(cur, wallet_stmt, transfers, wallet_types)
                return
            with cur.copy(wallet_stmt) as copy:
                for chunk in copy_binary.encode(transfers, wallet_types):
                    copy.write(chunk)

    def upsert() -> None:
        with transaction(url) as conn:
            upsert_frame(conn, "price_history", frame)

    def drain(chunks) -> None:
        for _ in chunks:
            pass

    results: dict[str, list[float]] = {
        k: []
        for k in (
            "bulk",
            "bulk_hand",
            "raw",
            "raw_hand",
            "raw_preencoded",
            "encode",
            "encode_hand",
            "validate",
            "wallet",
            "wallet_row_by_row",
            "upsert",
            "reupsert",
        )
    }
    steps = {
        "bulk": ("price_history", bulk),
        "bulk_hand": ("price_history", bulk_hand),
        "raw": ("raw_copy_target", lambda: raw_copy(lambda: copy_binary.encode(rows, TYPES))),
        "raw_hand": ("raw_copy_target", lambda: raw_copy(lambda: hand_encode(rows, TYPES))),
        "raw_preencoded": ("raw_copy_target", lambda: raw_copy(lambda: [preencoded])),
        "wallet": ("wallet_copy_target", lambda: wallet(encode=True)),
        "wallet_row_by_row": ("wallet_copy_target", lambda: wallet(encode=False)),
    }
    # One small untimed pass of each path first: imports, plans and pools are warm for both.
    head = frame.head(10_000)
    with transaction(url) as conn:
        replace_window(conn, "price_history", head, start=start, end=end)
    with _hand_encoder_in_writes(), transaction(url) as conn:
        replace_window(conn, "price_history", head, start=start, end=end)
    for i in range(args.repeat):
        # Alternate which encoder goes first, so neither always meets the other's leftovers.
        order = ["bulk", "bulk_hand", "raw", "raw_hand", "wallet", "wallet_row_by_row"]
        if i % 2:
            order = [order[j ^ 1] for j in range(len(order))]
        for name in [*order, "raw_preencoded"]:
            table, fn = steps[name]
            truncate(table)
            results[name].append(timed(fn))
        results["encode"].append(timed(lambda: drain(copy_binary.encode(rows, TYPES))))
        results["encode_hand"].append(timed(lambda: drain(hand_encode(rows, TYPES))))
        results["validate"].append(timed(lambda: writes.validate("price_history", frame)))
        truncate("price_history")
        results["upsert"].append(timed(upsert))
        results["reupsert"].append(timed(upsert))
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM price_history")).scalar_one()
        wallet_stored = conn.execute(
            sa.text(
                "SELECT count(*), sum(value), count(token_decimals) FILTER (WHERE token_decimals = 6) "
                "FROM wallet_copy_target"
            )
        ).one()
    assert stored == frame.height, f"expected {frame.height} rows, found {stored}"
    expected = (transfers.height, transfers["value"].sum(), transfers["token_decimals"].eq(6).sum())
    assert tuple(wallet_stored) == expected, f"wallet rows: expected {expected}, found {tuple(wallet_stored)}"

    seconds = {k: median(v) for k, v in results.items()}
    rate = {k: frame.height / s for k, s in seconds.items()}

    def paired(slow: str, fast: str) -> float:
        """Median over repeats of slow/fast seconds: each pair ran back to back, under the same load."""
        return round(median([a / b for a, b in zip(results[slow], results[fast], strict=True)]), 3)

    out = {
        "rows": frame.height,
        "rows_per_s": round(rate["bulk"]),
        "ratio_vs_raw_copy": paired("raw", "bulk"),
        "speedup_vs_hand_encoder": paired("bulk_hand", "bulk"),
        "hand_encoder": {
            "rows_per_s": round(rate["bulk_hand"]),
            "ratio_vs_raw_copy": paired("raw_hand", "bulk_hand"),
            "raw_copy_rows_per_s": round(rate["raw_hand"]),
        },
        "raw_copy_rows_per_s": round(rate["raw"]),
        "raw_copy_speedup_vs_hand_encoder": paired("raw_hand", "raw"),
        "encode_rows_per_s": round(rate["encode"]),
        "encode_speedup_vs_hand_encoder": paired("encode_hand", "encode"),
        # Where bulk's time goes: the server's COPY of ready bytes, encoding, the contract check.
        "share_of_bulk": {
            "server_copy": round(seconds["raw_preencoded"] / seconds["bulk"], 3),
            "encode": round(seconds["encode"] / seconds["bulk"], 3),
            "encode_hand": round(seconds["encode_hand"] / seconds["bulk"], 3),
            "validate": round(seconds["validate"] / seconds["bulk"], 3),
        },
        "wallet_rows": transfers.height,
        "wallet_copy_rows_per_s": round(transfers.height / seconds["wallet"]),
        "wallet_speedup_vs_row_by_row": paired("wallet_row_by_row", "wallet"),
        "upsert_rows_per_s": round(rate["upsert"]),
        "reupsert_unchanged_rows_per_s": round(rate["reupsert"]),
        "targets": TARGETS,
        "repeat": args.repeat,
        "timescale": ts,
        "seconds_median": {k: round(s, 3) for k, s in seconds.items()},
    }
    out["targets_met"] = {k: out[k] >= v for k, v in TARGETS.items()}
    return out
