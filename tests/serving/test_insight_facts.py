"""An insight is served with the facts it was written from, so the dashboard can show what it cites."""

from __future__ import annotations

import datetime as dt

from warehouse.engine import transaction
from warehouse.models import ai_insights


def test_insights_carry_their_cited_facts(client, db_url, alice):
    pid = client.post("/api/v1/portfolios", json={"name": "Core"}, headers=alice.headers).json()["id"]
    facts = {"var_95": 0.041, "largest_holding": "BTC", "largest_weight": 0.62}
    with transaction(db_url) as conn:
        conn.execute(
            ai_insights.insert().values(
                user_id=alice.id,
                portfolio_id=pid,
                kind="weekly_analysis",
                as_of=dt.datetime(2025, 3, 9, tzinfo=dt.UTC),
                title="BTC leads",
                body="BTC is 62% of the portfolio.",
                facts=facts,
                facts_hash="h",
                provider="offline",
                prompt_version="1",
            )
        )
    items = client.get(f"/api/v1/portfolios/{pid}/insights", headers=alice.headers).json()["items"]
    assert [i["facts"] for i in items] == [facts]
