"""Fixtures for the insights tests: risk rows from the real risk engine, a seeded warehouse, and
the local OpenAI-compatible server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa

from assets.metrics import PriceMatrix, analyze
from assets.metrics.report import report_from_analysis
from pipelines import simulated
from tests.support.openai_server import OpenAIServer
from warehouse import writes
from warehouse.engine import transaction
from warehouse.models import (
    alerts,
    news_articles,
    news_sentiment,
    portfolio_holdings,
    portfolio_risk_metrics,
    portfolios,
    user_settings,
    users,
)
from warehouse.queries.prices import close_matrix

SYMBOLS = ("BTC", "ETH", "SOL", "USDC")
#: A concentrated portfolio: most of the value in SOL and BTC, no stablecoin.
HOLDINGS = {"BTC": 0.5, "ETH": 2.0, "SOL": 400.0}
WINDOW = 90
AS_OF = dt.date(2025, 6, 30)
METRIC_COLUMNS = tuple(c.name for c in portfolio_risk_metrics.columns if c.type.__class__.__name__ == "Float")


def risk_row(prices: PriceMatrix, holdings: dict[str, float], *, portfolio_id: int = 1, window: int = WINDOW) -> dict:
    """A ``portfolio_risk_metrics`` row computed by the risk engine (as the risk asset writes it)."""
    q = np.array([holdings.get(s, 0.0) for s in prices.symbols])
    analysis = analyze(prices, q, portfolio_names=("p",), window=window)
    doc = report_from_analysis(analysis)["portfolio"]
    # Stamped like the risk asset does: the start of the UTC day whose close it uses.
    t = dt.datetime.combine(prices.as_of, dt.time(), tzinfo=dt.UTC)
    row = {c: doc.get(c) for c in METRIC_COLUMNS if c not in ("value_usd", "hhi", "effective_holdings", "risk_score")}
    row.update(
        portfolio_id=portfolio_id,
        time=t,
        window_days=window,
        value_usd=doc["value"],
        hhi=doc["hhi"],
        effective_holdings=doc["effective_n"],
        risk_score=doc["risk_score"],
        score_components=doc["risk_score_components"] or {},
        contributions=doc["contributions"],
        stress=doc["stress"],
        backtest=doc["var_backtest"],
        null_reasons=doc["null_reasons"],
    )
    return row


def simulated_matrix(symbols=SYMBOLS, days: int = 400, as_of: dt.date = AS_OF) -> PriceMatrix:
    start = as_of - dt.timedelta(days=days - 1)
    frame = simulated.prices(list(symbols), start, as_of + dt.timedelta(days=1))
    wide = (
        frame.with_columns(pl.col("time").dt.date().alias("date"))
        .pivot(on="symbol", index="date", values="price")
        .sort("date")
    )
    return PriceMatrix.build(wide["date"].to_numpy(), list(symbols), wide.select(list(symbols)).to_numpy())


@pytest.fixture(scope="session")
def prices() -> PriceMatrix:
    return simulated_matrix()


@pytest.fixture
def risk(prices) -> dict:
    return risk_row(prices, HOLDINGS)


@pytest.fixture
def settings() -> dict:
    return {"risk_tolerance": "moderate", "max_weight": 0.4, "stablecoin_floor": 0.1, "turnover_limit": 1.5}


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        yield server


@pytest.fixture
def llm_env(openai_server, monkeypatch) -> OpenAIServer:
    """The environment pointing the real SDK at the local server."""
    monkeypatch.setenv("OPENAI_API_KEY", openai_server.api_key)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("CRYPTO_RISK_LLM_MODEL", "local-test-model")
    return openai_server


# --- a seeded warehouse -------------------------------------------------------------------------------


def add_user(conn, email: str, tolerance: str, **settings) -> int:
    uid = conn.execute(sa.insert(users).values(email=email, password_hash="x").returning(users.c.id)).scalar_one()
    conn.execute(sa.insert(user_settings).values(user_id=uid, risk_tolerance=tolerance, **settings))
    return uid


def add_portfolio(conn, user_id: int, name: str, holdings: dict[str, float]) -> int:
    pid = conn.execute(sa.insert(portfolios).values(user_id=user_id, name=name).returning(portfolios.c.id)).scalar_one()
    ids = dict(conn.execute(sa.text("SELECT symbol, id FROM crypto_assets")).all())
    for sym, qty in holdings.items():
        conn.execute(sa.insert(portfolio_holdings).values(portfolio_id=pid, asset_id=ids[sym], quantity=qty))
    return pid


def store_risk(conn, pid: int, holdings: dict[str, float], window: int = WINDOW) -> dict:
    """Compute the portfolio's risk row from the stored closes (as the risk asset does) and store it."""
    ids = dict(conn.execute(sa.text("SELECT symbol, id FROM crypto_assets")).all())
    start = dt.datetime.combine(AS_OF - dt.timedelta(days=399), dt.time(), tzinfo=dt.UTC)
    wide = close_matrix(conn, [ids[s] for s in SYMBOLS], start, start + dt.timedelta(days=400))
    matrix = PriceMatrix.build(
        wide["time"].dt.date().to_numpy(), list(SYMBOLS), wide.select([str(ids[s]) for s in SYMBOLS]).to_numpy()
    )
    row = risk_row(matrix, holdings, portfolio_id=pid, window=window)
    conn.execute(sa.insert(portfolio_risk_metrics).values(**row))
    return row


def add_news(conn, symbol: str, title: str, published_at: dt.datetime, relevance: float, score: float) -> int:
    asset_id = conn.execute(sa.text("SELECT id FROM crypto_assets WHERE symbol = :s"), {"s": symbol}).scalar_one()
    url = f"https://news.example/{symbol}/{published_at.timestamp():.0f}/{abs(hash(title)) % 10_000}"
    aid = conn.execute(
        sa.insert(news_articles)
        .values(url=url, title=title, source="Example Wire", published_at=published_at, provider="alphavantage")
        .returning(news_articles.c.id)
    ).scalar_one()
    conn.execute(
        sa.insert(news_sentiment).values(
            article_id=aid, asset_id=asset_id, published_at=published_at, relevance=relevance, score=score
        )
    )
    return aid


def add_alert(conn, user_id: int, pid: int, kind: str, value: float, threshold: float, at: dt.datetime) -> int:
    return conn.execute(
        sa.insert(alerts)
        .values(
            user_id=user_id,
            portfolio_id=pid,
            severity="warning",
            kind=kind,
            title=kind,
            message=kind,
            data={"value": value, "threshold": threshold},
            triggered_at=at,
        )
        .returning(alerts.c.id)
    ).scalar_one()


@pytest.fixture
def seeded(db_url) -> dict:
    """Prices of BTC/ETH/SOL/USDC, one moderate user with the concentrated portfolio and its risk
    row, news for its assets and one alert."""
    start = AS_OF - dt.timedelta(days=399)
    frame = simulated.prices(list(SYMBOLS), start, AS_OF + dt.timedelta(days=1))
    with transaction(db_url) as conn:
        writes.upsert_frame(conn, "price_history", writes.with_asset_ids(conn, frame, "price_history").select(
            "asset_id", "time", "price", "market_cap", "volume_24h", "source"))
        uid = add_user(conn, "moderate@example.com", "moderate", stablecoin_floor=0.1, turnover_limit=1.5)
        pid = add_portfolio(conn, uid, "Main", HOLDINGS)
        risk = store_risk(conn, pid, HOLDINGS)
        t = risk["time"] + dt.timedelta(days=1)  # news and alerts are read to the end of the as-of day
        add_news(conn, "BTC", "Bitcoin ETF inflows keep rising", t - dt.timedelta(hours=3), 0.9, 0.45)
        add_news(conn, "BTC", "Miners sell as fees drop", t - dt.timedelta(days=3), 0.6, -0.2)
        add_news(conn, "SOL", "Solana outage halts block production", t - dt.timedelta(days=2), 0.95, -0.5)
        add_alert(conn, uid, pid, "var_breach", risk["var_95"], 0.05, t - dt.timedelta(days=1))
    return {"url": db_url, "user_id": uid, "portfolio_id": pid, "risk": risk}
