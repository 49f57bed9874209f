"""Risk score 1-10: a documented, monotone, explainable summary of the risk metrics.

.. math::
    \\ell_c = \\mathrm{clip}\\left(\\frac{g(x_c) - g(lo_c)}{g(hi_c) - g(lo_c)}, 0, 1\\right), \\quad
    L = \\sum_c \\omega_c \\ell_c, \\quad
    \\mathrm{score} = 1 + 9 L \\left(1 - s + s \\cdot HHI\\right)

with components ``c`` = annualized volatility over the window, depth of the maximum drawdown and
the 99% expected shortfall (``g`` is log or identity, see
:data:`assets.metrics.constants.RISK_SCORE_COMPONENTS`), weights :math:`\\omega_c` summing to 1 and
concentration share :math:`s` (:data:`~assets.metrics.constants.CONCENTRATION_SHARE`). Every term is
non-decreasing in its input, so more volatility, a deeper drawdown, a fatter tail or more
concentration never lower the score. A stablecoin (volatility ~3%, drawdown ~2%) scores 1; a single
small-cap coin (volatility >100%, drawdown >80%) scores ~10.

The score splits exactly into points (score = 1 + sum of points): each market component gets
:math:`9 (1 - s) \\omega_c \\ell_c`, and concentration gets :math:`9 s L \\cdot HHI`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assets.metrics.constants import (
    CONCENTRATION_SHARE,
    RISK_SCORE_COMPONENTS,
    RISK_SCORE_MAX,
    RISK_SCORE_MIN,
)


@dataclass(frozen=True)
class RiskScore:
    """Scores and their decomposition, one value per portfolio.

    Attributes
    ----------
    score : np.ndarray
        In [1, 10]; NaN where an input is missing.
    inputs : dict[str, np.ndarray]
        Component input values (volatility, drawdown depth as a positive fraction, ES99, HHI).
    levels : dict[str, np.ndarray]
        Each input mapped onto [0, 1].
    points : dict[str, np.ndarray]
        Score points each component adds above 1 (they sum to ``score - 1``).
    """

    score: np.ndarray
    inputs: dict[str, np.ndarray]
    levels: dict[str, np.ndarray]
    points: dict[str, np.ndarray]

    def explain(self, i: int) -> dict[str, dict[str, float | None]]:
        """Components of portfolio ``i``, largest contribution first (JSON-ready)."""

        def num(x: float) -> float | None:
            return None if not np.isfinite(x) else round(float(x), 6)

        parts = {
            name: {
                "input": num(self.inputs[name][i]),
                "level": num(self.levels[name][i]),
                "points": num(self.points[name][i]),
            }
            for name in self.points
        }
        return dict(sorted(parts.items(), key=lambda kv: -(kv[1]["points"] or 0.0)))


def _level(x: np.ndarray, low: float, high: float, log: bool) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        if log:
            lvl = (np.log(np.maximum(x, low)) - np.log(low)) / (np.log(high) - np.log(low))
        else:
            lvl = (x - low) / (high - low)
    return np.clip(lvl, 0.0, 1.0)


def risk_score(volatility, max_drawdown, es_99, hhi) -> RiskScore:
    """Risk score of each portfolio from its metrics.

    Parameters
    ----------
    volatility : array-like
        Annualized volatility over the window, decimal.
    max_drawdown : array-like
        Maximum drawdown, negative fraction (as reported).
    es_99 : array-like
        99% one-day expected shortfall, positive loss fraction.
    hhi : array-like
        Herfindahl index of the value weights, in [1/N, 1].

    Returns
    -------
    RiskScore
    """
    inputs = {
        "volatility": np.atleast_1d(np.asarray(volatility, dtype=np.float64)),
        "drawdown": -np.atleast_1d(np.asarray(max_drawdown, dtype=np.float64)),
        "tail_loss": np.atleast_1d(np.asarray(es_99, dtype=np.float64)),
    }
    span = RISK_SCORE_MAX - RISK_SCORE_MIN
    levels: dict[str, np.ndarray] = {}
    points: dict[str, np.ndarray] = {}
    market = np.zeros_like(inputs["volatility"])
    for name, spec in RISK_SCORE_COMPONENTS.items():
        levels[name] = _level(inputs[name], float(spec["low"]), float(spec["high"]), bool(spec["log"]))
        market = market + float(spec["weight"]) * levels[name]
        points[name] = span * (1.0 - CONCENTRATION_SHARE) * float(spec["weight"]) * levels[name]
    h = np.clip(np.atleast_1d(np.asarray(hhi, dtype=np.float64)), 0.0, 1.0)
    inputs["concentration"] = h
    levels["concentration"] = h
    points["concentration"] = span * CONCENTRATION_SHARE * market * h
    score = RISK_SCORE_MIN + span * market * (1.0 - CONCENTRATION_SHARE + CONCENTRATION_SHARE * h)
    return RiskScore(score=score, inputs=inputs, levels=levels, points=points)
