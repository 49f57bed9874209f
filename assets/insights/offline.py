"""The offline engine: deterministic templates over the fact sheet, in the model's schema.

Used without an API key, and for any item the model fails (error, off-schema, ungrounded twice).
Same sheet, same draft: no clock, randomness or ordering by hash. Every number is a fact's
display form and every claim cites its facts, so its drafts pass the grounding validator too.
"""

from __future__ import annotations

from collections.abc import Callable

from assets.insights.facts import Fact, FactSheet
from assets.insights.prompts import Claim, Draft

ENGINE = "offline-templates-1"

_METHOD_NAMES = {"min_variance": "minimum variance", "risk_parity": "risk parity"}


class _Writer:
    """Builds claims from facts; a claim whose facts are missing says so instead of a number."""

    def __init__(self, sheet: FactSheet) -> None:
        self.sheet = sheet
        self.facts = sheet.by_id()

    def f(self, fact_id: str) -> Fact | None:
        return self.facts.get(fact_id)

    def known(self, *ids: str) -> bool:
        return all(i in self.facts and self.facts[i].value is not None for i in ids)

    def claim(self, template: str, *ids: str, unavailable: str | None = None, magnitude: bool = False) -> Claim | None:
        """``template`` with ``{0}``, ``{1}``.. the displays of ``ids`` (unsigned with ``magnitude``,
        for sentences that carry the direction in words); when one is unknown, the ``unavailable``
        sentence (citing the same facts) or nothing."""
        present = [i for i in ids if i in self.facts]
        if not present:
            return None
        if self.known(*ids):
            shown = [self.facts[i].display or "" for i in ids]
            if magnitude:
                shown = [d.lstrip("-") for d in shown]
            return Claim(template.format(*shown), list(ids))
        return Claim(unavailable, present) if unavailable else None


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _compact(claims: list[Claim | None]) -> list[Claim]:
    return [c for c in claims if c is not None]


def _weekly(w: _Writer) -> Draft:
    top = w.sheet.context.get("top_contributor", "")
    worst = w.sheet.context.get("worst_scenario", "")
    score = w.f("risk.risk_score")
    title = (
        f"Weekly risk analysis: risk score {score.display}"
        if score and score.value is not None
        else "Weekly risk analysis"
    )
    summary = [
        w.claim(
            "The portfolio's risk score is {0} on a scale from 1 to 10.",
            "risk.risk_score",
            unavailable="The risk score is not available yet.",
        ),
        w.claim(
            "Annualized volatility is {0} over the last 30 days and {1} over 365 days.",
            "risk.volatility_30d",
            "risk.volatility_365d",
            unavailable="Volatility over 30 and 365 days is not fully available yet.",
        ),
        w.claim(
            "On a bad day (95% VaR) the portfolio could lose {0}; the 99% expected shortfall is {1}.",
            "risk.var_95",
            "risk.es_99",
            unavailable="Value at risk is not available yet.",
        ),
        w.claim(
            "The deepest drawdown over the window was {0}, and the portfolio is {1} below its peak now.",
            "risk.max_drawdown",
            "risk.current_drawdown",
            magnitude=True,
        ),
    ]
    if top:
        summary.append(
            w.claim(
                f"{top} is the largest source of risk: it adds {{0}} of annualized volatility at a weight of {{1}}.",
                f"holding.{top}.volatility_contribution",
                f"holding.{top}.weight",
            )
        )
    if worst:
        summary.append(
            w.claim(
                f"The worst stress scenario, {worst.replace('_', ' ')}, would move the portfolio by {{0}}.",
                f"stress.{worst}.return",
            )
        )
    hhi = w.f("risk.hhi")
    recs = []
    if hhi is not None and hhi.value is not None and hhi.value > 0.5:
        recs.append(
            w.claim(
                "Concentration is high (HHI {0}, {1} effective holdings): spreading the value over more "
                "assets lowers the concentration part of the risk score.",
                "risk.hhi",
                "risk.effective_holdings",
            )
        )
    else:
        recs.append(
            w.claim(
                "Holdings are spread over {0} effective positions (HHI {1}).", "risk.effective_holdings", "risk.hhi"
            )
        )
    if top:
        recs.append(
            w.claim(
                f"If the risk is more than you want, trimming {top} (weight {{0}}) reduces it the most.",
                f"holding.{top}.weight",
            )
        )
    return Draft(title=title, summary=_compact(summary), recommendations=_compact(recs))


def _method_claims(w: _Writer, method: str) -> list[Claim | None]:
    name = _METHOD_NAMES.get(method, method)
    src = f"rebalance.{method}"
    return [
        w.claim(
            f"{name.capitalize()} weights would take annualized volatility from {{0}} to {{1}} and the risk score "
            f"from {{2}} to {{3}}, with a turnover of {{4}}.",
            f"{src}.volatility.before",
            f"{src}.volatility.after",
            f"{src}.risk_score.before",
            f"{src}.risk_score.after",
            f"{src}.turnover",
            unavailable=f"No {name} rebalance fits your max weight, stablecoin floor and turnover limit.",
        ),
        w.claim(
            f"With {name}, the 95% one-day VaR would go from {{0}} to {{1}} and concentration (HHI) from {{2}} to {{3}}.",
            f"{src}.var_95.before",
            f"{src}.var_95.after",
            f"{src}.hhi.before",
            f"{src}.hhi.after",
        ),
    ]


def _trade_claims(w: _Writer, method: str, limit: int = 4) -> list[Claim | None]:
    prefix = f"rebalance.{method}.trade."
    symbols = [
        f.id[len(prefix) : -len(".weight_change")]
        for f in w.sheet.facts
        if f.id.startswith(prefix) and f.id.endswith(".weight_change")
    ]
    out: list[Claim | None] = []
    for sym in symbols[:limit]:
        change = w.f(f"{prefix}{sym}.weight_change")
        side = "Buy" if change is not None and (change.value or 0) > 0 else "Sell"
        if w.known(f"{prefix}{sym}.usd"):
            out.append(
                w.claim(
                    f"{side} {sym} worth {{0}} of the portfolio (about {{1}}), to a weight of {{2}}.",
                    f"{prefix}{sym}.weight_change",
                    f"{prefix}{sym}.usd",
                    f"{prefix}{sym}.to_weight",
                    magnitude=True,
                )
            )
        else:
            out.append(
                w.claim(
                    f"{side} {sym} worth {{0}} of the portfolio, to a weight of {{1}}.",
                    f"{prefix}{sym}.weight_change",
                    f"{prefix}{sym}.to_weight",
                    magnitude=True,
                )
            )
    return out


def _rebalancing(w: _Writer) -> Draft:
    method = w.sheet.context["recommended_method"]
    tolerance = w.sheet.context["risk_tolerance"]
    methods = [m for m in w.sheet.context.get("methods", "").split(",") if m]
    summary: list[Claim | None] = []
    for m in sorted(methods, key=lambda m: m != method):
        summary += _method_claims(w, m)
    if not methods:
        summary.append(
            w.claim(
                "No rebalancing can be computed from the stored prices yet; the reason is stored with this insight.",
                "settings.max_weight",
            )
        )
    summary.append(
        w.claim(
            "Your limits: at most {0} in one asset, at least {1} in stablecoins, and a turnover of at most {2}.",
            "settings.max_weight",
            "settings.stablecoin_floor",
            "settings.turnover_limit",
        )
    )
    recs = [
        w.claim(
            f"As {_a(tolerance)} investor, the {_METHOD_NAMES.get(method, method)} weights fit you best "
            f"(your risk score limit is {{0}}).",
            "tolerance.max_risk_score",
        )
    ]
    recs += _trade_claims(w, method)
    return Draft(
        title=f"Rebalancing suggestion: {_METHOD_NAMES.get(method, method)}",
        summary=_compact(summary),
        recommendations=_compact(recs),
    )


def _personalized(w: _Writer) -> Draft:
    ctx = w.sheet.context
    tolerance, method, verdict = ctx["risk_tolerance"], ctx["recommended_method"], ctx["verdict"]
    name = _METHOD_NAMES.get(method, method)
    src = f"rebalance.{method}"
    summary = [
        w.claim(
            f"Your risk score is {{0}}; for {_a(tolerance)} investor we suggest staying at or below {{1}}.",
            "risk.risk_score",
            "tolerance.max_risk_score",
            unavailable="Your risk score is not available yet, so it cannot be compared with your tolerance.",
        ),
        w.claim(
            f"Annualized volatility over the risk window is {{0}}, against {{1}} for {_a(tolerance)} investor.",
            "risk.volatility",
            "tolerance.max_volatility",
        ),
    ]
    if verdict == "reduce":
        title = f"Your portfolio is riskier than {_a(tolerance)} profile"
        recs = [
            w.claim(
                f"Reduce risk with the {name} weights: they would bring the risk score to {{0}} and volatility to {{1}}.",
                f"{src}.risk_score.after",
                f"{src}.volatility.after",
                unavailable=f"A {name} rebalance does not fit your current limits; review your max weight, "
                "stablecoin floor and turnover limit.",
            )
            or w.claim(
                "Reduce risk by trimming the largest positions or adding stablecoins until the risk score is at "
                "or below {0}.",
                "tolerance.max_risk_score",
            ),
            *_trade_claims(w, method, limit=3),
        ]
    elif verdict == "hold":
        title = f"Your portfolio fits {_a(tolerance)} profile"
        recs = [
            w.claim(
                "No change is needed for your tolerance; keep each asset at or below {0} of the portfolio.",
                "settings.max_weight",
            ),
            w.claim(
                f"If you want less risk anyway, the {name} weights would bring the risk score to {{0}}.",
                f"{src}.risk_score.after",
            ),
        ]
    else:
        title = "Not enough data for a personalized recommendation"
        recs = [w.claim("Recommendations will follow once the risk score is computed.", "risk.risk_score")]
    return Draft(title=title, summary=_compact(summary), recommendations=_compact(recs))


def _sentiment(w: _Writer) -> Draft:
    symbols = [s for s in w.sheet.context.get("symbols", "").split(",") if s]
    summary: list[Claim | None] = []
    scored: list[tuple[float, str]] = []
    for sym in symbols:
        label = w.sheet.context.get(f"label.{sym}", "no_news").replace("_", " ")
        summary.append(
            w.claim(
                f"{sym}: 7-day news sentiment is {{0}} ({label}) over {{1}} articles; the last 24 hours: {{2}} over {{3}}.",
                f"sentiment.{sym}.7d",
                f"sentiment.{sym}.articles_7d",
                f"sentiment.{sym}.24h",
                f"sentiment.{sym}.articles_24h",
            )
            or w.claim(
                f"{sym}: 7-day news sentiment is {{0}} ({label}) over {{1}} articles; no news in the last 24 hours.",
                f"sentiment.{sym}.7d",
                f"sentiment.{sym}.articles_7d",
                f"sentiment.{sym}.articles_24h",
                unavailable=f"{sym}: no news in the last 7 days.",
            )
        )
        score = w.f(f"sentiment.{sym}.7d")
        if score is not None and score.value is not None:
            scored.append((score.value, sym))
    recs: list[Claim | None] = []
    if scored:
        low, high = min(scored), max(scored)
        recs.append(
            w.claim(
                f"{high[1]} has the most positive 7-day sentiment ({{0}}) and {low[1]} the most negative ({{1}}); "
                "news sentiment is context for your risk, not a trading signal.",
                f"sentiment.{high[1]}.7d",
                f"sentiment.{low[1]}.7d",
            )
        )
    title = "News sentiment of your assets" if w.sheet.headlines else "News sentiment: little news this week"
    if not symbols:
        summary.append(w.claim("The portfolio holds no assets to report news sentiment for.", "sentiment.assets"))
    return Draft(title=title, summary=_compact(summary), recommendations=_compact(recs))


def _alerts(w: _Writer) -> Draft:
    ids = [i for i in w.sheet.context.get("alert_ids", "").split(",") if i]
    related = {
        "var_breach": ("The portfolio's 95% one-day VaR is now {0}.", "risk.var_95"),
        "drawdown": ("The portfolio is {0} below its peak.", "risk.current_drawdown"),
        "concentration": ("Concentration (HHI) is {0}.", "risk.hhi"),
        "volatility_regime": (
            "Volatility is {0} over 30 days against {1} over 365 days.",
            "risk.volatility_30d",
            "risk.volatility_365d",
        ),
    }
    summary: list[Claim | None] = []
    for i in ids:
        kind, severity = w.sheet.context[f"alert.{i}"].split(":")
        summary.append(
            w.claim(
                f"A {kind.replace('_', ' ')} alert ({severity}) measured {{0}} against a threshold of {{1}}.",
                f"alert.{i}.value",
                f"alert.{i}.threshold",
                unavailable=f"A {kind.replace('_', ' ')} alert ({severity}) was raised.",
            )
        )
        if kind in related:
            template, *fact_ids = related[kind]
            summary.append(w.claim(template, *fact_ids, magnitude=kind == "drawdown"))
    if not summary:
        summary.append(
            w.claim(
                "No risk alert fired in the past week; the risk score is {0}.",
                "risk.risk_score",
                unavailable="No risk alert fired in the past week.",
            )
        )
    recs = [
        w.claim(
            "If the risk score of {0} is more than you want, see the rebalancing suggestion; otherwise "
            "review the alert thresholds.",
            "risk.risk_score",
            unavailable="Review the alert thresholds in your alert rules.",
        )
    ]
    return Draft(title="Why your risk alerts fired", summary=_compact(summary), recommendations=_compact(recs))


_TEMPLATES: dict[str, Callable[[_Writer], Draft]] = {
    "weekly_analysis": _weekly,
    "rebalancing": _rebalancing,
    "personalized_recommendation": _personalized,
    "market_sentiment": _sentiment,
    "risk_alert_explanation": _alerts,
}


def draft(sheet: FactSheet) -> Draft:
    """The offline draft of ``sheet`` (deterministic)."""
    return _TEMPLATES[sheet.kind](_Writer(sheet))
