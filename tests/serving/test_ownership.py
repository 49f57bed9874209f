"""The ownership matrix: user B gets 404 on every one of user A's resources, for every verb, and
A's rows are unchanged afterwards."""

from __future__ import annotations

import pytest

from tests.serving.data import DAY, raise_alert, write_portfolio_risk


@pytest.fixture
def alices_things(client, alice, db_url) -> dict[str, int]:
    h = alice.headers
    pid = client.post("/api/v1/portfolios", json={"name": "A"}, headers=h).json()["id"]
    hid = client.post(f"/api/v1/portfolios/{pid}/holdings", json={"symbol": "BTC", "quantity": 1}, headers=h).json()[
        "id"
    ]
    wid = client.post(f"/api/v1/portfolios/{pid}/wallets", json={"address": "0x" + "1" * 40}, headers=h).json()["id"]
    rid = client.post(
        "/api/v1/alerts/rules", json={"kind": "var_breach", "threshold": 0.1, "portfolio_id": pid}, headers=h
    ).json()["id"]
    write_portfolio_risk(db_url, pid, alice.id, DAY, 5)
    aid = raise_alert(db_url, alice.id)
    return {"pid": pid, "hid": hid, "wid": wid, "rid": rid, "aid": aid}


CSV = {"content": "symbol,quantity\nETH,1\n", "headers": {"Content-Type": "text/csv"}}
MATRIX = [
    ("GET", "/api/v1/portfolios/{pid}", None),
    ("PATCH", "/api/v1/portfolios/{pid}", {"json": {"name": "stolen"}}),
    ("DELETE", "/api/v1/portfolios/{pid}", None),
    ("GET", "/api/v1/portfolios/{pid}/summary", None),
    ("GET", "/api/v1/portfolios/{pid}/risk", None),
    ("GET", "/api/v1/portfolios/{pid}/risk/history", None),
    ("GET", "/api/v1/portfolios/{pid}/correlation", None),
    ("GET", "/api/v1/portfolios/{pid}/insights", None),
    ("GET", "/api/v1/portfolios/{pid}/holdings", None),
    ("POST", "/api/v1/portfolios/{pid}/holdings", {"json": {"symbol": "ETH", "quantity": 1}}),
    ("POST", "/api/v1/portfolios/{pid}/holdings/import", CSV),
    ("PATCH", "/api/v1/portfolios/{pid}/holdings/{hid}", {"json": {"quantity": 0}}),
    ("DELETE", "/api/v1/portfolios/{pid}/holdings/{hid}", None),
    ("GET", "/api/v1/portfolios/{pid}/wallets", None),
    ("POST", "/api/v1/portfolios/{pid}/wallets", {"json": {"address": "0x" + "2" * 40}}),
    ("DELETE", "/api/v1/portfolios/{pid}/wallets/{wid}", None),
    ("GET", "/api/v1/alerts/rules/{rid}", None),
    ("PATCH", "/api/v1/alerts/rules/{rid}", {"json": {"threshold": 9.0}}),
    ("DELETE", "/api/v1/alerts/rules/{rid}", None),
    ("POST", "/api/v1/alerts/{aid}/ack", None),
]


def test_other_users_get_404_for_every_verb(client, alice, bob, alices_things):
    before = {
        path: client.get(path.format(**alices_things), headers=alice.headers).json()
        for method, path, _ in MATRIX
        if method == "GET"
    }
    for method, path, kwargs in MATRIX:
        kwargs = dict(kwargs or {})
        headers = bob.headers | kwargs.pop("headers", {})
        r = client.request(method, path.format(**alices_things), headers=headers, **kwargs)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
    after = {path: client.get(path.format(**alices_things), headers=alice.headers).json() for path in before}
    assert after == before
    # Nothing of Alice's shows up in Bob's lists either.
    for path in ("/api/v1/portfolios", "/api/v1/alerts/rules", "/api/v1/alerts"):
        assert client.get(path, headers=bob.headers).json()["total"] == 0
    alerts = client.get("/api/v1/alerts", headers=alice.headers).json()["items"]
    assert alerts[0]["acknowledged_at"] is None


def test_rules_cannot_point_at_someone_elses_portfolio(client, bob, alices_things):
    r = client.post(
        "/api/v1/alerts/rules",
        json={"kind": "drawdown", "threshold": 0.2, "portfolio_id": alices_things["pid"]},
        headers=bob.headers,
    )
    assert r.status_code == 422 and r.json()["field"] == "portfolio_id"
