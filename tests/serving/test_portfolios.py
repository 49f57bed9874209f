"""Portfolios, holdings (incl. CSV import), wallets and summary: happy paths and errors; the
outbox events user writes publish for the Dagster sensor."""

from __future__ import annotations

import sqlalchemy as sa

from tests.serving.conftest import problem_field
from tests.serving.data import DAY, write_price_partition
from warehouse.engine import transaction
from warehouse.outbox import events_after


def _portfolio(client, user, name="Main") -> int:
    r = client.post("/api/v1/portfolios", json={"name": name}, headers=user.headers)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_portfolio_crud_and_pagination(client, alice):
    ids = [_portfolio(client, alice, f"P{i}") for i in range(3)]
    page = client.get("/api/v1/portfolios?limit=2&offset=1", headers=alice.headers).json()
    assert page["total"] == 3 and [p["id"] for p in page["items"]] == ids[1:]
    r = client.patch(f"/api/v1/portfolios/{ids[0]}", json={"description": "long term"}, headers=alice.headers)
    assert r.status_code == 200 and r.json()["description"] == "long term" and r.json()["name"] == "P0"
    assert client.patch(f"/api/v1/portfolios/{ids[0]}", json={"name": "P1"}, headers=alice.headers).status_code == 409
    assert client.delete(f"/api/v1/portfolios/{ids[0]}", headers=alice.headers).status_code == 204
    assert client.get(f"/api/v1/portfolios/{ids[0]}", headers=alice.headers).status_code == 404
    assert client.get("/api/v1/portfolios?limit=0", headers=alice.headers).status_code == 400


def test_portfolio_validation_names_the_field(client, alice):
    for body, field in [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x", "base_currency": "usd"}, "base_currency"),
        ({}, "name"),
        ({"name": "x" * 101}, "name"),
    ]:
        r = client.post("/api/v1/portfolios", json=body, headers=alice.headers)
        assert r.status_code == 400, (body, r.text)
        assert problem_field(r) == field
    _portfolio(client, alice, "Dup")
    r = client.post("/api/v1/portfolios", json={"name": "Dup"}, headers=alice.headers)
    assert r.status_code == 409 and problem_field(r) == "name"


def test_holdings_crud_and_events(client, alice, db_url):
    pid = _portfolio(client, alice)
    with transaction(db_url) as conn:
        start = max([e.seq for e in events_after(conn, 0)], default=0)
    r = client.post(
        f"/api/v1/portfolios/{pid}/holdings",
        json={"symbol": "btc", "quantity": "0.5", "cost_basis": 20000},
        headers=alice.headers,
    )
    assert r.status_code == 201 and r.json()["symbol"] == "BTC" and r.json()["quantity"] == "0.5"
    hid = r.json()["id"]
    again = client.post(
        f"/api/v1/portfolios/{pid}/holdings", json={"symbol": "BTC", "quantity": 1}, headers=alice.headers
    )
    assert again.status_code == 409 and problem_field(again) == "symbol"
    r = client.patch(
        f"/api/v1/portfolios/{pid}/holdings/{hid}", json={"quantity": "0.123456789012345678"}, headers=alice.headers
    )
    assert r.status_code == 200 and r.json()["quantity"] == "0.123456789012345678"
    assert r.json()["cost_basis"] == "20000"
    listed = client.get(f"/api/v1/portfolios/{pid}/holdings", headers=alice.headers).json()
    assert listed["total"] == 1
    assert client.delete(f"/api/v1/portfolios/{pid}/holdings/{hid}", headers=alice.headers).status_code == 204
    assert client.delete(f"/api/v1/portfolios/{pid}/holdings/{hid}", headers=alice.headers).status_code == 404
    with transaction(db_url) as conn:
        events = events_after(conn, start)
    sensor = [e for e in events if e.channel == "holdings_changed"]
    assert [e.payload["type"] for e in sensor] == ["holding_added", "holding_updated", "holding_deleted"]
    assert all(e.user_id == alice.id and e.payload["portfolio_id"] == pid for e in sensor)
    assert [e.payload["type"] for e in events if e.channel == "portfolio_updates"] == [
        "holding_added",
        "holding_updated",
        "holding_deleted",
    ]


def test_holding_validation_names_the_field(client, alice, db_url):
    pid = _portfolio(client, alice)
    url = f"/api/v1/portfolios/{pid}/holdings"
    cases = [
        ({"symbol": "BTC", "quantity": -1}, 400, "quantity"),
        ({"symbol": "BTC", "quantity": "NaN"}, 400, "quantity"),
        ({"symbol": "BTC", "quantity": "1e30"}, 400, "quantity"),
        ({"symbol": "BTC", "quantity": "lots"}, 400, "quantity"),
        ({"symbol": "BTC", "quantity": 1, "cost_basis": -5}, 400, "cost_basis"),
        ({"symbol": "NOPE", "quantity": 1}, 422, "symbol"),
        ({"symbol": "B T C", "quantity": 1}, 400, "symbol"),
        ({"quantity": 1}, 400, "symbol"),
    ]
    for body, status, field in cases:
        r = client.post(url, json=body, headers=alice.headers)
        assert r.status_code == status, (body, r.text)
        assert problem_field(r) == field, body
    with transaction(db_url) as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM portfolio_holdings")).scalar() == 0


def test_csv_import_all_or_nothing(client, alice):
    pid = _portfolio(client, alice)
    url = f"/api/v1/portfolios/{pid}/holdings/import"
    headers = alice.headers | {"Content-Type": "text/csv"}
    bad = "symbol,quantity,cost_basis\nBTC,1,100\nETH,-2,\nXXX1,3,\nBTC,4,\n"
    r = client.post(url, content=bad, headers=headers)
    assert r.status_code == 422
    rows = {(e["row"], e["field"]) for e in r.json()["errors"]}
    assert rows == {(3, "quantity"), (5, "symbol")}
    unknown = client.post(url, content="symbol,quantity\nBTC,1\nXXX1,3\n", headers=headers)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["row"] == 3
    assert client.get(f"/api/v1/portfolios/{pid}/holdings", headers=alice.headers).json()["total"] == 0
    assert client.post(url, content="sym,qty\n", headers=headers).json()["field"] == "header"
    good = "symbol,quantity,cost_basis\nbtc,1.5,30000\nETH,10,\n"
    r = client.post(url, content=good, headers=headers)
    assert r.status_code == 200 and r.json() == {"rows": 2, "created": 2, "updated": 0}
    r = client.post(url, content="symbol,quantity\nBTC,2\n", headers=headers)
    assert r.json() == {"rows": 1, "created": 0, "updated": 1}
    holdings = client.get(f"/api/v1/portfolios/{pid}/holdings", headers=alice.headers).json()["items"]
    assert {h["symbol"]: h["quantity"] for h in holdings} == {"BTC": "2", "ETH": "10"}
    assert all(h["source"] == "csv" for h in holdings)


def test_wallets(client, alice):
    pid = _portfolio(client, alice)
    address = "0x" + "AB" * 20
    r = client.post(
        f"/api/v1/portfolios/{pid}/wallets", json={"address": address, "label": "cold"}, headers=alice.headers
    )
    assert r.status_code == 201 and r.json()["address"] == address.lower() and r.json()["chain_id"] == 1
    dup = client.post(f"/api/v1/portfolios/{pid}/wallets", json={"address": address}, headers=alice.headers)
    assert dup.status_code == 409 and problem_field(dup) == "address"
    bad = client.post(f"/api/v1/portfolios/{pid}/wallets", json={"address": "0x123"}, headers=alice.headers)
    assert bad.status_code == 400 and problem_field(bad) == "address"
    assert client.get(f"/api/v1/portfolios/{pid}/wallets", headers=alice.headers).json()["total"] == 1
    wid = r.json()["id"]
    assert client.delete(f"/api/v1/portfolios/{pid}/wallets/{wid}", headers=alice.headers).status_code == 204
    assert client.get(f"/api/v1/portfolios/{pid}/wallets", headers=alice.headers).json()["total"] == 0


def test_summary_values_pnl_and_allocation(client, alice, db_url):
    write_price_partition(db_url, "BTC", DAY, [40000.0, 50000.0])
    write_price_partition(db_url, "ETH", DAY, [2500.0])
    pid = _portfolio(client, alice)
    for body in (
        {"symbol": "BTC", "quantity": 1, "cost_basis": 30000},
        {"symbol": "ETH", "quantity": 4},
        {"symbol": "SOL", "quantity": 3},
    ):
        assert client.post(f"/api/v1/portfolios/{pid}/holdings", json=body, headers=alice.headers).status_code == 201
    s = client.get(f"/api/v1/portfolios/{pid}/summary", headers=alice.headers).json()
    assert s["value"] == 60000.0  # latest BTC price 50000 x 1 + 2500 x 4; SOL has no price
    assert s["unpriced"] == ["SOL"]
    assert s["cost_basis"] == 30000.0 and s["pnl"] == 20000.0 and abs(s["pnl_pct"] - 2 / 3) < 1e-12
    weights = {p["symbol"]: p["weight"] for p in s["positions"]}
    assert weights == {"BTC": 50000 / 60000, "ETH": 10000 / 60000, "SOL": None}
