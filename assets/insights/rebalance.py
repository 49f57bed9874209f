"""Target weights under the user's constraints, computed with scipy (the model only explains them).

Methods, on the annualized covariance :math:`\\Sigma` of the window's daily asset returns:

- ``min_variance``: :math:`\\min_w w^\\top \\Sigma w`;
- ``risk_parity`` (equal risk contribution, least squares):
  :math:`\\min_w \\sum_i \\left(\\frac{w_i (\\Sigma w)_i}{w^\\top \\Sigma w} - \\frac1N\\right)^2`;

both subject to long-only weights summing to 1, :math:`w_i \\le` ``max_weight``, stablecoin weights
summing to at least ``stablecoin_floor``, and two-way turnover :math:`\\sum_i |w_i - w^0_i| \\le`
``turnover_limit`` (kept smooth with auxiliary variables :math:`u_i \\ge |w_i - w^0_i|`).

Before optimizing, a linear program finds the smallest turnover that meets the weight constraints;
when it exceeds the limit (or the box cannot sum to 1) there is no suggestion, with the reason.
Expected changes compare constant-weight portfolios over the same window, both computed with
:mod:`assets.metrics` (volatility, historical VaR 95, HHI, risk score).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from assets.metrics import (
    annual_volatility,
    conditional_value_at_risk,
    herfindahl_index,
    max_drawdown,
    risk_score,
    value_at_risk,
)
from assets.metrics.constants import ANNUALIZATION

METHODS = ("min_variance", "risk_parity")

#: Slack allowed on constraints after optimization (SLSQP meets them to ~1e-10).
TOLERANCE = 1e-6

#: Weight changes smaller than this are not worth a trade.
MIN_TRADE = 1e-4


@dataclass(frozen=True)
class Constraints:
    """The user's rebalancing limits (``user_settings``): decimals."""

    max_weight: float
    stablecoin_floor: float
    turnover_limit: float

    def __post_init__(self) -> None:
        if not 0 < self.max_weight <= 1:
            raise ValueError(f"max_weight must be in (0, 1], got {self.max_weight}")
        if not 0 <= self.stablecoin_floor <= 1:
            raise ValueError(f"stablecoin_floor must be in [0, 1], got {self.stablecoin_floor}")
        if not 0 <= self.turnover_limit <= 2:
            raise ValueError(f"turnover_limit must be in [0, 2], got {self.turnover_limit}")


@dataclass(frozen=True)
class PortfolioRisk:
    """Risk of constant weights over the window: annualized volatility, VaR 95 (positive loss),
    HHI and risk score (1..10). None where not computable."""

    volatility: float | None
    var_95: float | None
    hhi: float | None
    risk_score: float | None

    def as_dict(self) -> dict[str, float | None]:
        return {"volatility": self.volatility, "var_95": self.var_95, "hhi": self.hhi, "risk_score": self.risk_score}


@dataclass(frozen=True)
class Rebalance:
    """One method's suggestion; ``target`` is None with ``null_reason`` when infeasible."""

    method: str
    symbols: tuple[str, ...]
    current: np.ndarray
    target: np.ndarray | None
    before: PortfolioRisk
    after: PortfolioRisk | None
    turnover: float | None
    null_reason: str | None = None

    def trades(self, value_usd: float | None = None, prices: np.ndarray | None = None) -> list[dict]:
        """Buys (positive) and sells, largest first: weight change, and USD and units when given."""
        if self.target is None:
            return []
        delta = self.target - self.current
        out = []
        for j in np.argsort(-np.abs(delta), kind="stable"):
            if abs(delta[j]) < MIN_TRADE:
                continue
            usd = None if value_usd is None else float(delta[j] * value_usd)
            units = None if usd is None or prices is None else usd / float(prices[j])
            out.append(
                {
                    "symbol": self.symbols[j],
                    "side": "buy" if delta[j] > 0 else "sell",
                    "weight_change": float(delta[j]),
                    "from_weight": float(self.current[j]),
                    "to_weight": float(self.target[j]),
                    "usd": usd,
                    "units": units,
                }
            )
        return out


def _num(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def portfolio_risk(returns: np.ndarray, weights: np.ndarray) -> PortfolioRisk:
    """Risk of holding ``weights`` (rebalanced daily) over ``returns`` ``(T, N)``."""
    r = np.asarray(returns, dtype=np.float64) @ np.asarray(weights, dtype=np.float64)
    vol = float(annual_volatility(r))
    hhi = float(herfindahl_index(weights))
    score = risk_score(vol, max_drawdown(r), conditional_value_at_risk(r, 0.99), hhi).score[0]
    return PortfolioRisk(_num(vol), _num(value_at_risk(r, 0.95)), _num(hhi), _num(round(float(score), 2)))


def _min_turnover(current: np.ndarray, stable: np.ndarray, c: Constraints) -> tuple[float | None, np.ndarray | None]:
    """Smallest two-way turnover meeting the weight constraints, and the weights reaching it."""
    n = len(current)
    # variables [w, u]: minimize sum(u); u >= w - w0, u >= w0 - w
    cost = np.concatenate([np.zeros(n), np.ones(n)])
    eye = np.eye(n)
    a_ub = [np.hstack([eye, -eye]), np.hstack([-eye, -eye])]
    b_ub = [current, -current]
    if c.stablecoin_floor > 0:
        a_ub.append(np.concatenate([-stable.astype(float), np.zeros(n)])[None, :])
        b_ub.append(np.array([-c.stablecoin_floor]))
    res = optimize.linprog(
        cost,
        A_ub=np.vstack(a_ub),
        b_ub=np.concatenate(b_ub),
        A_eq=np.concatenate([np.ones(n), np.zeros(n)])[None, :],
        b_eq=[1.0],
        bounds=[(0.0, c.max_weight)] * n + [(0.0, None)] * n,
        method="highs",
    )
    if res.status != 0:
        return None, None
    return float(res.fun), res.x[:n]


def _objective(method: str, cov: np.ndarray, n: int):
    if method == "min_variance":

        def f(x):
            w = x[:n]
            return float(w @ cov @ w)

        def grad(x):
            return np.concatenate([2 * cov @ x[:n], np.zeros(n)])

        return f, grad

    def rp(x):
        w = x[:n]
        var = float(w @ cov @ w)
        if var <= 0:
            return 0.0
        share = w * (cov @ w) / var
        return float(np.sum((share - 1.0 / n) ** 2))

    return rp, None


def optimize_weights(
    symbols,
    returns: np.ndarray,
    current: np.ndarray,
    stable: np.ndarray,
    constraints: Constraints,
    method: str,
) -> Rebalance:
    """Target weights by ``method`` (one of :data:`METHODS`).

    Parameters
    ----------
    symbols : sequence of str
        ``N`` candidate assets (held ones, plus stablecoins when a floor needs them).
    returns : np.ndarray
        ``(T, N)`` daily simple returns over the window, no NaN. Not modified.
    current : np.ndarray
        ``(N,)`` current value weights, summing to 1.
    stable : np.ndarray
        ``(N,)`` bool, which candidates are stablecoins.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    symbols = tuple(symbols)
    r = np.asarray(returns, dtype=np.float64)
    w0 = np.asarray(current, dtype=np.float64)
    stable = np.asarray(stable, dtype=bool)
    n = len(symbols)
    if r.ndim != 2 or r.shape[1] != n or w0.shape != (n,) or stable.shape != (n,):
        raise ValueError(
            f"returns {r.shape}, weights {w0.shape} and stablecoin mask {stable.shape} disagree on {n} assets"
        )
    if np.isnan(r).any():
        raise ValueError("returns contain NaN: pass only assets priced over the whole window")
    if not np.isclose(w0.sum(), 1.0) or (w0 < 0).any():
        raise ValueError("current weights must be >= 0 and sum to 1")
    c = constraints
    before = portfolio_risk(r, w0)

    def none(reason: str) -> Rebalance:
        return Rebalance(method, symbols, w0, None, before, None, None, reason)

    if n * c.max_weight < 1 - TOLERANCE:
        return none(f"{n} assets at a max weight of {c.max_weight:.0%} cannot add up to 100%")
    if stable.sum() * c.max_weight < c.stablecoin_floor - TOLERANCE:
        return none(
            f"a stablecoin floor of {c.stablecoin_floor:.0%} needs stablecoins, "
            f"{int(stable.sum())} priced over the window at a max weight of {c.max_weight:.0%}"
        )
    needed, start = _min_turnover(w0, stable, c)
    if needed is None or start is None:
        return none("no weights meet max weight and stablecoin floor together")
    if needed > c.turnover_limit + TOLERANCE:
        return none(
            f"meeting max weight {c.max_weight:.0%} and stablecoin floor {c.stablecoin_floor:.0%} needs a "
            f"turnover of {needed:.1%}, above the limit of {c.turnover_limit:.1%}"
        )
    cov = np.cov(r, rowvar=False, ddof=1).reshape(n, n) * ANNUALIZATION
    f, grad = _objective(method, cov, n)
    x0 = np.concatenate([start, np.abs(start - w0)])
    eye = np.eye(n)
    cons = [
        {
            "type": "eq",
            "fun": lambda x: np.sum(x[:n]) - 1.0,
            "jac": lambda x: np.concatenate([np.ones(n), np.zeros(n)]),
        },
        {"type": "ineq", "fun": lambda x: x[n:] - (x[:n] - w0), "jac": lambda x: np.hstack([-eye, eye])},
        {"type": "ineq", "fun": lambda x: x[n:] + (x[:n] - w0), "jac": lambda x: np.hstack([eye, eye])},
        {
            "type": "ineq",
            "fun": lambda x: c.turnover_limit - np.sum(x[n:]),
            "jac": lambda x: np.concatenate([np.zeros(n), -np.ones(n)]),
        },
    ]
    if c.stablecoin_floor > 0:
        cons.append(
            {
                "type": "ineq",
                "fun": lambda x: np.sum(x[:n][stable]) - c.stablecoin_floor,
                "jac": lambda x: np.concatenate([stable.astype(float), np.zeros(n)]),
            }
        )
    res = optimize.minimize(
        f,
        x0,
        jac=grad,
        method="SLSQP",
        bounds=[(0.0, c.max_weight)] * n + [(0.0, 2.0)] * n,
        constraints=cons,
        options={"maxiter": 500, "ftol": 1e-12},
    )
    w = np.clip(res.x[:n], 0.0, c.max_weight)
    w = w / w.sum()
    turnover = float(np.abs(w - w0).sum())
    feasible = (
        turnover <= c.turnover_limit + TOLERANCE
        and w.max() <= c.max_weight + TOLERANCE
        and w[stable].sum() >= c.stablecoin_floor - TOLERANCE
    )
    if not feasible or not (res.success or f(np.concatenate([w, np.abs(w - w0)])) <= f(x0)):
        return none(f"the optimizer did not converge to weights within the constraints: {res.message}")
    return Rebalance(method, symbols, w0, w, before, portfolio_risk(r, w), turnover)
