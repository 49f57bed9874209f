"""What the Dagster assets would write, written straight through the warehouse for end-to-end
tests, report tests and screenshots: a deterministic simulated market, risk computed by the real engine, and
the outbox events that announce each write."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import sqlalchemy as sa

from assets.risk import rows
from warehouse.engine import transaction
from warehouse.models import (
    ai_insights,
    alerts,
    correlation_matrices,
    crypto_assets,
    global_market,
    market_snapshots,
    trending_coins,
)
from warehouse.outbox import publish
from warehouse.settings import DatabaseUrl
from warehouse.writes import replace_window

# symbol: (start price, daily drift, daily volatility)
MODEL = {
    "BTC": (40_000.0, 0.0010, 0.030),
    "ETH": (2_200.0, 0.0008, 0.040),
    "SOL": (60.0, 0.0015, 0.060),
    "USDC": (1.0, 0.0, 0.0005),
}
DAYS = 560
UTC_US = pl.Datetime("us", "UTC")


def ids(url: DatabaseUrl) -> dict[str, int]:
    with transaction(url) as conn:
        return dict(conn.execute(sa.select(crypto_assets.c.symbol, crypto_assets.c.id)).all())


def daily_prices(today: dt.date) -> dict[str, list[tuple[dt.datetime, float]]]:
    """Daily closes (23:00 UTC) for DAYS days up to ``today``: a seeded random walk per asset,
    BTC, ETH and SOL correlated, so every chart and metric has something real to show."""
    rng = np.random.default_rng(90)
    common = rng.standard_normal(DAYS)
    out = {}
    for symbol, (p0, mu, sigma) in MODEL.items():
        z = 0.7 * common + 0.71 * rng.standard_normal(DAYS) if symbol != "USDC" else rng.standard_normal(DAYS)
        # A stablecoin stays near its peg; the others walk.
        path = p0 * (1 + sigma * z) if symbol == "USDC" else p0 * np.exp(np.cumsum(mu + sigma * z))
        start = dt.datetime.combine(today - dt.timedelta(days=DAYS - 1), dt.time(23), dt.UTC)
        out[symbol] = [(start + dt.timedelta(days=d), float(path[d])) for d in range(DAYS)]
    return out


def seed_market(url: DatabaseUrl, today: dt.date) -> dict[str, list[tuple[dt.datetime, float]]]:
    """Prices (daily history plus hourly for the last week), snapshots, global figures, trending."""
    prices = daily_prices(today)
    asset = ids(url)
    frames = []
    for symbol, series in prices.items():
        hourly = []
        last_days = series[-8:]
        for (t0, p0), (_t1, p1) in zip(last_days, last_days[1:], strict=False):
            hourly += [(t0 + dt.timedelta(hours=k), p0 + (p1 - p0) * k / 24) for k in range(1, 24)]
        points = sorted(series + hourly)
        frames.append(
            pl.DataFrame(
                {
                    "asset_id": pl.Series([asset[symbol]] * len(points), dtype=pl.Int32),
                    "time": pl.Series([t for t, _ in points], dtype=UTC_US),
                    "price": [p for _, p in points],
                    "market_cap": [p * 19e6 for _, p in points],
                    "volume_24h": [p * 4e5 for _, p in points],
                    "source": ["simulated"] * len(points),
                }
            )
        )
    frame = pl.concat(frames)
    start = prices["BTC"][0][0].replace(hour=0)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), dt.UTC)
    now = prices["BTC"][-1][0]
    with transaction(url) as conn:
        replace_window(conn, "price_history", frame, start=start, end=end)
        for rank, (symbol, series) in enumerate(prices.items(), start=1):
            price, before = series[-1][1], series[-2][1]
            conn.execute(
                market_snapshots.insert().values(
                    asset_id=asset[symbol],
                    time=now,
                    price=price,
                    market_cap=price * 19e6,
                    market_cap_rank=rank,
                    total_volume=price * 4e5,
                    price_change_pct_24h=(price / before - 1) * 100,
                    ath=max(p for _, p in series),
                    source="simulated",
                )
            )
        conn.execute(
            global_market.insert().values(
                time=now,
                total_market_cap_usd=2.4e12,
                total_volume_usd=9.1e10,
                btc_dominance_pct=54.2,
                eth_dominance_pct=12.9,
                market_cap_change_pct_24h=1.8,
                active_cryptocurrencies=11_250,
                source="simulated",
            )
        )
        for rank, (symbol, name) in enumerate([("SOL", "Solana"), ("ETH", "Ethereum"), ("BTC", "Bitcoin")], start=1):
            conn.execute(
                trending_coins.insert().values(
                    time=now,
                    rank=rank,
                    coingecko_id=name.lower(),
                    symbol=symbol,
                    name=name,
                    market_cap_rank=rank,
                    score=float(rank - 1),
                    source="simulated",
                )
            )
        publish(conn, "price_updates", {"type": "price_history", "rows": frame.height, "source": "simulated"})
    return prices


def write_risk(
    url: DatabaseUrl, prices: dict, portfolio_id: int, user_id: int, holdings: dict[str, float], days: int = 90
) -> float | None:
    """``portfolio_risk_metrics`` for the last ``days`` days, computed by the real risk engine
    (``assets.risk.rows``) as the Dagster asset does, with the correlation matrix, an insight and
    the ``risk_metrics_updates`` event. Returns the latest risk score."""
    asset = ids(url)
    symbols = {asset[s]: s for s in prices}
    closes = pl.DataFrame(
        {
            "asset_id": pl.Series([asset[s] for s, series in prices.items() for _ in series], dtype=pl.Int32),
            "time": pl.Series([t for series in prices.values() for t, _ in series], dtype=UTC_US),
            "close": [p for series in prices.values() for _, p in series],
        }
    )
    held = pl.DataFrame(
        {
            "portfolio_id": [portfolio_id] * len(holdings),
            "user_id": [user_id] * len(holdings),
            "symbol": list(holdings),
            "quantity": [float(q) for q in holdings.values()],
        }
    )
    last = prices["BTC"][-1][0]
    frames = []
    for back in range(days - 1, -1, -1):
        day = last - dt.timedelta(days=back)
        u = rows.universe(closes, symbols, day.date())
        frames.append(rows.portfolio_rows(u, held, [portfolio_id], day, 365))
    frame = pl.concat(frames)
    u = rows.universe(closes, symbols, last.date())
    returns = np.diff(u.prices.values[-366:], axis=0) / u.prices.values[-366:-1]
    mine = [u.prices.symbols.index(s) for s in holdings]
    corr = np.corrcoef(returns[:, mine].T)
    latest = frame.row(-1, named=True)
    with transaction(url) as conn:
        replace_window(
            conn,
            "portfolio_risk_metrics",
            frame,
            start=frame["time"].min(),
            end=last + dt.timedelta(days=1),
            scope={"portfolio_id": [portfolio_id]},
        )
        conn.execute(
            correlation_matrices.insert().values(
                portfolio_id=portfolio_id,
                time=last,
                window_days=365,
                symbols=list(holdings),
                matrix=[[round(float(v), 6) for v in row] for row in corr],
            )
        )
        top = max(latest["contributions"]["holdings"].items(), key=lambda kv: kv[1]["weight"] or 0)
        facts = {
            "risk_score": latest["risk_score"],
            "var_95": latest["var_95"],
            "largest_holding": top[0],
            "largest_weight": top[1]["weight"],
        }
        conn.execute(
            ai_insights.insert().values(
                user_id=user_id,
                portfolio_id=portfolio_id,
                kind="weekly_analysis",
                as_of=last,
                title=f"{top[0]} drives most of this week's risk",
                body=(
                    f"{top[0]} is {top[1]['weight']:.0%} of the portfolio. One-day 95% VaR is {latest['var_95']:.1%} "
                    f"and the risk score is {latest['risk_score']:.1f}/10."
                ),
                structured={"facts": facts},
                facts=facts,
                facts_hash="e2e",
                provider="offline",
                prompt_version="1",
            )
        )
        publish(
            conn,
            "risk_metrics_updates",
            {
                "type": "portfolio_risk_metrics",
                "portfolio_id": portfolio_id,
                "time": last.isoformat(),
                "risk_score": latest["risk_score"],
            },
            user_id=user_id,
        )
    return latest["risk_score"]


def push_price(url: DatabaseUrl, symbol: str, price: float, time: dt.datetime) -> int:
    """A new tick for one asset and its ``price_updates`` event, in one transaction."""
    aid = ids(url)[symbol]
    frame = pl.DataFrame(
        {
            "asset_id": pl.Series([aid], dtype=pl.Int32),
            "time": pl.Series([time], dtype=UTC_US),
            "price": [price],
            "market_cap": [price * 19e6],
            "volume_24h": [price * 4e5],
            "source": ["simulated"],
        }
    )
    with transaction(url) as conn:
        replace_window(
            conn, "price_history", frame, start=time, end=time + dt.timedelta(seconds=1), scope={"asset_id": [aid]}
        )
        return publish(
            conn,
            "price_updates",
            {"type": "price_history", "rows": 1, "source": "simulated", "prices": {symbol: price}},
        )


def raise_alert(url: DatabaseUrl, user_id: int, portfolio_id: int, title: str, severity: str = "warning") -> int:
    with transaction(url) as conn:
        alert_id = conn.execute(
            alerts.insert()
            .values(
                user_id=user_id,
                portfolio_id=portfolio_id,
                severity=severity,
                kind="var_breach",
                title=title,
                message="One-day 95% VaR rose above the 5% threshold of your rule.",
                data={"var_95": 0.061, "threshold": 0.05},
            )
            .returning(alerts.c.id)
        ).scalar_one()
        publish(conn, "alerts", {"type": "alert", "alert_id": alert_id, "title": title}, user_id=user_id)
        return alert_id
