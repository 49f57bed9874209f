"""Helpers the domains' asset checks share: run a pandera model on a collected frame, read a window."""

from __future__ import annotations

import datetime as dt

import pandera.errors
import pandera.polars as pa
import polars as pl
import sqlalchemy as sa
from dagster import AssetCheckResult, AssetCheckSeverity
from sqlalchemy.engine import Connection

from warehouse.models import metadata


def read_window(conn: Connection, table: str, start: dt.datetime, end: dt.datetime, columns: list[str]) -> pl.DataFrame:
    """Rows of ``table`` with ``start <= time < end`` (selected columns, jsonb left out)."""
    tbl = metadata.tables[table]
    rows = conn.execute(
        sa.select(*[tbl.c[c] for c in columns]).where(tbl.c.time >= start, tbl.c.time < end)
    ).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=columns, orient="row", infer_schema_length=None)


def pandera_result(model: type[pa.DataFrameModel], frame: pl.DataFrame, *, min_rows: int = 1, **metadata) -> AssetCheckResult:
    """Validate ``frame`` (collected, so value checks run) and report failures as check metadata."""
    meta = {"rows": frame.height, **metadata}
    if frame.height < min_rows:
        return AssetCheckResult(passed=False, severity=AssetCheckSeverity.ERROR,
                                metadata={**meta, "reason": f"expected at least {min_rows} row(s), found {frame.height}"})
    try:
        model.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases.select("column", "check").unique().head(20)
        return AssetCheckResult(passed=False, severity=AssetCheckSeverity.ERROR,
                                metadata={**meta, "failures": str(cases.to_dicts())})
    return AssetCheckResult(passed=True, metadata=meta)
