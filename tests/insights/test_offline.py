"""The offline engine: deterministic, labelled offline, same schema, the notice on every insight."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np

from assets.insights import sheets
from assets.insights.build import rebalance_extra
from assets.insights.engine import generate
from assets.insights.personalize import profile
from assets.insights.prompts import NOTICE, PROMPT_VERSION
from assets.insights.rebalance import METHODS, Constraints, optimize_weights
from assets.insights.sentiment import aggregate
from tests.insights.test_sentiment import frame


def all_sheets(risk, settings, prices):
    w = prices.values[-1] * np.array([{"BTC": 0.5, "ETH": 2.0, "SOL": 400.0}.get(s, 0.0) for s in prices.symbols])
    r = prices.values[-91:]
    returns = r[1:] / r[:-1] - 1
    c = Constraints(settings["max_weight"], settings["stablecoin_floor"], settings["turnover_limit"])
    stable = np.array([s == "USDC" for s in prices.symbols])
    results = {m: optimize_weights(prices.symbols, returns, w / w.sum(), stable, c, m) for m in METHODS}
    p = profile(settings["risk_tolerance"])
    as_of = risk["time"]
    news = aggregate(frame(as_of), as_of, ["BTC", "ETH", "SOL"])
    alert = {
        "id": 7,
        "kind": "var_breach",
        "severity": "warning",
        "triggered_at": as_of - dt.timedelta(days=1),
        "data": {"value": risk["var_95"], "threshold": 0.02},
    }
    return [
        (sheets.weekly_analysis(risk), {}),
        (sheets.rebalancing(risk, settings, p, results), rebalance_extra(results, None, p.method)),
        (sheets.personalized_recommendation(risk, settings, p, results), {}),
        (sheets.market_sentiment(news, as_of), {}),
        (sheets.risk_alert_explanation(risk, [alert]), {}),
    ]


def test_every_kind_has_an_offline_insight_with_notice_and_citations(risk, settings, prices):
    for sheet, extra in all_sheets(risk, settings, prices):
        ins = generate(sheet, chat=None, extra=extra)
        assert ins.provider == "offline" and ins.model.startswith("offline")
        assert ins.fallback_reason is None and ins.prompt_version == PROMPT_VERSION
        assert ins.body.endswith(NOTICE) and ins.structured["notice"] == NOTICE
        assert ins.structured["generated_by"].startswith("offline")
        claims = ins.structured["summary"] + ins.structured["recommendations"]
        assert claims and all(c["fact_ids"] for c in claims)
        known = {f["id"] for f in ins.facts["facts"]}
        assert all(set(c["fact_ids"]) <= known for c in claims)
        assert ins.facts_hash == sheet.hash()


def test_offline_output_is_deterministic(risk, settings, prices):
    first = [generate(s, chat=None, extra=e) for s, e in all_sheets(risk, settings, prices)]
    again = [generate(s, chat=None, extra=e) for s, e in all_sheets(copy.deepcopy(risk), dict(settings), prices)]
    assert first == again
    assert len({i.facts_hash for i in first}) == len(first)


def test_a_changed_fact_changes_hash_and_text(risk):
    base = sheets.weekly_analysis(risk)
    changed = sheets.weekly_analysis({**risk, "risk_score": round(risk["risk_score"] + 1.0, 2)})
    assert base.hash() != changed.hash()
    assert generate(base, chat=None).body != generate(changed, chat=None).body


def test_unknown_metrics_are_said_not_invented(risk):
    blank = {
        **risk,
        "risk_score": None,
        "var_95": None,
        "es_99": None,
        "null_reasons": {"risk_score": "needs 90 daily returns, 12 available"},
    }
    ins = generate(sheets.weekly_analysis(blank), chat=None)
    assert "risk score is not available" in ins.body
    assert "Value at risk is not available" in ins.body
    score = next(f for f in ins.facts["facts"] if f["id"] == "risk.risk_score")
    assert score["value"] is None and score["note"] == "needs 90 daily returns, 12 available"
