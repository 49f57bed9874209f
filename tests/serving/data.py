"""Rows written straight through the warehouse for serving tests (what the assets would write)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import sqlalchemy as sa

from warehouse.engine import transaction
from warehouse.models import ai_insights, alerts, correlation_matrices, crypto_assets, portfolio_risk_metrics
from warehouse.outbox import publish
from warehouse.settings import DatabaseUrl
from warehouse.writes import replace_window

DAY = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def asset_id(url: DatabaseUrl, symbol: str) -> int:
    with transaction(url) as conn:
        return conn.execute(sa.select(crypto_assets.c.id).where(crypto_assets.c.symbol == symbol)).scalar_one()


def write_price_partition(url: DatabaseUrl, symbol: str, day: dt.datetime, prices: list[float]) -> int:
    """One day of hourly prices for one asset, replacing the partition and publishing its event
    in the same transaction (what the market asset does). Returns the event's seq."""
    aid = asset_id(url, symbol)
    times = [day + dt.timedelta(hours=h) for h in range(len(prices))]
    frame = pl.DataFrame(
        {
            "asset_id": pl.Series([aid] * len(prices), dtype=pl.Int32),
            "time": pl.Series(times, dtype=pl.Datetime("us", "UTC")),
            "price": prices,
            "market_cap": [p * 1e6 for p in prices],
            "volume_24h": [p * 1e3 for p in prices],
            "source": ["simulated"] * len(prices),
        }
    )
    with transaction(url) as conn:
        replace_window(
            conn, "price_history", frame, start=day, end=day + dt.timedelta(days=1), scope={"asset_id": [aid]}
        )
        return publish(
            conn,
            "price_updates",
            {"type": "partition", "symbol": symbol, "day": day.date().isoformat(), "rows": len(prices)},
            partition_key=day.date().isoformat(),
        )


def write_portfolio_risk(url: DatabaseUrl, portfolio_id: int, user_id: int, day: dt.datetime, score: int) -> int:
    with transaction(url) as conn:
        conn.execute(
            portfolio_risk_metrics.insert().values(
                portfolio_id=portfolio_id,
                time=day,
                window_days=365,
                value_usd=1000.0,
                volatility_30d=0.5,
                var_95=0.04,
                hhi=0.5,
                risk_score=score,
                score_components={"volatility": 0.6, "concentration": 0.4},
                null_reasons={"beta_market": "no market index yet"},
            )
        )
        conn.execute(
            correlation_matrices.insert().values(
                portfolio_id=portfolio_id,
                time=day,
                window_days=365,
                symbols=["BTC", "ETH"],
                matrix=[[1.0, 0.8], [0.8, 1.0]],
            )
        )
        conn.execute(
            ai_insights.insert().values(
                user_id=user_id,
                portfolio_id=portfolio_id,
                kind="weekly_analysis",
                as_of=day,
                title="Week",
                body="Concentrated in BTC.",
                facts_hash="h",
                provider="offline",
                prompt_version="1",
            )
        )
        return publish(
            conn,
            "risk_metrics_updates",
            {"type": "portfolio_risk", "portfolio_id": portfolio_id, "day": day.date().isoformat()},
            partition_key=day.date().isoformat(),
            user_id=user_id,
        )


def raise_alert(url: DatabaseUrl, user_id: int, title: str = "VaR breach") -> int:
    with transaction(url) as conn:
        alert = conn.execute(
            alerts.insert()
            .values(
                user_id=user_id, severity="warning", kind="var_breach", title=title, message="95% VaR above threshold"
            )
            .returning(alerts.c.id)
        ).scalar_one()
        publish(conn, "alerts", {"type": "alert", "alert_id": alert, "title": title}, user_id=user_id)
        return alert
