"""Assets, candles from the rollups, per-asset risk, market overview and trending; the response
cache (hits measured, flushed by outbox events); /health and /metrics."""

from __future__ import annotations

import datetime as dt
import re
import time

import sqlalchemy as sa

from tests.serving.conftest import problem_field
from tests.serving.data import DAY, asset_id, write_price_partition
from warehouse.engine import transaction
from warehouse.models import global_market, market_snapshots, provider_health, risk_metrics, trending_coins
from warehouse.outbox import publish


def _metric(client, name: str, labels: str = "") -> float:
    text = client.get("/metrics").text
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def eventually(fetch, ok, timeout: float = 2.0):
    deadline = time.monotonic() + timeout
    while not ok(value := fetch()):
        assert time.monotonic() < deadline, value
        time.sleep(0.05)
    return value


def test_assets_and_candles(client, alice, db_url):
    h = alice.headers
    page = client.get("/api/v1/assets?limit=3", headers=h).json()
    assert [a["symbol"] for a in page["items"]] == ["BTC", "ETH", "USDT"] and page["total"] > 50
    stable = client.get("/api/v1/assets?category=stablecoin&limit=500", headers=h).json()["items"]
    assert stable and all(a["is_stablecoin"] for a in stable)
    hourly = [100.0, 120.0, 90.0, 110.0]
    write_price_partition(db_url, "ETH", DAY, hourly)
    write_price_partition(db_url, "ETH", DAY + dt.timedelta(days=1), [111.0])
    daily = client.get("/api/v1/assets/eth/prices?interval=1d", headers=h).json()
    assert daily["total"] == 2
    first = daily["items"][0]
    assert (first["open"], first["high"], first["low"], first["close"], first["ticks"]) == (
        100.0,
        120.0,
        90.0,
        110.0,
        4,
    )
    hours = client.get(
        "/api/v1/assets/ETH/prices?interval=1h&start=2025-01-01T01:00:00Z&end=2025-01-01T03:00:00Z", headers=h
    ).json()
    assert [c["close"] for c in hours["items"]] == [120.0, 90.0]
    detail = client.get("/api/v1/assets/ETH", headers=h).json()
    assert detail["latest_price"]["price"] == 111.0 and detail["snapshot"] is None
    assert client.get("/api/v1/assets/NOPE", headers=h).status_code == 404
    assert client.get("/api/v1/assets/NOPE/prices", headers=h).status_code == 404
    bad = client.get("/api/v1/assets/ETH/prices?interval=5m", headers=h)
    assert bad.status_code == 400 and problem_field(bad) == "interval"
    backwards = client.get("/api/v1/assets/ETH/prices?start=2025-02-01T00:00:00Z&end=2025-01-01T00:00:00Z", headers=h)
    assert backwards.status_code == 400 and problem_field(backwards) == "end"


def test_asset_risk_overview_trending(client, alice, db_url):
    h = alice.headers
    assert client.get("/api/v1/assets/BTC/risk", headers=h).json()["metrics"] is None
    btc = asset_id(db_url, "BTC")
    with transaction(db_url) as conn:
        conn.execute(
            risk_metrics.insert().values(
                asset_id=btc, time=DAY, window_days=365, volatility_30d=0.6, null_reasons={"sharpe": "too few returns"}
            )
        )
        conn.execute(
            global_market.insert().values(
                time=DAY, total_market_cap_usd=3e12, btc_dominance_pct=55.0, source="coingecko"
            )
        )
        conn.execute(
            market_snapshots.insert().values(
                asset_id=btc, time=DAY, price=90000.0, market_cap=1.8e12, source="coingecko"
            )
        )
        conn.execute(
            trending_coins.insert().values(
                [
                    {"time": DAY, "rank": r, "coingecko_id": c, "symbol": s, "name": s, "source": "coingecko"}
                    for r, (c, s) in enumerate([("pepe", "PEPE"), ("sui", "SUI")])
                ]
            )
        )
        # What the risk asset does: its public event flushes the cached "not computed yet".
        publish(conn, "risk_metrics_updates", {"type": "asset_risk", "day": "2025-01-01"})
    risk = eventually(lambda: client.get("/api/v1/assets/BTC/risk", headers=h).json(), lambda r: r["metrics"])
    assert risk["metrics"]["volatility_30d"] == 0.6 and risk["metrics"]["null_reasons"]["sharpe"] == "too few returns"
    overview = client.get("/api/v1/market/overview", headers=h).json()
    assert overview["global"]["btc_dominance_pct"] == 55.0 and overview["top_assets"][0]["symbol"] == "BTC"
    trending = client.get("/api/v1/market/trending?limit=1&offset=1", headers=h).json()
    assert trending["total"] == 2 and trending["items"][0]["symbol"] == "SUI"


def test_cache_hits_and_outbox_invalidation(client, alice, db_url):
    h = alice.headers
    seq = write_price_partition(db_url, "SOL", DAY, [10.0])
    url = "/api/v1/assets/SOL/prices?interval=1d"
    hub = client.app.state.hub
    eventually(lambda: hub.last_seq, lambda last: last >= seq)  # its flush is behind us
    assert client.get(url, headers=h).json()["total"] == 1
    hits = _metric(client, "crypto_risk_cache_requests_total", '{result="hit"}')
    assert client.get(url, headers=h).json()["items"][0]["close"] == 10.0
    assert _metric(client, "crypto_risk_cache_requests_total", '{result="hit"}') == hits + 1
    assert client.get(url).status_code == 401  # cached or not, the token is still required
    # New data under the same key: the outbox event flushes the cache long before the TTL.
    write_price_partition(db_url, "SOL", DAY, [12.0])
    deadline = time.monotonic() + 2
    while client.get(url, headers=h).json()["items"][0]["close"] != 12.0:
        assert time.monotonic() < deadline, "cache not invalidated by the outbox event"
        time.sleep(0.05)
    assert 0 < _metric(client, "crypto_risk_cache_hit_ratio") < 1


def test_health_and_metrics(client, alice, db_url):
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["database"] == "ok" and body["prices"]["latest"] is None and body["status"] == "degraded"
    write_price_partition(db_url, "BTC", DAY, [1.0])
    with transaction(db_url) as conn:
        conn.execute(sa.update(sa.table("price_history", sa.column("time"))).values(time=sa.func.now()))
        conn.execute(provider_health.insert().values(provider="coingecko", ok=True, status_code=200, latency_ms=12.0,
                                                     quota_used=9_700, quota_limit=10_000, quota_period="2026-12"))
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["prices"]["stale"] is False
    assert body["providers"][0]["provider"] == "coingecko"
    assert body["providers"][0]["quota"] == {"period": "2026-12", "used": 9_700, "limit": 10_000, "remaining": 300}
    client.get("/api/v1/portfolios", headers=alice.headers)
    text = client.get("/metrics").text
    assert "crypto_risk_request_duration_seconds_bucket" in text and 'path="/api/v1/portfolios"' in text
    assert "crypto_risk_ws_connections" in text and "crypto_risk_cache_hit_ratio" in text
    spec = client.get("/schema/openapi.json")
    assert spec.status_code == 200 and "/api/v1/portfolios/{portfolio_id}/holdings/import" in spec.json()["paths"]
    assert client.get("/schema/swagger").status_code == 200
