"""Public market reads: assets, price candles, per-asset risk, the global market and trending coins.

Candles come from the ``price_ohlcv_1h`` / ``price_ohlcv_1d`` rollups, which are continuous
aggregates under TimescaleDB and plain views otherwise: the same query works on both.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import (
    METRIC_COLUMNS,
    crypto_assets,
    global_market,
    market_snapshots,
    price_history,
    risk_metrics,
    trending_coins,
)
from warehouse.queries import Page, one, paged, rows

ROLLUP_VIEWS = {"1h": "price_ohlcv_1h", "1d": "price_ohlcv_1d"}
ASSET_COLUMNS = (
    crypto_assets.c.id,
    crypto_assets.c.symbol,
    crypto_assets.c.name,
    crypto_assets.c.coingecko_id,
    crypto_assets.c.is_stablecoin,
    crypto_assets.c.category,
    crypto_assets.c.market_cap_rank,
)


def _rollup(interval: str) -> sa.TableClause:
    return sa.table(
        ROLLUP_VIEWS[interval],
        *(sa.column(c) for c in ("asset_id", "bucket", "open", "high", "low", "close", "volume", "ticks")),
    )


def list_assets(conn: Connection, *, limit: int, offset: int, category: str | None = None) -> Page:
    query = (
        sa.select(*ASSET_COLUMNS)
        .where(crypto_assets.c.is_active)
        .order_by(crypto_assets.c.market_cap_rank.asc().nulls_last(), crypto_assets.c.symbol)
    )
    if category is not None:
        query = query.where(crypto_assets.c.category == category)
    return paged(conn, query, limit=limit, offset=offset)


def asset_id(conn: Connection, symbol: str) -> int | None:
    stmt = sa.select(crypto_assets.c.id).where(crypto_assets.c.symbol == symbol, crypto_assets.c.is_active)
    return conn.execute(stmt).scalar()


def get_asset(conn: Connection, symbol: str) -> dict[str, Any] | None:
    """The asset with its latest price and latest market snapshot (None where never seen)."""
    asset = one(conn.execute(sa.select(*ASSET_COLUMNS).where(crypto_assets.c.symbol == symbol)))
    if asset is None:
        return None
    price = one(
        conn.execute(
            sa.select(
                price_history.c.price,
                price_history.c.time,
                price_history.c.market_cap,
                price_history.c.volume_24h,
            )
            .where(price_history.c.asset_id == asset["id"])
            .order_by(price_history.c.time.desc())
            .limit(1)
        )
    )
    snapshot = one(
        conn.execute(
            sa.select(
                market_snapshots.c.time,
                market_snapshots.c.price,
                market_snapshots.c.market_cap,
                market_snapshots.c.total_volume,
                market_snapshots.c.price_change_pct_24h,
                market_snapshots.c.circulating_supply,
                market_snapshots.c.ath,
            )
            .where(market_snapshots.c.asset_id == asset["id"])
            .order_by(market_snapshots.c.time.desc())
            .limit(1)
        )
    )
    return {**asset, "latest_price": price, "snapshot": snapshot}


def prices(
    conn: Connection,
    symbol: str,
    interval: str,
    *,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    offset: int,
) -> Page | None:
    """OHLCV candles at ``interval`` ('1h' or '1d'), oldest first, ``start <= bucket < end``."""
    aid = asset_id(conn, symbol)
    if aid is None:
        return None
    view = _rollup(interval)
    query = (
        sa.select(
            view.c.bucket.label("time"),
            view.c.open,
            view.c.high,
            view.c.low,
            view.c.close,
            view.c.volume,
            view.c.ticks,
        )
        .where(view.c.asset_id == aid)
        .order_by(view.c.bucket)
    )
    if start is not None:
        query = query.where(view.c.bucket >= start)
    if end is not None:
        query = query.where(view.c.bucket < end)
    return paged(conn, query, limit=limit, offset=offset)


def asset_risk(conn: Connection, symbol: str) -> dict[str, Any] | None:
    """Latest risk metrics of an asset; ``{"metrics": None}`` when none were computed yet."""
    aid = asset_id(conn, symbol)
    if aid is None:
        return None
    row = one(
        conn.execute(
            sa.select(
                risk_metrics.c.time,
                risk_metrics.c.window_days,
                *(risk_metrics.c[m] for m in METRIC_COLUMNS),
                risk_metrics.c.null_reasons,
                risk_metrics.c.computed_at,
            )
            .where(risk_metrics.c.asset_id == aid)
            .order_by(risk_metrics.c.time.desc())
            .limit(1)
        )
    )
    return {"symbol": symbol, "metrics": row}


def overview(conn: Connection, *, top: int = 10) -> dict[str, Any]:
    """Latest global market figures and the top assets by market cap at their latest snapshot."""
    glob = one(conn.execute(sa.select(global_market).order_by(global_market.c.time.desc()).limit(1)))
    latest = (
        sa.select(market_snapshots)
        .where(market_snapshots.c.asset_id == crypto_assets.c.id)
        .order_by(market_snapshots.c.time.desc())
        .limit(1)
        .lateral("snap")
    )
    leaders = rows(
        conn.execute(
            sa.select(
                crypto_assets.c.symbol,
                crypto_assets.c.name,
                latest.c.time,
                latest.c.price,
                latest.c.market_cap,
                latest.c.market_cap_rank,
                latest.c.total_volume,
                latest.c.price_change_pct_24h,
            )
            .select_from(crypto_assets.join(latest, sa.true()))
            .where(crypto_assets.c.is_active)
            .order_by(latest.c.market_cap.desc().nulls_last())
            .limit(top)
        )
    )
    return {"global": glob, "top_assets": leaders}


def trending(conn: Connection, *, limit: int, offset: int) -> Page:
    """The most recent trending list, by rank."""
    latest = sa.select(sa.func.max(trending_coins.c.time)).scalar_subquery()
    query = (
        sa.select(
            trending_coins.c.time,
            trending_coins.c.rank,
            trending_coins.c.coingecko_id,
            trending_coins.c.symbol,
            trending_coins.c.name,
            trending_coins.c.market_cap_rank,
            trending_coins.c.price_btc,
            trending_coins.c.score,
        )
        .where(trending_coins.c.time == latest)
        .order_by(trending_coins.c.rank)
    )
    return paged(conn, query, limit=limit, offset=offset)


def latest_snapshots(conn: Connection, since: dt.datetime) -> pl.DataFrame:
    """Each asset's newest ``market_snapshots`` row since ``since``."""
    found = conn.execute(sa.text(
        "SELECT DISTINCT ON (asset_id) asset_id, price, market_cap, market_cap_rank FROM market_snapshots "
        "WHERE time >= :since ORDER BY asset_id, time DESC"), {"since": since}).all()
    return pl.DataFrame([tuple(r) for r in found], orient="row", schema={
        "asset_id": pl.Int32, "price": pl.Float64, "market_cap": pl.Float64, "market_cap_rank": pl.Int32})
