"""Bulk writes into the warehouse: binary COPY, idempotent upserts and partition rewrites.

Every function takes a SQLAlchemy connection inside the caller's transaction (see
``warehouse.engine.transaction``), so a batch and its outbox event commit together or not at all.

- ``upsert_frame``: live updates. COPY into a temporary staging table, then one
  ``INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE <something changed>``: re-ingesting the same
  rows writes nothing (no new row versions, no WAL), changed rows are updated.
- ``replace_window``: partition rewrites of derived tables (risk). Delete the window, COPY the
  frame straight into the table: the fastest path, and rerunning a partition yields identical rows.
- ``replace_covered``: partition rewrites of provider data (prices). Only the (key, UTC day)
  pairs the new frame covers are replaced; a pair the window held that the frame lacks (a coin
  that failed or came back empty) keeps its stored rows and is reported, never deleted.

A batch is checked against its pandera contract (``warehouse.contracts``) before anything is
sent; database constraint violations are turned into the same ``BatchRejected`` error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandera.errors
import polars as pl
import psycopg
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import Connection

from warehouse import copy_binary
from warehouse.contracts import CONTRACTS
from warehouse.engine import raw_psycopg
from warehouse.models import crypto_assets, metadata

# Tables whose reference to crypto_assets is checked per batch instead of per row (see models).
_BATCH_REFERENCES = {"price_history": "asset_id"}

_MAX_REPORTED_ROWS = 20


class BatchRejected(ValueError):
    """A whole batch was refused; nothing of it was written.

    ``rows`` holds (up to 20 of) the offending rows as dicts, so the caller can name them.
    """

    def __init__(self, table: str, reason: str, rows: Sequence[dict] = ()) -> None:
        self.table = table
        self.reason = reason
        self.rows = list(rows)[:_MAX_REPORTED_ROWS]
        shown = "; ".join(str(r) for r in self.rows[:5])
        more = f" (+{len(rows) - 5} more)" if len(rows) > 5 else ""
        super().__init__(f"{table}: batch rejected, {reason}" + (f": {shown}{more}" if shown else ""))


class UnknownAssets(BatchRejected):
    def __init__(self, table: str, symbols: Iterable[str]) -> None:
        self.symbols = sorted(set(symbols))
        super().__init__(table, f"unknown asset symbol(s) {', '.join(self.symbols)} (not in crypto_assets)")


def asset_ids(conn: Connection, symbols: Iterable[str], *, table: str = "crypto_assets") -> dict[str, int]:
    """Map symbols (any case) to ``crypto_assets.id``; raise ``UnknownAssets`` naming the missing."""
    wanted = {s.upper() for s in symbols}
    if not wanted:
        return {}
    rows = conn.execute(
        sa.select(crypto_assets.c.symbol, crypto_assets.c.id).where(crypto_assets.c.symbol.in_(wanted))
    ).all()
    found = {symbol: id_ for symbol, id_ in rows}
    missing = wanted - found.keys()
    if missing:
        raise UnknownAssets(table, missing)
    return found


def with_asset_ids(conn: Connection, frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """Replace a ``symbol`` column by ``asset_id`` (Int32), rejecting unknown symbols."""
    ids = asset_ids(conn, frame.get_column("symbol").unique().to_list(), table=table)
    mapping = pl.DataFrame(
        {"symbol": list(ids), "asset_id": list(ids.values())},
        schema={"symbol": pl.String, "asset_id": pl.Int32},
    )
    return frame.with_columns(pl.col("symbol").str.to_uppercase()).join(mapping, on="symbol", how="left").drop("symbol")


# --- table shapes ---------------------------------------------------------------------------------

_PG_TYPES: list[tuple[type, str]] = [
    (sa.SmallInteger, "int2"),
    (sa.BigInteger, "int8"),
    (sa.Integer, "int4"),
    (sa.Float, "float8"),
    (sa.DateTime, "timestamptz"),
    (sa.Date, "date"),
    (sa.Boolean, "bool"),
    (sa.Text, "text"),
    (sa.Numeric, "numeric"),
    (sa.LargeBinary, "bytea"),
]


def _pg_type(column: sa.Column) -> str:
    if column.type.__class__.__name__ == "JSONB":
        return "jsonb"
    for sa_type, pg in _PG_TYPES:
        if isinstance(column.type, sa_type):
            return pg
    if isinstance(column.type, sa.ARRAY):
        return "text[]"
    raise TypeError(f"{column.table.name}.{column.name}: no COPY type for {column.type!r}")


def _table(name: str) -> sa.Table:
    try:
        return metadata.tables[name]
    except KeyError:
        raise ValueError(f"unknown warehouse table {name!r}") from None


def _frame_columns(table: sa.Table, frame: pl.DataFrame) -> list[sa.Column]:
    known = {c.name for c in table.columns}
    extra = [c for c in frame.columns if c not in known]
    if extra:
        raise BatchRejected(table.name, f"unknown column(s) {', '.join(extra)}")
    key = [c.name for c in table.primary_key.columns]
    missing = [k for k in key if k not in frame.columns]
    if missing:
        raise BatchRejected(table.name, f"missing key column(s) {', '.join(missing)}")
    return [table.c[name] for name in frame.columns]


def _describe(contract: type, column: str, check: str) -> str:
    if check == "multiple_fields_uniqueness":
        return f"duplicate ({', '.join(contract.Config.unique)}) within the batch"
    return check if column == contract.__name__ else f"{column} {check}"


def validate(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Check ``frame`` against the table's contract; ``BatchRejected`` names the failing rows."""
    contract = CONTRACTS.get(table)
    if contract is None:
        return frame
    try:
        return contract.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        checks = sorted(
            {_describe(contract, r["column"], r["check"]) for r in cases.select("column", "check").to_dicts()}
        )
        indexes = sorted({i for i in cases.get_column("index").to_list() if i is not None})
        rows = frame.with_row_index("row").filter(pl.col("row").is_in(indexes)).head(_MAX_REPORTED_ROWS).to_dicts()
        raise BatchRejected(table, f"{len(indexes) or 'some'} row(s) fail {'; '.join(checks)}", rows) from None


def _duplicates(table: sa.Table, frame: pl.DataFrame) -> None:
    key = [c.name for c in table.primary_key.columns]
    contract = CONTRACTS.get(table.name)
    if contract is not None and sorted(getattr(contract.Config, "unique", [])) == sorted(key):
        return  # the contract already refused duplicate keys
    dup = frame.filter(pl.struct(key).is_duplicated())
    if dup.height:
        raise BatchRejected(
            table.name, f"duplicate key ({', '.join(key)}) within the batch", dup.select(key).to_dicts()
        )


def _lock_references(conn: Connection, table: str, frame: pl.DataFrame) -> None:
    """The foreign-key check, once per batch: lock the referenced assets (KEY SHARE, as a foreign
    key would, so nobody deletes them before we commit) and refuse ids that do not exist."""
    column = _BATCH_REFERENCES.get(table)
    if column is None or frame.height == 0:
        return
    wanted = set(frame.get_column(column).unique().to_list())
    found = set(
        conn.execute(
            sa.select(crypto_assets.c.id).where(crypto_assets.c.id.in_(wanted)).with_for_update(key_share=True)
        ).scalars()
    )
    missing = sorted(wanted - found)
    if missing:
        rows = frame.filter(pl.col(column).is_in(missing)).head(_MAX_REPORTED_ROWS).to_dicts()
        raise BatchRejected(table, f"a row references a missing crypto asset ({column} {missing})", rows)


def _copy(cur: psycopg.Cursor, target: sql.Composable, columns: list[sa.Column], frame: pl.DataFrame) -> None:
    """Binary COPY of ``frame`` into ``target`` on the caller's connection (and transaction),
    encoded by pgpq (``copy_binary.encode``): every column type, no row-by-row path."""
    table = columns[0].table.name
    try:
        chunks = copy_binary.encode(frame.select([c.name for c in columns]), [_pg_type(c) for c in columns])
    except (TypeError, ValueError) as exc:
        raise BatchRejected(table, str(exc)) from None
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        target, sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    )
    # The server reads binary COPY text in the client encoding (COPY's ENCODING option does not
    # apply to binary), and pgpq writes UTF-8: under another client encoding text would be mangled.
    encoding = cur.connection.info.parameter_status("client_encoding")
    if encoding != "UTF8":
        cur.execute("SELECT set_config('client_encoding', 'UTF8', true)")
    with cur.copy(statement) as copy:
        for chunk in chunks:
            copy.write(chunk)
    if encoding != "UTF8":
        cur.execute("SELECT set_config('client_encoding', %s, true)", (encoding,))


def _translate(table: str, exc: psycopg.Error) -> BatchRejected:
    diag = exc.diag
    detail = diag.message_detail or ""
    what = {
        psycopg.errors.ForeignKeyViolation: "references a missing row",
        psycopg.errors.CheckViolation: f"violates check {diag.constraint_name}",
        psycopg.errors.NotNullViolation: f"has NULL in required column {diag.column_name}",
        psycopg.errors.UniqueViolation: "duplicates an existing key",
        psycopg.errors.CardinalityViolation: "repeats a key within the batch",
    }.get(type(exc), diag.message_primary or str(exc))
    return BatchRejected(table, f"a row {what}" + (f" ({detail})" if detail else ""))


_DB_ERRORS = (psycopg.errors.IntegrityError, psycopg.errors.CardinalityViolation, psycopg.errors.DataError)


def upsert_frame(conn: Connection, table: str, frame: pl.DataFrame) -> int:
    """Insert new rows and update changed ones (by primary key); return rows written.

    Rows equal to what is stored are skipped by the ``WHERE ... IS DISTINCT FROM`` guard, so
    re-ingesting a batch returns 0 and leaves the table untouched.
    """
    tbl = _table(table)
    frame = validate(table, frame)
    columns = _frame_columns(tbl, frame)
    _duplicates(tbl, frame)
    if frame.height == 0:
        return 0
    _lock_references(conn, table, frame)
    key = [c.name for c in tbl.primary_key.columns]
    values = [c.name for c in columns if c.name not in key]
    staging = sql.Identifier(f"_staging_{table}")
    cols = sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    if values:
        target = sql.SQL(", ").join(sql.SQL("{0}.{1}").format(sql.Identifier(table), sql.Identifier(v)) for v in values)
        excluded = sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(v)) for v in values)
        action = sql.SQL("DO UPDATE SET ({}) = ROW({}) WHERE ({}) IS DISTINCT FROM ({})").format(
            sql.SQL(", ").join(sql.Identifier(v) for v in values), excluded, target, excluded
        )
    else:
        action = sql.SQL("DO NOTHING")
    raw = raw_psycopg(conn)
    try:
        with raw.transaction(), raw.cursor() as cur:
            # A savepoint: a rejected batch rolls back to here, leaving the caller's transaction usable.
            cur.execute(
                sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS").format(
                    staging, sql.Identifier(table)
                )
            )
            cur.execute(sql.SQL("TRUNCATE {}").format(staging))
            _copy(cur, staging, columns, frame)
            cur.execute(
                sql.SQL("INSERT INTO {t} ({c}) SELECT {c} FROM {s} ON CONFLICT ({k}) {a}").format(
                    t=sql.Identifier(table),
                    c=cols,
                    s=staging,
                    k=sql.SQL(", ").join(sql.Identifier(k) for k in key),
                    a=action,
                )
            )
            return cur.rowcount
    except _DB_ERRORS as exc:
        raise _translate(table, exc) from None


def replace_window(
    conn: Connection,
    table: str,
    frame: pl.DataFrame,
    *,
    start: dt.datetime,
    end: dt.datetime,
    scope: dict[str, Sequence] | None = None,
) -> int:
    """Replace every row with ``start <= time < end`` (within ``scope``) by ``frame``'s rows.

    One transaction with the caller's other writes; bound parameters only. Rows of ``frame``
    outside the window or the scope are refused: they would survive the next rewrite twice.
    """
    tbl = _table(table)
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("replace_window needs timezone-aware start and end")
    if not start < end:
        raise ValueError(f"empty window: start {start} is not before end {end}")
    frame = validate(table, frame)
    columns = _frame_columns(tbl, frame)
    _duplicates(tbl, frame)
    outside = frame.filter((pl.col("time") < start) | (pl.col("time") >= end))
    for column, allowed in (scope or {}).items():
        outside = pl.concat([outside, frame.filter(~pl.col(column).is_in(list(allowed)))])
    if outside.height:
        raise BatchRejected(
            table,
            f"row(s) outside the window [{start}, {end}) or scope {scope}",
            outside.head(_MAX_REPORTED_ROWS).to_dicts(),
        )
    _lock_references(conn, table, frame)
    condition = (tbl.c.time >= start) & (tbl.c.time < end)
    for column, allowed in (scope or {}).items():
        condition &= tbl.c[column].in_(list(allowed))
    raw = raw_psycopg(conn)
    try:
        with raw.transaction():
            conn.execute(sa.delete(tbl).where(condition))
            if frame.height:
                with raw.cursor() as cur:
                    _copy(cur, sql.Identifier(table), columns, frame)
    except _DB_ERRORS as exc:
        raise _translate(table, exc) from None
    return frame.height


@dataclass(frozen=True)
class Coverage:
    """What ``replace_covered`` did: rows written, (key, day) pairs rewritten, and the stored
    pairs of the window it left alone because the new frame had nothing for them."""

    rows: int
    replaced: int
    kept: list[tuple[int, dt.date]]


_HELD = sql.SQL("""
    SELECT {key}::bigint, date_trunc('day', time, 'UTC') AS day FROM {table}
    WHERE time >= %(start)s AND time < %(end)s GROUP BY 1, 2
""")
_DELETE_RANGES = sql.SQL("""
    DELETE FROM {table} t USING unnest(%(keys)s::bigint[], %(starts)s::timestamptz[], %(ends)s::timestamptz[]) AS r(k, s, e)
    WHERE t.{key} = r.k AND t.time >= r.s AND t.time < r.e
""")


def _day_ranges(covered: pl.DataFrame, key: str, start: dt.datetime, end: dt.datetime) -> pl.DataFrame:
    """Covered (key, day) pairs merged into runs of consecutive days, clipped to the window."""
    return (
        covered.sort(key, "day")
        .with_columns((pl.col("day").diff().over(key) != dt.timedelta(days=1)).fill_null(True).cum_sum().alias("run"))
        .group_by(key, "run")
        .agg(pl.col("day").min().alias("s"), (pl.col("day").max() + dt.timedelta(days=1)).alias("e"))
        .with_columns(pl.max_horizontal(pl.col("s"), pl.lit(start)).alias("s"),
                      pl.min_horizontal(pl.col("e"), pl.lit(end)).alias("e"))
    )


def replace_covered(conn: Connection, table: str, frame: pl.DataFrame, *, start: dt.datetime, end: dt.datetime,
                    key: str = "asset_id") -> Coverage:
    """Replace, within [start, end), the rows of each (``key``, UTC day) that ``frame`` has rows
    for; keep every other stored row. One transaction with the caller's writes."""
    tbl = _table(table)
    if start.tzinfo is None or end.tzinfo is None or not start < end:
        raise ValueError(f"replace_covered needs an aware, non-empty window, got [{start}, {end})")
    frame = validate(table, frame)
    columns = _frame_columns(tbl, frame)
    _duplicates(tbl, frame)
    outside = frame.filter((pl.col("time") < start) | (pl.col("time") >= end))
    if outside.height:
        raise BatchRejected(table, f"row(s) outside the window [{start}, {end})", outside.head(_MAX_REPORTED_ROWS).to_dicts())
    if key not in tbl.c:
        raise ValueError(f"{table} has no column {key!r}")
    _lock_references(conn, table, frame)
    names = {"table": sql.Identifier(table), "key": sql.Identifier(key)}
    covered = frame.select(pl.col(key).cast(pl.Int64), pl.col("time").dt.truncate("1d").alias("day")).unique()
    raw = raw_psycopg(conn)
    with raw.cursor() as cur:
        held = pl.DataFrame(cur.execute(_HELD.format(**names), {"start": start, "end": end}).fetchall(),
                            schema={key: pl.Int64, "day": pl.Datetime("us", "UTC")}, orient="row")
    kept = held.join(covered, on=[key, "day"], how="anti").sort(key, "day")
    ranges = _day_ranges(covered, key, start, end)
    try:
        with raw.transaction(), raw.cursor() as cur:
            if ranges.height:
                cur.execute(_DELETE_RANGES.format(**names), {
                    "keys": ranges[key].to_list(), "starts": ranges["s"].to_list(), "ends": ranges["e"].to_list()})
            if frame.height:
                _copy(cur, sql.Identifier(table), columns, frame)
    except _DB_ERRORS as exc:
        raise _translate(table, exc) from None
    return Coverage(frame.height, covered.height, [(k, d.date()) for k, d in kept.iter_rows()])


def copy_frame(conn: Connection, table: str, frame: pl.DataFrame) -> int:
    """Plain binary COPY of validated rows into ``table`` (appends; conflicts raise)."""
    tbl = _table(table)
    frame = validate(table, frame)
    columns = _frame_columns(tbl, frame)
    _lock_references(conn, table, frame)
    raw = raw_psycopg(conn)
    try:
        with raw.transaction(), raw.cursor() as cur:
            _copy(cur, sql.Identifier(table), columns, frame)
    except _DB_ERRORS as exc:
        raise _translate(table, exc) from None
    return frame.height
