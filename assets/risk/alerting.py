"""Alert rule evaluation (pure): is a rule's condition true for the newest observation?

A rule fires once per crossing: the sensor stores ``is_triggered`` and only raises an alert when
the condition turns true while the rule is not triggered; it re-arms when the condition turns false.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PRICE_KINDS = ("price_move", "price_above", "price_below")
PORTFOLIO_KINDS = ("var_breach", "drawdown", "concentration", "volatility_regime")


@dataclass(frozen=True)
class Evaluation:
    """``crossed`` is None when there is nothing to judge yet (no data): the rule keeps its state."""

    crossed: bool | None
    value: float | None
    describe: str


def evaluate(rule: dict[str, Any], price: dict | None, risk: dict | None) -> Evaluation:
    """Judge ``rule`` (an ``alert_rules`` row) against the newest price (``price``, ``price_24h_ago``)
    of its asset or the newest risk row of its portfolio. Thresholds: percent for price moves, USD for
    price levels, decimal fractions for VaR, drawdown depth and HHI, a ratio for volatility regimes."""
    kind, threshold = rule["kind"], float(rule["threshold"])
    if kind in PRICE_KINDS:
        if not price or price.get("price") is None:
            return Evaluation(None, None, "no price yet")
        p = float(price["price"])
        if kind == "price_above":
            return Evaluation(p >= threshold, p, f"price {p:,.4g} USD vs. {threshold:,.4g} USD")
        if kind == "price_below":
            return Evaluation(p <= threshold, p, f"price {p:,.4g} USD vs. {threshold:,.4g} USD")
        before = price.get("price_24h_ago")
        if before is None:
            return Evaluation(None, None, "no price 24 hours back yet")
        move = (p / float(before) - 1) * 100
        return Evaluation(abs(move) >= threshold, move, f"24h move {move:+.2f}% vs. +/-{threshold:.2f}%")
    if not risk:
        return Evaluation(None, None, "no portfolio risk yet")
    if kind == "var_breach":
        return _at_least(risk.get("var_95"), threshold, "1-day VaR95 {v:.2%} vs. limit {t:.2%}")
    if kind == "drawdown":
        dd = risk.get("current_drawdown")
        return _at_least(None if dd is None else -float(dd), threshold, "drawdown {v:.2%} vs. limit {t:.2%}")
    if kind == "concentration":
        if rule.get("params", {}).get("measure") == "max_weight":
            weights = [h.get("weight") or 0.0 for h in (risk.get("contributions") or {}).get("holdings", {}).values()]
            return _at_least(max(weights) if weights else None, threshold, "largest weight {v:.2%} vs. limit {t:.2%}")
        return _at_least(risk.get("hhi"), threshold, "concentration (HHI) {v:.3f} vs. limit {t:.3f}")
    if kind == "volatility_regime":
        short, long = risk.get("volatility_30d"), risk.get("volatility_365d")
        ratio = None if not short or not long else float(short) / float(long)
        return _at_least(ratio, threshold, "30d/365d volatility ratio {v:.2f} vs. {t:.2f}")
    raise ValueError(f"unknown alert rule kind {kind!r}")


def _at_least(value, threshold: float, text: str) -> Evaluation:
    if value is None:
        return Evaluation(None, None, "not computable yet")
    v = float(value)
    return Evaluation(v >= threshold, v, text.format(v=v, t=threshold))


def severity(rule: dict[str, Any], value: float | None) -> str:
    """critical when the value is at least 1.5 times past the threshold, else warning."""
    t = float(rule["threshold"])
    if value is None or t == 0:
        return "warning"
    return "critical" if abs(value) >= 1.5 * abs(t) else "warning"
