"""Portfolio risk, history, correlation, insights; alert rules, alerts and acknowledgement; settings."""

from __future__ import annotations

import datetime as dt

from tests.serving.conftest import problem_field
from tests.serving.data import DAY, raise_alert, write_portfolio_risk
from tests.serving.test_market import eventually


def test_risk_routes_before_and_after_computation(client, alice, db_url):
    pid = client.post("/api/v1/portfolios", json={"name": "R"}, headers=alice.headers).json()["id"]
    empty = client.get(f"/api/v1/portfolios/{pid}/risk", headers=alice.headers).json()
    assert empty["metrics"] is None and "not computed" in empty["reason"]
    assert client.get(f"/api/v1/portfolios/{pid}/correlation", headers=alice.headers).json()["correlation"] is None
    for i, score in enumerate((4, 6, 7)):
        write_portfolio_risk(db_url, pid, alice.id, DAY + dt.timedelta(days=i), score)
    # The cached "not computed yet" goes as soon as the risk asset's outbox event arrives.
    latest = eventually(
        lambda: client.get(f"/api/v1/portfolios/{pid}/risk", headers=alice.headers).json(),
        lambda r: r["metrics"] is not None and r["metrics"]["risk_score"] == 7,
    )
    assert latest["reason"] is None
    assert latest["metrics"]["risk_score"] == 7
    assert latest["metrics"]["score_components"] == {"volatility": 0.6, "concentration": 0.4}
    assert latest["metrics"]["null_reasons"] == {"beta_market": "no market index yet"}
    assert latest["metrics"]["sharpe"] is None
    history = client.get(
        f"/api/v1/portfolios/{pid}/risk/history?start=2025-01-02T00:00:00Z&limit=1", headers=alice.headers
    ).json()
    assert history["total"] == 2 and [h["risk_score"] for h in history["items"]] == [6]
    corr = eventually(
        lambda: client.get(f"/api/v1/portfolios/{pid}/correlation", headers=alice.headers).json(),
        lambda r: r["correlation"] is not None,
    )["correlation"]
    assert corr["symbols"] == ["BTC", "ETH"] and corr["matrix"][0][1] == 0.8
    insights = client.get(f"/api/v1/portfolios/{pid}/insights?kind=weekly_analysis", headers=alice.headers).json()
    assert insights["total"] == 3 and insights["items"][0]["provider"] == "offline"
    bad = client.get(f"/api/v1/portfolios/{pid}/risk/history?start=yesterday", headers=alice.headers)
    assert bad.status_code == 400 and problem_field(bad) == "start"
    # The user's own write is visible at once, cache or not.
    assert client.delete(f"/api/v1/portfolios/{pid}", headers=alice.headers).status_code == 204
    assert client.get(f"/api/v1/portfolios/{pid}/risk", headers=alice.headers).status_code == 404


def test_alert_rules_alerts_and_ack(client, alice, db_url):
    r = client.post(
        "/api/v1/alerts/rules",
        json={"kind": "price_above", "threshold": 100000, "symbol": "btc"},
        headers=alice.headers,
    )
    assert r.status_code == 201 and r.json()["symbol"] == "BTC" and r.json()["is_active"]
    rid = r.json()["id"]
    for body, field in [
        ({"kind": "moon", "threshold": 1, "symbol": "BTC"}, "kind"),
        ({"kind": "price_above", "threshold": 1}, "portfolio_id"),
        ({"kind": "price_above", "threshold": "x", "symbol": "BTC"}, "threshold"),
    ]:
        bad = client.post("/api/v1/alerts/rules", json=body, headers=alice.headers)
        assert bad.status_code == 400 and problem_field(bad) == field, body
    unknown = client.post(
        "/api/v1/alerts/rules", json={"kind": "price_above", "threshold": 1, "symbol": "NOPE"}, headers=alice.headers
    )
    assert unknown.status_code == 422 and problem_field(unknown) == "symbol"
    r = client.patch(f"/api/v1/alerts/rules/{rid}", json={"is_active": False}, headers=alice.headers)
    assert r.status_code == 200 and r.json()["is_active"] is False and r.json()["threshold"] == 100000
    assert client.get("/api/v1/alerts/rules", headers=alice.headers).json()["total"] == 1
    first, second = raise_alert(db_url, alice.id, "one"), raise_alert(db_url, alice.id, "two")
    assert [a["id"] for a in client.get("/api/v1/alerts", headers=alice.headers).json()["items"]] == [second, first]
    acked = client.post(f"/api/v1/alerts/{first}/ack", headers=alice.headers)
    assert acked.status_code == 200 and acked.json()["acknowledged_at"] is not None
    again = client.post(f"/api/v1/alerts/{first}/ack", headers=alice.headers).json()
    assert again["acknowledged_at"] == acked.json()["acknowledged_at"]
    open_only = client.get("/api/v1/alerts?acknowledged=false", headers=alice.headers).json()["items"]
    assert [a["id"] for a in open_only] == [second]
    assert client.post("/api/v1/alerts/999999/ack", headers=alice.headers).status_code == 404
    assert client.delete(f"/api/v1/alerts/rules/{rid}", headers=alice.headers).status_code == 204
    assert client.get(f"/api/v1/alerts/rules/{rid}", headers=alice.headers).status_code == 404


def test_settings_defaults_put_and_validation(client, alice, bob):
    assert client.get("/api/v1/settings", headers=alice.headers).json()["risk_tolerance"] == "moderate"
    body = {
        "risk_tolerance": "aggressive",
        "base_currency": "EUR",
        "alert_channels": ["in_app", "email"],
        "max_weight": 0.25,
    }
    r = client.put("/api/v1/settings", json=body, headers=alice.headers)
    assert r.status_code == 200 and r.json()["base_currency"] == "EUR" and r.json()["stablecoin_floor"] == 0.0
    assert client.get("/api/v1/settings", headers=alice.headers).json()["alert_channels"] == ["in_app", "email"]
    assert client.get("/api/v1/settings", headers=bob.headers).json()["risk_tolerance"] == "moderate"
    for bad, field in [
        ({"risk_tolerance": "yolo"}, "risk_tolerance"),
        ({"max_weight": 0}, "max_weight"),
        ({"alert_channels": ["sms"]}, "alert_channels"),
        ({"base_currency": "euro"}, "base_currency"),
        ({"alert_channels": ["email", "email"]}, "alert_channels"),
    ]:
        r = client.put("/api/v1/settings", json=bad, headers=alice.headers)
        assert r.status_code == 400 and problem_field(r).split("[")[0] == field, bad
