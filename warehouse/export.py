"""Analyst export: time-series tables as Hive-partitioned Parquet (``table/date=YYYY-MM-DD/``).

DuckDB and Polars read the folders directly (``read_parquet('.../price_history/**/*.parquet',
hive_partitioning = true)``). Rows stream out of PostgreSQL a month at a time with COPY, so memory
stays flat; each exported day's folder is replaced whole, so re-exporting is idempotent.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import polars as pl
import pyarrow.dataset as ds
import sqlalchemy as sa
from psycopg import sql

from warehouse.engine import get_engine, raw_psycopg
from warehouse.models import metadata
from warehouse.settings import DatabaseUrl

EXPORTABLE = ("price_history", "risk_metrics", "portfolio_risk_metrics")


def _month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    months, cur = [], first.replace(day=1)
    while cur <= last:
        months.append(cur)
        cur = (cur.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months


def _schema(table: sa.Table) -> dict[str, pl.DataType]:
    out: dict[str, pl.DataType] = {}
    for col in table.columns:
        if isinstance(col.type, sa.DateTime):
            out[col.name] = pl.Datetime("us", "UTC")
        elif isinstance(col.type, sa.Float):
            out[col.name] = pl.Float64
        elif isinstance(col.type, sa.BigInteger):
            out[col.name] = pl.Int64
        elif isinstance(col.type, sa.Integer):  # Integer and SmallInteger
            out[col.name] = pl.Int32
        else:
            out[col.name] = pl.String  # text, jsonb (as JSON text), numeric
    return out


def export_table(url: DatabaseUrl, table_name: str, out_dir: Path, *, since: dt.date | None = None) -> int:
    table = metadata.tables[table_name]
    schema = _schema(table)
    target = out_dir / table_name
    target.mkdir(parents=True, exist_ok=True)
    total = 0
    with get_engine(url).connect() as conn:
        bounds = conn.execute(sa.select(sa.func.min(table.c.time), sa.func.max(table.c.time))).one()
        if bounds[0] is None:
            return 0
        first = max(bounds[0].astimezone(dt.UTC).date(), since) if since else bounds[0].astimezone(dt.UTC).date()
        cur = raw_psycopg(conn).cursor()
        for month in _month_starts(first, bounds[1].astimezone(dt.UTC).date()):
            lo = dt.datetime.combine(max(month, first), dt.time(), dt.UTC)
            hi = dt.datetime.combine((month.replace(day=28) + dt.timedelta(days=4)).replace(day=1), dt.time(), dt.UTC)
            query = sql.SQL(
                "COPY (SELECT {cols} FROM {t} WHERE time >= {lo} AND time < {hi} ORDER BY time) "
                "TO STDOUT (FORMAT CSV, HEADER)"
            ).format(
                cols=sql.SQL(", ").join(sql.Identifier(c) for c in schema),
                t=sql.Identifier(table_name),
                lo=sql.Literal(lo),
                hi=sql.Literal(hi),
            )
            buf = io.BytesIO()
            with cur.copy(query) as copy:
                for block in copy:
                    buf.write(block)
            if buf.tell() == 0:
                continue
            buf.seek(0)
            frame = _read(buf, schema)
            if frame.height == 0:
                continue
            frame = frame.with_columns(pl.col("time").dt.date().cast(pl.String).alias("date"))
            ds.write_dataset(
                frame.to_arrow(),
                target,
                format="parquet",
                partitioning=["date"],
                partitioning_flavor="hive",
                existing_data_behavior="delete_matching",
                basename_template="part-{i}.parquet",
            )
            total += frame.height
        conn.rollback()
    return total


def _read(buf: io.BytesIO, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    # PostgreSQL writes timestamptz as "2024-01-01 00:00:00+00": parse as text, then convert.
    raw = pl.read_csv(buf, schema={k: (pl.String if v == pl.Datetime("us", "UTC") else v) for k, v in schema.items()})
    return raw.with_columns(
        pl.col(k).str.to_datetime("%Y-%m-%d %H:%M:%S%.f%#z", time_zone="UTC")
        for k, v in schema.items()
        if v == pl.Datetime("us", "UTC")
    )


def export_tables(
    url: DatabaseUrl, out_dir: Path, tables: tuple[str, ...] = EXPORTABLE, *, since: dt.date | None = None
) -> dict[str, int]:
    unknown = [t for t in tables if t not in EXPORTABLE]
    if unknown:
        raise ValueError(f"not exportable: {', '.join(unknown)}; choose from {', '.join(EXPORTABLE)}")
    return {t: export_table(url, t, out_dir, since=since) for t in tables}
