"""Weekly reports: what the report asset reads for one portfolio and week, storing the rendered
report, and the owner-scoped list and download the API serves."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from warehouse.models import ai_insights, portfolio_holdings, portfolio_risk_metrics, portfolios, reports
from warehouse.queries import Page, one, paged, rows
from warehouse.queries.portfolios import owns

#: Days of history the report's charts show before the week's end (the week is shaded in them).
CHART_DAYS = 90
_prm = portfolio_risk_metrics


def portfolios_with_holdings(conn: Connection) -> list[int]:
    """Every portfolio holding at least one position (those get a report)."""
    stmt = sa.select(portfolio_holdings.c.portfolio_id).distinct().order_by(portfolio_holdings.c.portfolio_id)
    return list(conn.execute(stmt).scalars())


def report_inputs(
    conn: Connection, portfolio_id: int, period_start: dt.date, period_end: dt.date
) -> dict[str, Any] | None:
    """Everything a weekly report shows, as plain data: the portfolio, the daily risk rows of the
    last ``CHART_DAYS`` days up to ``period_end``, the latest row of the week (contributions,
    stress, backtest) and the insights written during the week. None for an unknown portfolio."""
    portfolio = one(
        conn.execute(
            sa.select(portfolios.c.id, portfolios.c.user_id, portfolios.c.name, portfolios.c.base_currency).where(
                portfolios.c.id == portfolio_id
            )
        )
    )
    if portfolio is None:
        return None
    end = dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time(), dt.UTC)
    start = dt.datetime.combine(period_start, dt.time(), dt.UTC)
    history = rows(
        conn.execute(
            sa.select(*(c for c in _prm.c if c.name not in ("portfolio_id", "computed_at")))
            .where(
                _prm.c.portfolio_id == portfolio_id,
                _prm.c.time >= end - dt.timedelta(days=CHART_DAYS),
                _prm.c.time < end,
            )
            .order_by(_prm.c.time)
        )
    )
    insights = rows(
        conn.execute(
            sa.select(
                ai_insights.c.kind,
                ai_insights.c.as_of,
                ai_insights.c.title,
                ai_insights.c.body,
                ai_insights.c.facts,
                ai_insights.c.provider,
                ai_insights.c.model,
            )
            .where(ai_insights.c.portfolio_id == portfolio_id, ai_insights.c.as_of >= start, ai_insights.c.as_of < end)
            .order_by(ai_insights.c.as_of.desc(), ai_insights.c.id.desc())
        )
    )
    week = [r for r in history if r["time"] >= start]
    return {
        "portfolio": portfolio,
        "period_start": period_start,
        "period_end": period_end,
        "history": history,
        "latest": week[-1] if week else None,
        "insights": insights,
    }


def store_report(
    conn: Connection, portfolio_id: int, period_start: dt.date, period_end: dt.date, html: str, pdf: bytes | None = None
) -> int:
    """Insert or replace the report of that portfolio and week (idempotent per week)."""
    stmt = insert(reports).values(
        portfolio_id=portfolio_id, period_start=period_start, period_end=period_end, html=html, pdf=pdf
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[reports.c.portfolio_id, reports.c.period_end],
        set_={
            "period_start": stmt.excluded.period_start,
            "html": stmt.excluded.html,
            "pdf": stmt.excluded.pdf,
            "created_at": sa.func.now(),
        },
    ).returning(reports.c.id)
    return conn.execute(stmt).scalar_one()


def list_reports(conn: Connection, user_id: int, portfolio_id: int, *, limit: int, offset: int) -> Page | None:
    """The portfolio's reports, newest week first (without their bodies)."""
    if not owns(conn, user_id, portfolio_id):
        return None
    query = (
        sa.select(
            reports.c.id,
            reports.c.portfolio_id,
            reports.c.period_start,
            reports.c.period_end,
            reports.c.created_at,
            (reports.c.pdf.is_not(None)).label("has_pdf"),
        )
        .where(reports.c.portfolio_id == portfolio_id)
        .order_by(reports.c.period_end.desc())
    )
    return paged(conn, query, limit=limit, offset=offset)


def get_report(conn: Connection, user_id: int, portfolio_id: int, report_id: int) -> dict[str, Any] | None:
    """One report with its HTML (and PDF), if the portfolio is the user's."""
    stmt = (
        sa.select(reports.c.id, reports.c.period_start, reports.c.period_end, reports.c.html, reports.c.pdf)
        .join(portfolios, portfolios.c.id == reports.c.portfolio_id)
        .where(reports.c.id == report_id, reports.c.portfolio_id == portfolio_id, portfolios.c.user_id == user_id)
    )
    return one(conn.execute(stmt))
