"""TimescaleDB features, applied by migration 0003 when the extension is available.

Without the extension the same names exist as plain tables and plain views, so every query in
``warehouse.queries`` works either way; ``features_enabled`` tells which one a database has.
Timescale statements take no bound parameters for identifiers, so every name here is a constant.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.settings import ConfigError, timescale_wanted

log = logging.getLogger(__name__)

RETENTION_ENV = "CRYPTO_RISK_RAW_RETENTION_DAYS"

# table -> (chunk interval, segment-by column, compress after)
HYPERTABLES = {
    "price_history": ("1 day", "asset_id", "7 days"),
    "risk_metrics": ("30 days", "asset_id", "90 days"),
    "portfolio_risk_metrics": ("30 days", "portfolio_id", "90 days"),
}
ROLLUPS = {"price_ohlcv_1h": "1 hour", "price_ohlcv_1d": "1 day"}
# Rollup chunks: few, large ones (the default, 10x the raw chunk, would make a year of daily
# candles span 37 chunks and every read plan them all).
_ROLLUP_CHUNKS = {"price_ohlcv_1h": "30 days", "price_ohlcv_1d": "1 year"}
# How far back each refresh policy re-materializes, and how often it runs.
_REFRESH = {
    "price_ohlcv_1h": ("3 days", "1 hour", "30 minutes"),
    "price_ohlcv_1d": ("7 days", "1 hour", "1 hour"),
}

# The close series: each asset's daily closes of one UTC month, packed, a rollup of
# ``price_ohlcv_1d`` (a hierarchical continuous aggregate). ``days`` holds each day's start and
# ``closes`` its close, in order, as the concatenated big-endian binary forms of timestamptz
# (microseconds since 2000-01-01) and float8: what the server would encode value by value on every
# read is encoded once, on refresh, and a read sends bytes as they are stored. A year of one asset
# is 12-13 rows instead of 365: see ``warehouse.queries.prices.daily_closes``. Months are
# materialized only once complete; the running month is computed on read from the daily rollup.
# Analysts read the daily candles (``price_ohlcv_1d``); this rollup serves the risk engine.
SERIES = "price_closes_1mo"
_SERIES_SELECT = """
        SELECT asset_id, {month} AS month,
               string_agg(timestamptz_send(bucket), ''::bytea ORDER BY bucket) AS days,
               string_agg(float8send(close), ''::bytea ORDER BY bucket) AS closes
        FROM price_ohlcv_1d WHERE close IS NOT NULL GROUP BY asset_id, month"""
# How far back the series' policy re-materializes (months whose daily candles were rewritten
# earlier are refreshed by ``refresh_rollups``), up to a day ago, and how often.
_SERIES_REFRESH = ("3 months", "1 day", "1 hour")

_warned = False


def extension_available(conn: Connection) -> bool:
    return (
        conn.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")).scalar() is not None
    )


def features_enabled(conn: Connection) -> bool:
    """True when this database has the timescaledb extension created (hypertables are on)."""
    return conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")).scalar() is not None


def warn_once_if_disabled(conn: Connection) -> bool:
    """Say once per process, clearly, that Timescale features are off; returns features_enabled."""
    global _warned
    enabled = features_enabled(conn)
    if not enabled and not _warned:
        _warned = True
        log.warning(
            "TimescaleDB is not enabled in this database: price_history and the risk tables are plain "
            "tables (no compression, retention or continuous aggregates); price rollups are computed "
            "on read. Everything works, only slower on large histories."
        )
    return enabled


def retention_days() -> int | None:
    raw = os.environ.get(RETENTION_ENV, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{RETENTION_ENV} must be a whole number of days >= 1, got {raw!r}")
    return int(raw)


def _ohlcv_select(bucket_expr: str) -> str:
    return f"""
        SELECT asset_id, {bucket_expr} AS bucket,
               first(price, time) AS open, max(price) AS high, min(price) AS low,
               last(price, time) AS close, last(volume_24h, time) AS volume, count(*) AS ticks
        FROM price_history GROUP BY asset_id, bucket"""


def enable(conn: Connection) -> None:
    """Create the extension, hypertables, compression, policies and continuous aggregates."""
    conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS timescaledb"))
    for table, (chunk, segment, compress_after) in HYPERTABLES.items():
        conn.execute(
            sa.text(
                f"SELECT create_hypertable('{table}', by_range('time', INTERVAL '{chunk}'), "
                "if_not_exists => TRUE, migrate_data => TRUE)"
            )
        )
        conn.execute(
            sa.text(
                f"ALTER TABLE {table} SET (timescaledb.compress, "
                f"timescaledb.compress_segmentby = '{segment}', timescaledb.compress_orderby = 'time DESC')"
            )
        )
        conn.execute(
            sa.text(f"SELECT add_compression_policy('{table}', INTERVAL '{compress_after}', if_not_exists => TRUE)")
        )
    for view, width in ROLLUPS.items():
        conn.execute(
            sa.text(
                f"CREATE MATERIALIZED VIEW IF NOT EXISTS {view} "
                "WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS"
                + _ohlcv_select(f"time_bucket(INTERVAL '{width}', time)")
                + " WITH NO DATA"
            )
        )
        conn.execute(sa.text(f"SELECT set_chunk_time_interval('{view}', INTERVAL '{_ROLLUP_CHUNKS[view]}')"))
        start, end, every = _REFRESH[view]
        conn.execute(
            sa.text(
                f"SELECT add_continuous_aggregate_policy('{view}', start_offset => INTERVAL '{start}', "
                f"end_offset => INTERVAL '{end}', schedule_interval => INTERVAL '{every}', if_not_exists => TRUE)"
            )
        )
    set_raw_retention(conn, retention_days())


def set_raw_retention(conn: Connection, days: int | None) -> None:
    """Drop raw price chunks older than ``days`` (None: keep everything). The rollups keep the
    hourly and daily candles of dropped chunks, Timescale's downsampling pattern."""
    conn.execute(sa.text("SELECT remove_retention_policy('price_history', if_exists => TRUE)"))
    if days is not None:
        conn.execute(sa.text("SELECT add_retention_policy('price_history', make_interval(days => :d))"), {"d": days})


def create_plain_rollups(conn: Connection) -> None:
    """The same rollup names as plain views (no extension): first/last via ordered aggregates."""
    for view, width in ROLLUPS.items():
        unit = width.split()[1]
        conn.execute(
            sa.text(
                f"""CREATE OR REPLACE VIEW {view} AS
                SELECT asset_id, date_trunc('{unit}', time) AS bucket,
                       (array_agg(price ORDER BY time))[1] AS open, max(price) AS high, min(price) AS low,
                       (array_agg(price ORDER BY time DESC))[1] AS close,
                       (array_agg(volume_24h ORDER BY time DESC))[1] AS volume, count(*) AS ticks
                FROM price_history GROUP BY asset_id, bucket"""
            )
        )


def create_close_series(conn: Connection) -> None:
    """The monthly close series over the daily rollup: a continuous aggregate with the extension
    (real-time, so the running month is always current), a plain view without."""
    if not features_enabled(conn):
        month = "date_trunc('month', bucket, 'UTC')"
        conn.execute(sa.text(f"CREATE OR REPLACE VIEW {SERIES} AS" + _SERIES_SELECT.format(month=month)))
        return
    conn.execute(
        sa.text(
            f"CREATE MATERIALIZED VIEW IF NOT EXISTS {SERIES} "
            "WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS"
            + _SERIES_SELECT.format(month="time_bucket(INTERVAL '1 month', bucket)")
            + " WITH NO DATA"
        )
    )
    start, end, every = _SERIES_REFRESH
    conn.execute(
        sa.text(
            f"SELECT add_continuous_aggregate_policy('{SERIES}', start_offset => INTERVAL '{start}', "
            f"end_offset => INTERVAL '{end}', schedule_interval => INTERVAL '{every}', if_not_exists => TRUE)"
        )
    )


def drop_close_series(conn: Connection) -> None:
    _drop_view(conn, SERIES)


def drop_rollups(conn: Connection) -> None:
    for view in ROLLUPS:
        _drop_view(conn, view, cascade=True)


def _drop_view(conn: Connection, view: str, *, cascade: bool = False) -> None:
    kind = "MATERIALIZED VIEW" if features_enabled(conn) and _is_matview(conn, view) else "VIEW"
    conn.execute(sa.text(f"DROP {kind} IF EXISTS {view}" + (" CASCADE" if cascade else "")))


def _is_matview(conn: Connection, name: str) -> bool:
    found = conn.execute(
        sa.text("SELECT 1 FROM timescaledb_information.continuous_aggregates WHERE view_name = :n"), {"n": name}
    )
    return found.scalar() is not None


def remove_policies(conn: Connection) -> None:
    for table in HYPERTABLES:
        conn.execute(sa.text(f"SELECT remove_compression_policy('{table}', if_exists => TRUE)"))
    conn.execute(sa.text("SELECT remove_retention_policy('price_history', if_exists => TRUE)"))


def should_enable(conn: Connection) -> bool:
    return timescale_wanted() and extension_available(conn)


def refresh_rollups(autocommit_conn: Connection, start: dt.datetime, end: dt.datetime) -> None:
    """Materialize the rollups for a written range now (policies only look back days).

    Each rollup refreshes the whole buckets the range touches (a refresh rewrites only buckets
    inside its window), the series after the daily candles it is built from. The running bucket
    (this hour, today, this month) is never materialized: its later rows would be missing until
    the next refresh, while left alone it is computed on read from what is stored now.

    Must run outside a transaction block (Timescale's rule): pass an AUTOCOMMIT connection.
    A no-op without the extension, where the rollups are views computed on read.
    """
    if not features_enabled(autocommit_conn):
        return
    refresh = sa.text(
        "CALL refresh_continuous_aggregate(CAST(:view AS regclass), CAST(:s AS timestamptz), CAST(:e AS timestamptz))"
    )
    now = dt.datetime.now(dt.UTC)
    units = {**{view: width.split()[1] for view, width in ROLLUPS.items()}, SERIES: "month"}
    for view, unit in units.items():  # the series last: it is built from the daily rollup
        first = bucket_start(unit, start)
        stop = min(_bucket_after(unit, bucket_start(unit, end - dt.timedelta(microseconds=1))), bucket_start(unit, now))
        if stop > first:
            autocommit_conn.execute(refresh, {"view": view, "s": first, "e": stop})


_TRUNCATE = {
    "hour": {"minute": 0, "second": 0, "microsecond": 0},
    "day": {"hour": 0, "minute": 0, "second": 0, "microsecond": 0},
    "month": {"day": 1, "hour": 0, "minute": 0, "second": 0, "microsecond": 0},
}


def bucket_start(unit: str, t: dt.datetime) -> dt.datetime:
    """The start of the UTC hour, day or month holding ``t``."""
    return t.astimezone(dt.UTC).replace(**_TRUNCATE[unit])


def _bucket_after(unit: str, bucket: dt.datetime) -> dt.datetime:
    if unit == "month":
        return (bucket + dt.timedelta(days=32)).replace(day=1)
    return bucket + dt.timedelta(**{f"{unit}s": 1})
