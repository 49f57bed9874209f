"""Risk-tolerance profiles: how a user's tolerance shapes the advice on the same numbers.

A profile sets the rebalancing method the user is pointed to and the risk-score and volatility
limits above which the advice is to reduce risk. A conservative user is pointed to minimum
variance and told to act at a lower score than an aggressive one.
"""

from __future__ import annotations

from dataclasses import dataclass

TOLERANCES = ("conservative", "moderate", "aggressive")


@dataclass(frozen=True)
class Profile:
    """Limits of one risk tolerance.

    Attributes
    ----------
    method : str
        Rebalancing method recommended (:data:`assets.insights.rebalance.METHODS`).
    max_risk_score : float
        Risk score (1..10) above which the advice is to reduce risk.
    max_volatility : float
        Annualized volatility (decimal) above which the advice is to reduce risk.
    """

    tolerance: str
    method: str
    max_risk_score: float
    max_volatility: float


PROFILES: dict[str, Profile] = {
    "conservative": Profile("conservative", "min_variance", 4.0, 0.40),
    "moderate": Profile("moderate", "risk_parity", 6.0, 0.75),
    "aggressive": Profile("aggressive", "risk_parity", 8.0, 1.20),
}


def profile(tolerance: str) -> Profile:
    try:
        return PROFILES[tolerance]
    except KeyError:
        raise ValueError(f"risk tolerance must be one of {', '.join(TOLERANCES)}, got {tolerance!r}") from None


def verdict(p: Profile, risk_score: float | None, volatility: float | None) -> str:
    """``reduce`` when the score or volatility exceeds the profile's limit, ``hold`` when both are
    within it, ``unknown`` when neither is known."""
    known = [
        (v, limit) for v, limit in ((risk_score, p.max_risk_score), (volatility, p.max_volatility)) if v is not None
    ]
    if not known:
        return "unknown"
    return "reduce" if any(v > limit for v, limit in known) else "hold"
