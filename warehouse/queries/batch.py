"""Reads and writes of the batch side (the orchestrated assets, sensors and maintenance jobs).

Everything takes a connection inside the caller's transaction; bound parameters only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import polars as pl
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import Connection

from warehouse.engine import raw_psycopg
from warehouse.models import (
    alert_rules,
    alerts,
    correlation_matrices,
    crypto_assets,
    portfolio_holdings,
    portfolios,
    provider_health,
)

# --- holdings ------------------------------------------------------------------------------------


def holdings(conn: Connection, portfolio_ids: Sequence[int] | None = None) -> pl.DataFrame:
    """Every portfolio (also empty ones) with its positions: ``portfolio_id, user_id, symbol, quantity``
    (symbol and quantity null for a portfolio without holdings)."""
    query = (
        sa.select(
            portfolios.c.id.label("portfolio_id"),
            portfolios.c.user_id,
            crypto_assets.c.symbol,
            sa.cast(portfolio_holdings.c.quantity, sa.Float).label("quantity"),
        )
        .select_from(
            portfolios.outerjoin(portfolio_holdings, portfolio_holdings.c.portfolio_id == portfolios.c.id).outerjoin(
                crypto_assets, crypto_assets.c.id == portfolio_holdings.c.asset_id
            )
        )
        .order_by(portfolios.c.id, crypto_assets.c.symbol)
    )
    if portfolio_ids is not None:
        query = query.where(portfolios.c.id.in_(list(portfolio_ids)))
    rows = conn.execute(query).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema={"portfolio_id": pl.Int64, "user_id": pl.Int64, "symbol": pl.String, "quantity": pl.Float64},
        orient="row",
    )


def asset_table(conn: Connection) -> pl.DataFrame:
    rows = conn.execute(sa.select(crypto_assets.c.id, crypto_assets.c.symbol).order_by(crypto_assets.c.id)).all()
    return pl.DataFrame(
        [tuple(r) for r in rows], schema={"asset_id": pl.Int32, "symbol": pl.String}, orient="row"
    )


def sync_wallet_holdings(conn: Connection, frame: pl.DataFrame) -> list[int]:
    """Make ``source='wallet'`` holdings equal ``frame`` (``portfolio_id, asset_id, quantity``) for the
    portfolios in it; manual and CSV positions are never overwritten. Returns changed portfolio ids."""
    changed: set[int] = set()
    scope = sorted(set(frame.get_column("portfolio_id").to_list()))
    if not scope:
        return []
    wanted = {(r["portfolio_id"], r["asset_id"]): r["quantity"] for r in frame.iter_rows(named=True)}
    current = conn.execute(
        sa.select(
            portfolio_holdings.c.id,
            portfolio_holdings.c.portfolio_id,
            portfolio_holdings.c.asset_id,
            portfolio_holdings.c.quantity,
            portfolio_holdings.c.source,
        ).where(portfolio_holdings.c.portfolio_id.in_(scope))
    ).all()
    held = {(r.portfolio_id, r.asset_id): r for r in current}
    for key, row in held.items():
        if row.source == "wallet" and key not in wanted:
            conn.execute(sa.delete(portfolio_holdings).where(portfolio_holdings.c.id == row.id))
            changed.add(key[0])
    for key, quantity in wanted.items():
        row = held.get(key)
        if row is None:
            conn.execute(
                sa.insert(portfolio_holdings).values(
                    portfolio_id=key[0], asset_id=key[1], quantity=quantity, source="wallet"
                )
            )
            changed.add(key[0])
        elif row.source == "wallet" and row.quantity != quantity:
            conn.execute(
                sa.update(portfolio_holdings)
                .where(portfolio_holdings.c.id == row.id)
                .values(quantity=quantity, updated_at=sa.func.now())
            )
            changed.add(key[0])
    return sorted(changed)


def ensure_user(conn: Connection, email: str, password_hash: str, *, display_name: str | None = None) -> tuple[int, bool]:
    """The user with ``email`` (created with ``password_hash`` if absent); returns (id, created)."""
    found = conn.execute(sa.text("SELECT id FROM users WHERE email = :e"), {"e": email.lower()}).scalar()
    if found is not None:
        return found, False
    new = conn.execute(
        sa.text("INSERT INTO users (email, password_hash, display_name) VALUES (:e, :h, :d) RETURNING id"),
        {"e": email.lower(), "h": password_hash, "d": display_name},
    ).scalar_one()
    return new, True


def ensure_portfolio(conn: Connection, user_id: int, name: str, positions: dict[str, float], *,
                     description: str | None = None) -> tuple[int, bool]:
    """The user's portfolio ``name``, created with ``positions`` (symbol -> quantity) if absent;
    an existing portfolio is left as its owner changed it. Returns (id, created)."""
    found = conn.execute(
        sa.select(portfolios.c.id).where(portfolios.c.user_id == user_id, portfolios.c.name == name)
    ).scalar()
    if found is not None:
        return found, False
    pid = conn.execute(
        sa.insert(portfolios).values(user_id=user_id, name=name, description=description).returning(portfolios.c.id)
    ).scalar_one()
    ids = dict(conn.execute(sa.select(crypto_assets.c.symbol, crypto_assets.c.id)
                            .where(crypto_assets.c.symbol.in_(list(positions)))).all())
    missing = sorted(set(positions) - ids.keys())
    if missing:
        raise ValueError(f"unknown symbol(s) {', '.join(missing)} for portfolio {name!r}")
    conn.execute(sa.insert(portfolio_holdings), [
        {"portfolio_id": pid, "asset_id": ids[s], "quantity": q, "source": "manual"} for s, q in positions.items()
    ])
    return pid, True


# --- risk -----------------------------------------------------------------------------------------


def replace_correlations(
    conn: Connection,
    start: dt.datetime,
    end: dt.datetime,
    rows: Sequence[dict[str, Any]],
    *,
    portfolio_ids: Sequence[int] | None = None,
) -> int:
    """Replace the matrices stamped in [start, end) (the universe's and every portfolio's, or only
    ``portfolio_ids``'s) by ``rows`` (``portfolio_id, time, window_days, symbols, matrix``)."""
    cond = (correlation_matrices.c.time >= start) & (correlation_matrices.c.time < end)
    if portfolio_ids is not None:
        cond &= correlation_matrices.c.portfolio_id.in_(list(portfolio_ids))
    conn.execute(sa.delete(correlation_matrices).where(cond))
    if rows:
        conn.execute(sa.insert(correlation_matrices), list(rows))
    return len(rows)


# --- alerts ---------------------------------------------------------------------------------------


def active_alert_rules(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(alert_rules, crypto_assets.c.symbol)
        .select_from(alert_rules.outerjoin(crypto_assets, crypto_assets.c.id == alert_rules.c.asset_id))
        .where(alert_rules.c.is_active)
        .order_by(alert_rules.c.id)
    ).all()
    return [dict(r._mapping) for r in rows]


_LATEST_MARKET = sa.text(
    """
    SELECT DISTINCT ON (asset_id) asset_id, time, price, price_change_pct_24h
    FROM market_snapshots WHERE time > now() - interval '2 days' ORDER BY asset_id, time DESC
    """
)

_LATEST_PORTFOLIO_RISK = sa.text(
    """
    SELECT DISTINCT ON (portfolio_id) portfolio_id, time, var_95, current_drawdown, max_drawdown, hhi,
           volatility_30d, volatility_365d, contributions
    FROM portfolio_risk_metrics ORDER BY portfolio_id, time DESC
    """
)


def latest_market(conn: Connection) -> dict[int, dict[str, Any]]:
    """Newest snapshot per asset (the last two days): price and 24h change in percent."""
    return {r.asset_id: dict(r._mapping) for r in conn.execute(_LATEST_MARKET)}


def latest_prices_24h(conn: Connection, asset_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Newest price per asset and the price about 24 hours before it (for price-move rules)."""
    rows = conn.execute(
        sa.text(
            """
            SELECT a.asset_id, p.time, p.price, b.price AS price_24h_ago
            FROM unnest(CAST(:ids AS integer[])) AS a(asset_id)
            CROSS JOIN LATERAL (SELECT time, price FROM price_history h WHERE h.asset_id = a.asset_id
                                ORDER BY time DESC LIMIT 1) p
            LEFT JOIN LATERAL (SELECT price FROM price_history h WHERE h.asset_id = a.asset_id
                               AND h.time <= p.time - interval '24 hours' ORDER BY time DESC LIMIT 1) b ON true
            """
        ),
        {"ids": list(asset_ids)},
    )
    return {r.asset_id: dict(r._mapping) for r in rows}


def latest_portfolio_risk(conn: Connection) -> dict[int, dict[str, Any]]:
    return {r.portfolio_id: dict(r._mapping) for r in conn.execute(_LATEST_PORTFOLIO_RISK)}


def set_rule_state(conn: Connection, rule_id: int, *, triggered: bool, at: dt.datetime) -> None:
    conn.execute(
        sa.update(alert_rules)
        .where(alert_rules.c.id == rule_id)
        .values(is_triggered=triggered, last_evaluated_at=at, updated_at=sa.func.now())
    )


def insert_alert(conn: Connection, **values: Any) -> int:
    """An ``alerts`` row (``user_id`` None = an operator alert); returns its id."""
    return conn.execute(sa.insert(alerts).values(**values).returning(alerts.c.id)).scalar_one()


# --- maintenance ----------------------------------------------------------------------------------


def record_health(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    if rows:
        conn.execute(sa.insert(provider_health), list(rows))
    return len(rows)


def expire_response_cache(conn: Connection) -> int:
    return conn.execute(sa.text("DELETE FROM response_cache WHERE expires_at < now()")).rowcount


def prune_provider_health(conn: Connection, older_than: dt.timedelta) -> int:
    cutoff = dt.datetime.now(dt.UTC) - older_than
    return conn.execute(sa.delete(provider_health).where(provider_health.c.checked_at < cutoff)).rowcount


def prune_raw(conn: Connection, older_than: dt.timedelta, *, schema: str = "raw") -> dict[str, int]:
    """Delete raw (dlt-loaded) rows whose load is older than ``older_than``; per table counts.

    Raw tables keep provider answers for replay and audit; the curated tables keep the data.
    """
    loads = conn.execute(
        sa.text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s AND table_name = '_dlt_loads'"),
        {"s": schema},
    ).scalar()
    if loads is None:
        return {}
    tables = conn.execute(
        sa.text(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = :s "
            "AND column_name = '_dlt_load_id' AND table_name NOT LIKE '\\_dlt%' ORDER BY table_name"
        ),
        {"s": schema},
    ).scalars().all()
    cutoff = dt.datetime.now(dt.UTC) - older_than
    out: dict[str, int] = {}
    with raw_psycopg(conn).cursor() as cur:
        for table in tables:
            cur.execute(
                sql.SQL(
                    "DELETE FROM {s}.{t} WHERE _dlt_load_id IN "
                    "(SELECT load_id FROM {s}._dlt_loads WHERE inserted_at < %s)"
                ).format(s=sql.Identifier(schema), t=sql.Identifier(table)),
                (cutoff,),
            )
            out[table] = cur.rowcount
    return out
