"""Insights of stored portfolios land in real PostgreSQL: idempotent rows, an outbox event per
portfolio, the answer cache in the warehouse, and advice that follows the user's risk tolerance."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from assets.insights import build
from assets.insights.llm import ChatModel, LLMSettings
from assets.insights.rebalance import TOLERANCE
from tests.insights.conftest import HOLDINGS, add_portfolio, add_user, store_risk
from warehouse import outbox
from warehouse.engine import get_engine, transaction
from warehouse.models import ai_insights
from warehouse.queries import insights as q

ALL = build.WEEKLY_KINDS + build.REBALANCING_KINDS


def rows(url, pid):
    with get_engine(url).connect() as conn:
        return {r["kind"]: r for r in q.insights(conn, pid)}


def test_offline_run_writes_every_kind_once(seeded):
    url, pid, uid = seeded["url"], seeded["portfolio_id"], seeded["user_id"]
    first = build.run(url, ALL)
    assert first.skipped == {} and first.metadata()["offline"] == len(ALL)
    stored = rows(url, pid)
    assert set(stored) == set(ALL)
    for r in stored.values():
        assert r["provider"] == "offline" and r["user_id"] == uid and r["as_of"] == seeded["risk"]["time"]
        assert r["body"].endswith(r["structured"]["notice"]) and "Not financial advice" in r["body"]
        assert len(r["facts_hash"]) == 64 and r["facts"]["facts"]
    assert "var breach alert" in stored["risk_alert_explanation"]["body"]
    sentiment = stored["market_sentiment"]["structured"]["sentiment"]
    assert sentiment["SOL"]["scores"]["7d"] == pytest.approx(-0.5) and sentiment["ETH"]["scores"]["7d"] is None
    assert sentiment["BTC"]["headlines"][0]["title"] == "Bitcoin ETF inflows keep rising"

    again = build.run(url, ALL)
    assert {w.insight_id for w in again.written} == {w.insight_id for w in first.written}
    with get_engine(url).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ai_insights)).scalar_one() == len(ALL)
        events = outbox.events_after(conn, 0, channels=["portfolio_updates"])
    assert len(events) == 2 and all(e.user_id == uid for e in events)
    assert events[-1].payload["type"] == "insights" and events[-1].payload["portfolio_id"] == pid
    assert sorted(i["kind"] for i in events[-1].payload["insights"]) == sorted(ALL)


def test_rebalancing_row_holds_trades_within_the_users_limits(seeded):
    url, pid = seeded["url"], seeded["portfolio_id"]
    build.run(url, ["rebalancing"], portfolio_ids=[pid])
    row = rows(url, pid)["rebalancing"]
    rebalance = row["structured"]["rebalance"]
    assert rebalance["recommended_method"] == "risk_parity"  # moderate
    for method in ("min_variance", "risk_parity"):
        m = rebalance["methods"][method]
        assert m["null_reason"] is None
        w = m["target_weights"]
        assert sum(w.values()) == pytest.approx(1.0) and max(w.values()) <= 0.4 + TOLERANCE
        assert w["USDC"] >= 0.1 - TOLERANCE  # the floor brought in a stablecoin the portfolio lacked
        assert m["turnover"] <= 1.5 + TOLERANCE and m["after"]["volatility"] < m["before"]["volatility"]
        assert sum(t["usd"] for t in m["trades"]) == pytest.approx(0.0, abs=1.0)
    assert "Rebalancing suggestion: risk parity" == row["title"]


def test_conservative_and_aggressive_users_get_different_advice(seeded):
    url = seeded["url"]
    with transaction(url) as conn:
        cons = add_user(conn, "careful@example.com", "conservative", stablecoin_floor=0.1, turnover_limit=1.5)
        aggr = add_user(conn, "bold@example.com", "aggressive", stablecoin_floor=0.1, turnover_limit=1.5)
        pc, pa = add_portfolio(conn, cons, "Same", HOLDINGS), add_portfolio(conn, aggr, "Same", HOLDINGS)
        rc, ra = store_risk(conn, pc, HOLDINGS), store_risk(conn, pa, HOLDINGS)
    assert rc["risk_score"] == ra["risk_score"]
    build.run(url, ["personalized_recommendation", "rebalancing"], portfolio_ids=[pc, pa])
    c, a = rows(url, pc), rows(url, pa)
    cp, ap = c["personalized_recommendation"], a["personalized_recommendation"]
    assert cp["facts"]["context"]["verdict"] == "reduce" and ap["facts"]["context"]["verdict"] == "hold"
    assert cp["title"] != ap["title"] and cp["body"] != ap["body"]
    assert "conservative" in cp["title"] and "aggressive" in ap["title"]
    assert c["rebalancing"]["structured"]["rebalance"]["recommended_method"] == "min_variance"
    assert a["rebalancing"]["structured"]["rebalance"]["recommended_method"] == "risk_parity"


def test_model_rows_and_the_warehouse_cache(seeded, llm_env):
    url, pid = seeded["url"], seeded["portfolio_id"]
    chat = ChatModel(LLMSettings.from_env(timeout_s=5.0, max_retries=0))
    first = build.run(url, ["weekly_analysis", "market_sentiment"], chat=chat)
    assert llm_env.calls() == 2 and first.metadata()["model_written"] == 2
    stored = rows(url, pid)
    assert stored["weekly_analysis"]["provider"] == "openai"
    assert stored["weekly_analysis"]["model"] == "local-test-model" and stored["weekly_analysis"]["prompt_tokens"] > 0
    again = build.run(url, ["weekly_analysis", "market_sentiment"], chat=chat)
    assert llm_env.calls() == 2  # same facts: no new call
    assert again.metadata()["tokens"] == 0
    assert rows(url, pid) == stored  # the rerun leaves the rows, and their recorded cost, as they were

    with transaction(url) as conn:  # another portfolio with the very same facts reuses the answer
        twin = add_portfolio(conn, seeded["user_id"], "Twin", HOLDINGS)
        store_risk(conn, twin, HOLDINGS)
    build.run(url, ["weekly_analysis"], portfolio_ids=[twin], chat=chat)
    assert llm_env.calls() == 2
    copy = rows(url, twin)["weekly_analysis"]
    assert (
        copy["provider"] == "openai"
        and copy["prompt_tokens"] == 0
        and copy["body"] == stored["weekly_analysis"]["body"]
    )
    assert copy["structured"]["cache"]["insight_id"] == stored["weekly_analysis"]["id"]


def test_ungrounded_model_answer_is_never_stored(seeded, llm_env):
    url, pid = seeded["url"], seeded["portfolio_id"]
    llm_env.default = "ungrounded"
    chat = ChatModel(LLMSettings.from_env(timeout_s=5.0, max_retries=0))
    build.run(url, ["weekly_analysis"], chat=chat)
    row = rows(url, pid)["weekly_analysis"]
    assert row["provider"] == "offline" and row["fallback_reason"].startswith("ungrounded")
    assert "987.65" not in row["body"] and llm_env.calls() == 2


def test_on_demand_for_one_portfolio_and_bad_requests(seeded):
    url, pid = seeded["url"], seeded["portfolio_id"]
    with transaction(url) as conn:
        other = add_portfolio(conn, seeded["user_id"], "No risk yet", {"BTC": 1.0})
    with pytest.raises(ValueError, match="unknown portfolio id"):
        build.run(url, ["weekly_analysis"], portfolio_ids=[pid, 999_999])
    with pytest.raises(ValueError, match="unknown insight kind"):
        build.run(url, ["horoscope"])
    assert rows(url, pid) == {}
    result = build.run(url, ["weekly_analysis"], portfolio_ids=[pid, other])
    assert [w.portfolio_id for w in result.written] == [pid]
    assert result.skipped == {other: "no portfolio risk metrics yet"}


def test_an_empty_portfolio_gets_honest_insights_not_a_crash(seeded):
    url = seeded["url"]
    with transaction(url) as conn:
        empty = add_portfolio(conn, seeded["user_id"], "Empty", {})
        conn.execute(
            sa.text(
                "INSERT INTO portfolio_risk_metrics (portfolio_id, time, window_days, contributions, null_reasons) "
                "VALUES (:p, :t, 90, CAST(:c AS jsonb), CAST(:n AS jsonb))"
            ),
            {
                "p": empty,
                "t": seeded["risk"]["time"],
                "c": '{"null_reason": "the portfolio holds nothing", "holdings": {}}',
                "n": '{"risk_score": "the portfolio holds nothing"}',
            },
        )
    result = build.run(url, ALL, portfolio_ids=[empty])
    stored = rows(url, empty)
    assert set(stored) == set(ALL) - {"risk_alert_explanation"} and result.metadata()["fallbacks"] == 0
    assert stored["rebalancing"]["structured"]["rebalance_null_reason"] == "the portfolio holds nothing"
    assert "No rebalancing can be computed" in stored["rebalancing"]["body"]
    assert "no assets to report news sentiment" in stored["market_sentiment"]["body"]
    assert "risk score is not available" in stored["weekly_analysis"]["body"]
    assert stored["personalized_recommendation"]["facts"]["context"]["verdict"] == "unknown"
