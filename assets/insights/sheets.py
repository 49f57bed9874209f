"""Fact sheets of each insight kind, from warehouse rows and the pure computations.

Inputs are plain mappings shaped like the warehouse rows (``portfolio_risk_metrics`` with its JSON
columns, ``user_settings``, ``alerts``) so this stays free of database code. Context values are
words (symbols, labels, method names), never numbers: every number is a fact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from assets.insights.facts import Fact, FactSheet, Headline, fact
from assets.insights.personalize import Profile, verdict
from assets.insights.rebalance import Rebalance
from assets.insights.sentiment import AssetSentiment, label

RISK = "portfolio_risk_metrics"

_RISK_FACTS: tuple[tuple[str, str, str], ...] = (
    ("risk_score", "risk score (1 lowest .. 10 highest)", "score"),
    ("value_usd", "portfolio value", "usd"),
    ("volatility_30d", "30-day annualized volatility", "fraction"),
    ("volatility_90d", "90-day annualized volatility", "fraction"),
    ("volatility_365d", "365-day annualized volatility", "fraction"),
    ("var_95", "one-day historical VaR at 95% (loss)", "fraction"),
    ("var_99", "one-day historical VaR at 99% (loss)", "fraction"),
    ("es_99", "one-day expected shortfall at 99% (loss)", "fraction"),
    ("max_drawdown", "maximum drawdown over the window", "fraction"),
    ("current_drawdown", "current drawdown from the window's peak", "fraction"),
    ("sharpe", "Sharpe ratio (annualized)", "ratio"),
    ("beta_btc", "beta to BTC", "ratio"),
    ("hhi", "concentration (Herfindahl index of weights)", "ratio"),
    ("effective_holdings", "effective number of holdings", "ratio"),
)


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def iso(t: dt.datetime | str) -> str:
    return t if isinstance(t, str) else t.astimezone(dt.UTC).isoformat()


def risk_facts(risk: Mapping, *, detail: bool = True) -> list[Fact]:
    """Metrics, score components, per-holding weights and contributions, and stress results."""
    as_of = iso(risk["time"])
    reasons = risk.get("null_reasons") or {}
    out = [
        fact(f"risk.{key}", label, risk.get(key), unit, as_of, RISK, reasons.get(key))
        for key, label, unit in _RISK_FACTS
    ]
    window = risk.get("window_days")
    components = risk.get("score_components") or {}
    out.append(
        fact(
            "risk.volatility",
            f"annualized volatility over the {window}-day risk window",
            (components.get("volatility") or {}).get("input"),
            "fraction",
            as_of,
            RISK,
            reasons.get("risk_score"),
        )
    )
    for name, part in components.items():
        out.append(
            fact(f"score.{name}.points", f"risk score points from {name}", part.get("points"), "score", as_of, RISK)
        )
    contributions = risk.get("contributions") or {}
    why = contributions.get("null_reason")
    for symbol, h in sorted(
        (contributions.get("holdings") or {}).items(), key=lambda kv: -(kv[1].get("weight") or 0.0)
    ):
        out.append(
            fact(
                f"holding.{symbol}.weight",
                f"{symbol} weight in the portfolio",
                h.get("weight"),
                "fraction",
                as_of,
                RISK,
            )
        )
        if detail:
            out.append(
                fact(
                    f"holding.{symbol}.volatility_contribution",
                    f"{symbol} contribution to annualized volatility",
                    h.get("volatility"),
                    "fraction",
                    as_of,
                    RISK,
                    why,
                )
            )
    if detail:
        for name, s in (risk.get("stress") or {}).items():
            out.append(
                fact(
                    f"stress.{name}.return",
                    f"portfolio return in scenario {name}",
                    s.get("portfolio_return"),
                    "fraction",
                    as_of,
                    RISK,
                    s.get("null_reason"),
                )
            )
    return out


def _top_contributor(risk: Mapping) -> str:
    holdings = (risk.get("contributions") or {}).get("holdings") or {}
    ranked = sorted(((h.get("volatility") or 0.0, s) for s, h in holdings.items()), reverse=True)
    return ranked[0][1] if ranked else ""


def _worst_scenario(risk: Mapping) -> str:
    stress = risk.get("stress") or {}
    known = sorted((s["portfolio_return"], name) for name, s in stress.items() if s.get("portfolio_return") is not None)
    return known[0][1] if known else ""


def _symbols(risk: Mapping, extra: Sequence[str] = ()) -> str:
    held = list(((risk.get("contributions") or {}).get("holdings") or {}).keys())
    return ",".join(sorted({*held, *extra}))


def weekly_analysis(risk: Mapping) -> FactSheet:
    return FactSheet(
        "weekly_analysis",
        iso(risk["time"]),
        tuple(risk_facts(risk)),
        {
            "symbols": _symbols(risk),
            "top_contributor": _top_contributor(risk),
            "worst_scenario": _worst_scenario(risk),
        },
    )


def _settings_facts(settings: Mapping, p: Profile, as_of: str) -> list[Fact]:
    return [
        fact(
            "settings.max_weight",
            "your maximum weight per asset",
            settings["max_weight"],
            "fraction",
            as_of,
            "user_settings",
        ),
        fact(
            "settings.stablecoin_floor",
            "your stablecoin floor",
            settings["stablecoin_floor"],
            "fraction",
            as_of,
            "user_settings",
        ),
        fact(
            "settings.turnover_limit",
            "your turnover limit (two-way)",
            settings["turnover_limit"],
            "fraction",
            as_of,
            "user_settings",
        ),
        fact(
            "tolerance.max_risk_score",
            f"highest risk score for {_a(p.tolerance)} investor",
            p.max_risk_score,
            "score",
            as_of,
            "profile",
        ),
        fact(
            "tolerance.max_volatility",
            f"highest volatility for {_a(p.tolerance)} investor",
            p.max_volatility,
            "fraction",
            as_of,
            "profile",
        ),
    ]


def _rebalance_facts(results: Mapping[str, Rebalance], as_of: str, value_usd: float | None) -> list[Fact]:
    out: list[Fact] = []
    for method, rb in results.items():
        src = f"rebalance.{method}"
        if rb.after is None:
            out.append(
                fact(
                    f"{src}.turnover",
                    f"turnover of the {method} rebalance",
                    None,
                    "fraction",
                    as_of,
                    src,
                    rb.null_reason,
                )
            )
            continue
        out.append(fact(f"{src}.turnover", f"turnover of the {method} rebalance", rb.turnover, "fraction", as_of, src))
        for key, unit in (
            ("volatility", "fraction"),
            ("var_95", "fraction"),
            ("hhi", "ratio"),
            ("risk_score", "score"),
        ):
            before, after = rb.before.as_dict()[key], rb.after.as_dict()[key]
            out.append(
                fact(f"{src}.{key}.before", f"{key} before ({method}, constant weights)", before, unit, as_of, src)
            )
            out.append(fact(f"{src}.{key}.after", f"{key} after ({method}, constant weights)", after, unit, as_of, src))
            change = None if before is None or after is None else after - before
            out.append(fact(f"{src}.{key}.change", f"change in {key} ({method})", change, unit, as_of, src))
        for t in rb.trades(value_usd):
            sym = t["symbol"]
            out.append(
                fact(
                    f"{src}.trade.{sym}.weight_change",
                    f"{t['side']} {sym}: weight change",
                    t["weight_change"],
                    "fraction",
                    as_of,
                    src,
                )
            )
            out.append(
                fact(f"{src}.trade.{sym}.to_weight", f"{sym} target weight", t["to_weight"], "fraction", as_of, src)
            )
            if t["usd"] is not None:
                out.append(fact(f"{src}.trade.{sym}.usd", f"{t['side']} {sym}: amount", t["usd"], "usd", as_of, src))
    return out


def _core(risk: Mapping) -> list[Fact]:
    keep = {
        "risk.risk_score",
        "risk.value_usd",
        "risk.volatility_90d",
        "risk.volatility_365d",
        "risk.var_95",
        "risk.hhi",
    }
    return [f for f in risk_facts(risk, detail=False) if f.id in keep or f.id.startswith("holding.")]


def rebalancing(risk: Mapping, settings: Mapping, p: Profile, results: Mapping[str, Rebalance]) -> FactSheet:
    as_of = iso(risk["time"])
    trade_symbols = [t["symbol"] for rb in results.values() for t in rb.trades()]
    return FactSheet(
        "rebalancing",
        as_of,
        tuple(
            _core(risk) + _settings_facts(settings, p, as_of) + _rebalance_facts(results, as_of, risk.get("value_usd"))
        ),
        {
            "symbols": _symbols(risk, trade_symbols),
            "risk_tolerance": p.tolerance,
            "recommended_method": p.method,
            "methods": ",".join(results),
        },
    )


def personalized_recommendation(
    risk: Mapping, settings: Mapping, p: Profile, results: Mapping[str, Rebalance]
) -> FactSheet:
    as_of = iso(risk["time"])
    chosen = {p.method: results[p.method]} if p.method in results else {}
    trade_symbols = [t["symbol"] for rb in chosen.values() for t in rb.trades()]
    vol = ((risk.get("score_components") or {}).get("volatility") or {}).get("input")
    return FactSheet(
        "personalized_recommendation",
        as_of,
        tuple(
            _core(risk) + _settings_facts(settings, p, as_of) + _rebalance_facts(chosen, as_of, risk.get("value_usd"))
        ),
        {
            "symbols": _symbols(risk, trade_symbols),
            "risk_tolerance": p.tolerance,
            "recommended_method": p.method,
            "verdict": verdict(p, risk.get("risk_score"), vol),
        },
    )


def market_sentiment(sentiments: Sequence[AssetSentiment], as_of: dt.datetime) -> FactSheet:
    at = iso(as_of)
    facts: list[Fact] = []
    heads: list[Headline] = []
    context = {"symbols": ",".join(s.symbol for s in sentiments)}
    facts.append(
        fact("sentiment.assets", "assets covered by the news sentiment", len(sentiments), "count", at, "news_sentiment")
    )
    for s in sentiments:
        for window in ("24h", "7d"):
            facts.append(
                fact(
                    f"sentiment.{s.symbol}.{window}",
                    f"{s.symbol} relevance-weighted news sentiment, {window} (-1..1)",
                    s.scores[window],
                    "ratio",
                    at,
                    "news_sentiment",
                    s.null_reasons.get(window),
                )
            )
            facts.append(
                fact(
                    f"sentiment.{s.symbol}.articles_{window}",
                    f"{s.symbol} articles in the {window}",
                    s.articles[window],
                    "count",
                    at,
                    "news_sentiment",
                )
            )
        context[f"label.{s.symbol}"] = label(s.scores["7d"]) or "no_news"
        for h in s.headlines:
            heads.append(
                Headline(
                    f"news.{h['article_id']}.{s.symbol}",
                    s.symbol,
                    h["title"],
                    h.get("source"),
                    h["url"],
                    iso(h["published_at"]),
                    float(h["relevance"]),
                    float(h["score"]),
                )
            )
    return FactSheet("market_sentiment", at, tuple(facts), context, tuple(heads))


_ALERT_UNITS = {
    "price_move": "percent",
    "price_above": "usd",
    "price_below": "usd",
    "var_breach": "fraction",
    "drawdown": "fraction",
    "concentration": "ratio",
    "volatility_regime": "ratio",
}


def risk_alert_explanation(risk: Mapping, alerts: Sequence[Mapping]) -> FactSheet:
    """Alerts of the last week (``alerts`` rows: id, kind, severity, triggered_at, data{value, threshold})."""
    as_of = iso(risk["time"])
    facts = _core(risk) + [
        f for f in risk_facts(risk) if f.id in ("risk.current_drawdown", "risk.volatility_30d", "risk.var_99")
    ]
    context = {"symbols": _symbols(risk), "alert_ids": ",".join(str(a["id"]) for a in alerts)}
    for a in alerts:
        unit = _ALERT_UNITS.get(a["kind"], "ratio")
        data = a.get("data") or {}
        when = iso(a["triggered_at"])
        facts.append(
            fact(
                f"alert.{a['id']}.value", f"{a['kind']} alert: measured value", data.get("value"), unit, when, "alerts"
            )
        )
        facts.append(
            fact(
                f"alert.{a['id']}.threshold",
                f"{a['kind']} alert: threshold",
                data.get("threshold"),
                unit,
                when,
                "alerts",
            )
        )
        context[f"alert.{a['id']}"] = f"{a['kind']}:{a['severity']}"
    return FactSheet("risk_alert_explanation", as_of, tuple(facts), context)
