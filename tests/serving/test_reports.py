"""Weekly reports through the API: listed newest first, downloaded as HTML, only by their owner."""

from __future__ import annotations

import datetime as dt

from tests.serving.conftest import User
from warehouse.engine import transaction
from warehouse.queries import reports


def _portfolio(client, user: User) -> int:
    r = client.post("/api/v1/portfolios", json={"name": "Core"}, headers=user.headers)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _store(db_url, pid: int, monday: dt.date, html: str) -> int:
    with transaction(db_url) as conn:
        return reports.store_report(conn, pid, monday, monday + dt.timedelta(days=6), html)


def test_reports_are_listed_and_downloaded_by_their_owner_only(client, db_url, alice, bob):
    pid = _portfolio(client, alice)
    older = _store(db_url, pid, dt.date(2025, 3, 3), "<html><body>week one</body></html>")
    newer = _store(db_url, pid, dt.date(2025, 3, 10), "<html><body>week two</body></html>")

    listed = client.get(f"/api/v1/portfolios/{pid}/reports", headers=alice.headers)
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 2
    assert [(r["id"], r["period_start"], r["period_end"], r["has_pdf"]) for r in body["items"]] == [
        (newer, "2025-03-10", "2025-03-16", False),
        (older, "2025-03-03", "2025-03-09", False),
    ]

    page = client.get(f"/api/v1/portfolios/{pid}/reports/{older}", headers=alice.headers)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "week one" in page.text and "2025-03-09" in page.headers["content-disposition"]
    assert "default-src 'none'" in page.headers["content-security-policy"]  # nothing in it may run or load
    assert client.get(f"/api/v1/portfolios/{pid}/reports/{older}?format=pdf", headers=alice.headers).status_code == 404

    # Another user's portfolio and report do not exist for bob.
    assert client.get(f"/api/v1/portfolios/{pid}/reports", headers=bob.headers).status_code == 404
    assert client.get(f"/api/v1/portfolios/{pid}/reports/{older}", headers=bob.headers).status_code == 404
    bobs = _portfolio(client, bob)
    assert client.get(f"/api/v1/portfolios/{bobs}/reports/{older}", headers=bob.headers).status_code == 404
    assert client.get(f"/api/v1/portfolios/{pid}/reports/{older}").status_code == 401


def test_rerunning_a_week_replaces_its_report(client, db_url, alice):
    pid = _portfolio(client, alice)
    first = _store(db_url, pid, dt.date(2025, 3, 3), "first")
    second = _store(db_url, pid, dt.date(2025, 3, 3), "second")
    assert first == second
    assert client.get(f"/api/v1/portfolios/{pid}/reports/{first}", headers=alice.headers).text == "second"
