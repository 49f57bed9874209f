"""Portfolio risk reads: latest metrics with the score's components, history, correlation, insights.

Each function takes the requesting user's id and returns None when the portfolio is not theirs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import (
    METRIC_COLUMNS,
    ai_insights,
    correlation_matrices,
    portfolio_risk_metrics,
    portfolios,
)
from warehouse.queries import Page, one, paged
from warehouse.queries.portfolios import owns

_prm = portfolio_risk_metrics
RISK_COLUMNS = (
    _prm.c.time,
    _prm.c.window_days,
    _prm.c.value_usd,
    *(_prm.c[m] for m in METRIC_COLUMNS),
    _prm.c.hhi,
    _prm.c.effective_holdings,
    _prm.c.risk_score,
)


def _owned(user_id: int, portfolio_id: int):
    return sa.exists().where(portfolios.c.id == portfolio_id, portfolios.c.user_id == user_id)


def latest_risk(conn: Connection, user_id: int, portfolio_id: int) -> dict[str, Any] | None:
    """The newest metrics row (``metrics: None`` before the first computation)."""
    stmt = (
        sa.select(
            *RISK_COLUMNS,
            _prm.c.score_components,
            _prm.c.contributions,
            _prm.c.stress,
            _prm.c.backtest,
            _prm.c.null_reasons,
            _prm.c.computed_at,
        )
        .where(_prm.c.portfolio_id == portfolio_id, _owned(user_id, portfolio_id))
        .order_by(_prm.c.time.desc())
        .limit(1)
    )
    row = one(conn.execute(stmt))
    if row is None and not owns(conn, user_id, portfolio_id):
        return None
    return {"portfolio_id": portfolio_id, "metrics": row}


def risk_history(
    conn: Connection,
    user_id: int,
    portfolio_id: int,
    *,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    offset: int,
) -> Page | None:
    if not owns(conn, user_id, portfolio_id):
        return None
    query = sa.select(*RISK_COLUMNS).where(_prm.c.portfolio_id == portfolio_id).order_by(_prm.c.time)
    if start is not None:
        query = query.where(_prm.c.time >= start)
    if end is not None:
        query = query.where(_prm.c.time < end)
    return paged(conn, query, limit=limit, offset=offset)


def correlation(conn: Connection, user_id: int, portfolio_id: int) -> dict[str, Any] | None:
    if not owns(conn, user_id, portfolio_id):
        return None
    cm = correlation_matrices
    row = one(
        conn.execute(
            sa.select(cm.c.time, cm.c.window_days, cm.c.symbols, cm.c.matrix, cm.c.computed_at)
            .where(cm.c.portfolio_id == portfolio_id)
            .order_by(cm.c.time.desc(), cm.c.window_days.desc())
            .limit(1)
        )
    )
    return {"portfolio_id": portfolio_id, "correlation": row}


def insights(
    conn: Connection, user_id: int, portfolio_id: int, *, kind: str | None, limit: int, offset: int
) -> Page | None:
    if not owns(conn, user_id, portfolio_id):
        return None
    ai = ai_insights
    query = (
        sa.select(
            ai.c.id,
            ai.c.kind,
            ai.c.as_of,
            ai.c.title,
            ai.c.body,
            ai.c.structured,
            ai.c.facts,
            ai.c.provider,
            ai.c.model,
            ai.c.fallback_reason,
            ai.c.created_at,
        )
        .where(ai.c.portfolio_id == portfolio_id)
        .order_by(ai.c.created_at.desc(), ai.c.id.desc())
    )
    if kind is not None:
        query = query.where(ai.c.kind == kind)
    return paged(conn, query, limit=limit, offset=offset)
