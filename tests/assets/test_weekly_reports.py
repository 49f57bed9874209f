"""The weekly report: the pure HTML renderer, and the asset storing one report per portfolio and week."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from dagster import materialize

from assets.reports.assets import weekly_reports
from assets.reports.weekly import render_weekly_report
from tests.assets.conftest import make_resources
from tests.support import warehouse_rows
from warehouse.engine import transaction
from warehouse.queries import batch, reports

WEEK_START = dt.date(2025, 3, 3)  # a Monday
NOW = dt.datetime(2025, 3, 10, 3, tzinfo=dt.UTC)


def _row(day: int, value: float, drawdown: float | None) -> dict:
    return {
        "time": dt.datetime(2025, 2, 20, 23, tzinfo=dt.UTC) + dt.timedelta(days=day),
        "window_days": 365,
        "value_usd": value,
        "current_drawdown": drawdown,
        "volatility_30d": 0.4 + day / 100,
        "volatility_90d": 0.45,
        "volatility_365d": 0.5,
        "risk_score": 6.0,
        "var_95": 0.05,
    }


def _inputs(name: str = "Core <b>") -> dict:
    history = [_row(d, 1000 + 10 * d, -0.1 + d / 200) for d in range(16)]
    latest = {
        **history[-1],
        "es_95": 0.07,
        "max_drawdown": -0.3,
        "effective_holdings": 2.5,
        "volatility_30d": None,
        "null_reasons": {"volatility_30d": "fewer than 30 returns"},
        "contributions": {
            "null_reason": None,
            "holdings": {
                "BTC": {"weight": 0.6, "volatility": 0.3, "component_var_95": 0.03},
                "ETH": {"weight": 0.4, "volatility": 0.2, "component_var_95": 0.02},
            },
        },
        "stress": {
            "btc_-30pct": {"description": "BTC falls 30%", "portfolio_return": -0.25, "pnl": -400.0},
            "covid_crash_2020": {
                "description": "replay",
                "portfolio_return": None,
                "pnl": None,
                "null_reason": "prices do not cover 2020",
            },
        },
    }
    insight = {
        "kind": "weekly_analysis",
        "as_of": dt.datetime(2025, 3, 9, tzinfo=dt.UTC),
        "title": "BTC leads",
        "body": "BTC is most of the risk.",
        "facts": {"largest_weight": 0.6},
        "provider": "offline",
        "model": None,
    }
    return {
        "portfolio": {"id": 1, "user_id": 1, "name": name, "base_currency": "USD"},
        "period_start": WEEK_START,
        "period_end": WEEK_START + dt.timedelta(days=6),
        "history": history,
        "latest": latest,
        "insights": [insight],
    }


def test_report_is_one_self_contained_page_with_every_section():
    html = render_weekly_report(_inputs(), NOW, simulated=True)
    for heading in (
        "Value",
        "Drawdown",
        "Volatility (annualized)",
        "Allocation",
        "Risk contributions",
        "Stress scenarios",
        "Insights",
    ):
        assert f"<h2>{heading}" in html
    assert html.count("<svg") >= 6  # value, drawdown, volatility, allocation, contributions, stress
    # Self-contained: no scripts, no files or pages fetched (the SVG namespace is not a request).
    assert "<script" not in html and not re.search(r"""(src|href)=["']?https?:""", html)
    assert "Core &lt;b&gt;" in html and "Core <b>" not in html
    assert "simulated market data" in html
    assert "fewer than 30 returns" in html and "prices do not cover 2020" in html  # nulls keep their reasons
    assert "largest_weight" in html  # the insight's cited facts
    assert render_weekly_report(_inputs(), NOW, simulated=True) == html


def test_a_week_without_metrics_says_so_instead_of_drawing_empty_charts():
    inputs = {**_inputs(), "latest": None, "history": [], "insights": []}
    html = render_weekly_report(inputs, NOW)
    assert "No risk metrics were computed" in html and "<svg" not in html


@pytest.fixture
def stored_market(db_url):
    """A year and a half of prices, a portfolio, and its risk computed by the real engine."""
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    prices = warehouse_rows.seed_market(db_url, yesterday)
    holdings = {"BTC": 0.5, "ETH": 4.0, "USDC": 1000.0}
    with transaction(db_url) as conn:
        uid, _ = batch.ensure_user(conn, "weekly@example.com", "not-a-real-hash")
        pid, _ = batch.ensure_portfolio(conn, uid, "Weekly", holdings)
    warehouse_rows.write_risk(db_url, prices, pid, uid, holdings, days=21)
    return pid


def test_weekly_reports_asset_stores_one_report_per_portfolio_and_week(db_url, stored_market):
    today = dt.datetime.now(dt.UTC).date()
    monday = today - dt.timedelta(days=today.weekday() + 7)  # the last closed week
    for _ in range(2):  # rerunning the week replaces its report
        result = materialize([weekly_reports], partition_key=monday.isoformat(), resources=make_resources(db_url))
        assert result.success
    with transaction(db_url) as conn:
        stored = conn.execute(sa.text("SELECT portfolio_id, period_start, period_end, html FROM reports")).all()
        events = (
            conn.execute(sa.text("SELECT payload FROM event_outbox WHERE payload->>'type' = 'report'")).scalars().all()
        )
        inputs = reports.report_inputs(conn, stored_market, monday, monday + dt.timedelta(days=6))
    assert [(r.portfolio_id, r.period_start, r.period_end) for r in stored] == [
        (stored_market, monday, monday + dt.timedelta(days=6))
    ]
    html = stored[0].html
    assert "Weekly · weekly risk report" in html and "simulated market data" in html
    # The week's figures are those of the last stored day of the week.
    assert inputs["latest"]["time"].date() <= monday + dt.timedelta(days=6)
    assert f"{inputs['latest']['risk_score']:.1f}" in html
    assert len(events) == 2 and all(e["portfolio_id"] == stored_market for e in events)
