"""Reads and writes of the AI insights: portfolios with their owners' settings, the newest risk row,
holdings, news sentiment, recent alerts, the answer cache and idempotent ``ai_insights`` upserts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from warehouse.models import (
    ai_insights,
    alerts,
    crypto_assets,
    news_articles,
    news_sentiment,
    portfolio_holdings,
    portfolio_risk_metrics,
    portfolios,
    user_settings,
)

#: ``user_settings`` defaults, for users who never saved settings (same as the column defaults).
DEFAULT_SETTINGS = {"risk_tolerance": "moderate", "max_weight": 0.4, "stablecoin_floor": 0.0, "turnover_limit": 1.0}


def portfolio_contexts(conn: Connection, portfolio_ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Portfolios (all, or ``portfolio_ids``) with owner and risk settings, by id.

    Keys: ``portfolio_id, user_id, name, risk_tolerance, max_weight, stablecoin_floor, turnover_limit``.
    """
    s = user_settings.c
    query = (
        sa.select(
            portfolios.c.id.label("portfolio_id"),
            portfolios.c.user_id,
            portfolios.c.name,
            *(sa.func.coalesce(s[k], sa.literal(v)).label(k) for k, v in DEFAULT_SETTINGS.items()),
        )
        .select_from(portfolios.outerjoin(user_settings, user_settings.c.user_id == portfolios.c.user_id))
        .order_by(portfolios.c.id)
    )
    if portfolio_ids is not None:
        query = query.where(portfolios.c.id.in_(list(portfolio_ids)))
    return [dict(r._mapping) for r in conn.execute(query)]


def latest_risk(conn: Connection, portfolio_id: int, at: dt.datetime | None = None) -> dict[str, Any] | None:
    """The newest ``portfolio_risk_metrics`` row of the portfolio (at or before ``at``), or None."""
    t = portfolio_risk_metrics
    query = sa.select(t).where(t.c.portfolio_id == portfolio_id).order_by(t.c.time.desc()).limit(1)
    if at is not None:
        query = query.where(t.c.time <= at)
    row = conn.execute(query).first()
    return None if row is None else dict(row._mapping)


def holdings(conn: Connection, portfolio_id: int) -> list[dict[str, Any]]:
    """Positions with quantity > 0: ``asset_id, symbol, quantity`` (float), ``is_stablecoin``."""
    h, a = portfolio_holdings, crypto_assets
    rows = conn.execute(
        sa.select(h.c.asset_id, a.c.symbol, h.c.quantity, a.c.is_stablecoin)
        .join(a, a.c.id == h.c.asset_id)
        .where(h.c.portfolio_id == portfolio_id, h.c.quantity > 0)
        .order_by(a.c.symbol)
    )
    return [{**r._mapping, "quantity": float(r.quantity)} for r in rows]


def stablecoins(conn: Connection) -> list[dict[str, Any]]:
    """Active stablecoins: ``asset_id, symbol`` (candidates for a stablecoin floor)."""
    a = crypto_assets
    rows = conn.execute(
        sa.select(a.c.id.label("asset_id"), a.c.symbol)
        .where(a.c.is_stablecoin, a.c.is_active)
        .order_by(a.c.market_cap_rank.nulls_last(), a.c.id)
    )
    return [dict(r._mapping) for r in rows]


def sentiment_rows(conn: Connection, asset_ids: Sequence[int], start: dt.datetime, end: dt.datetime) -> pl.DataFrame:
    """Per (article, asset) published in ``(start, end]``: ``symbol, article_id, title, url, source,
    published_at, relevance, score``."""
    s, n, a = news_sentiment, news_articles, crypto_assets
    rows = conn.execute(
        sa.select(
            a.c.symbol, s.c.article_id, n.c.title, n.c.url, n.c.source, s.c.published_at, s.c.relevance, s.c.score
        )
        .join(n, n.c.id == s.c.article_id)
        .join(a, a.c.id == s.c.asset_id)
        .where(s.c.asset_id.in_(list(asset_ids)), s.c.published_at > start, s.c.published_at <= end)
        .order_by(s.c.published_at, s.c.article_id)
    ).all()
    schema = {
        "symbol": pl.String,
        "article_id": pl.Int64,
        "title": pl.String,
        "url": pl.String,
        "source": pl.String,
        "published_at": pl.Datetime("us", "UTC"),
        "relevance": pl.Float64,
        "score": pl.Float64,
    }
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def recent_alerts(conn: Connection, portfolio_id: int, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Alerts of the portfolio triggered in ``(start, end]``, oldest first (at most 10)."""
    t = alerts
    rows = conn.execute(
        sa.select(t.c.id, t.c.kind, t.c.severity, t.c.triggered_at, t.c.data)
        .where(t.c.portfolio_id == portfolio_id, t.c.triggered_at > start, t.c.triggered_at <= end)
        .order_by(t.c.triggered_at.desc(), t.c.id.desc())
        .limit(10)
    ).all()
    return [dict(r._mapping) for r in reversed(rows)]


def cached_answer(
    conn: Connection, kind: str, facts_hash: str, prompt_version: str, model: str
) -> dict[str, Any] | None:
    """The newest model-written insight for the same fact sheet, prompt version and model."""
    t = ai_insights
    row = conn.execute(
        sa.select(t.c.id, t.c.title, t.c.body, t.c.structured, t.c.model)
        .where(
            t.c.kind == kind,
            t.c.facts_hash == facts_hash,
            t.c.prompt_version == prompt_version,
            t.c.model == model,
            t.c.provider == "openai",
        )
        .order_by(t.c.created_at.desc(), t.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else dict(row._mapping)


_INSIGHT_COLUMNS = (
    "user_id",
    "portfolio_id",
    "kind",
    "as_of",
    "title",
    "body",
    "structured",
    "facts",
    "facts_hash",
    "provider",
    "model",
    "prompt_version",
    "prompt_tokens",
    "completion_tokens",
    "fallback_reason",
)


def save_insight(conn: Connection, row: dict[str, Any]) -> int:
    """Insert or replace the insight of (portfolio, kind, as_of); returns its id. Rerunning the same
    as-of rewrites the row in place (idempotent)."""
    unknown = set(row) - set(_INSIGHT_COLUMNS)
    if unknown:
        raise ValueError(f"ai_insights: unknown column(s) {', '.join(sorted(unknown))}")
    stmt = insert(ai_insights).values(**row)
    stmt = stmt.on_conflict_do_update(
        index_elements=["portfolio_id", "kind", "as_of"],
        set_={k: stmt.excluded[k] for k in _INSIGHT_COLUMNS if k not in ("portfolio_id", "kind", "as_of")}
        | {"created_at": sa.func.now()},
    ).returning(ai_insights.c.id)
    return conn.execute(stmt).scalar_one()


def insight_id(conn: Connection, portfolio_id: int, kind: str, as_of: dt.datetime) -> int | None:
    """The id of the stored insight of (portfolio, kind, as-of), if any."""
    t = ai_insights
    return conn.execute(
        sa.select(t.c.id).where(t.c.portfolio_id == portfolio_id, t.c.kind == kind, t.c.as_of == as_of)
    ).scalar()


def insights(conn: Connection, portfolio_id: int, kind: str | None = None) -> list[dict[str, Any]]:
    """A portfolio's insights, newest first."""
    t = ai_insights
    query = sa.select(t).where(t.c.portfolio_id == portfolio_id).order_by(t.c.as_of.desc(), t.c.id.desc())
    if kind is not None:
        query = query.where(t.c.kind == kind)
    return [dict(r._mapping) for r in conn.execute(query)]
