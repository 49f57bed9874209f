"""The optimizer respects every constraint, lowers volatility on a concentrated portfolio, and says
why when the constraints cannot be met."""

from __future__ import annotations

import numpy as np
import pytest

from assets.insights.rebalance import METHODS, TOLERANCE, Constraints, optimize_weights, portfolio_risk
from assets.metrics import annual_volatility

SYMBOLS = ("BTC", "ETH", "SOL", "DOGE", "USDC")
STABLE = np.array([False, False, False, False, True])


def returns(seed: int, days: int = 180) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vols = np.array([0.6, 0.8, 1.1, 1.4, 0.02]) / np.sqrt(365)
    common = rng.standard_normal((days, 1))
    z = 0.6 * common + 0.8 * rng.standard_normal((days, 5))
    z[:, 4] = rng.standard_normal(days)
    return z * vols


CONCENTRATED = np.array([0.05, 0.05, 0.85, 0.05, 0.0])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("seed", "limits"),
    [(1, (0.4, 0.1, 2.0)), (2, (0.3, 0.2, 1.8)), (3, (0.5, 0.0, 1.0)), (4, (0.35, 0.15, 1.6))],
)
def test_every_constraint_holds(method, seed, limits):
    r = returns(seed)
    c = Constraints(*limits)
    rb = optimize_weights(SYMBOLS, r, CONCENTRATED, STABLE, c, method)
    assert rb.null_reason is None
    w = rb.target
    assert w.sum() == pytest.approx(1.0, abs=1e-9)
    assert (w >= 0).all() and w.max() <= c.max_weight + TOLERANCE
    assert w[STABLE].sum() >= c.stablecoin_floor - TOLERANCE
    assert np.abs(w - CONCENTRATED).sum() <= c.turnover_limit + TOLERANCE
    assert rb.turnover == pytest.approx(np.abs(w - CONCENTRATED).sum())


@pytest.mark.parametrize("method", METHODS)
def test_volatility_falls_on_a_concentrated_portfolio(method):
    r = returns(7)
    rb = optimize_weights(SYMBOLS, r, CONCENTRATED, STABLE, Constraints(0.4, 0.1, 2.0), method)
    # independent check of the reported figures
    assert rb.before.volatility == pytest.approx(annual_volatility(r @ CONCENTRATED))
    assert rb.after.volatility == pytest.approx(annual_volatility(r @ rb.target))
    assert rb.after.volatility < 0.8 * rb.before.volatility
    assert rb.after.hhi < rb.before.hhi
    assert rb.after.var_95 < rb.before.var_95
    assert rb.after.risk_score < rb.before.risk_score


def test_minimum_variance_is_the_least_variance_and_risk_parity_balances_risk():
    r = returns(11)
    c = Constraints(0.6, 0.0, 2.0)
    mv = optimize_weights(SYMBOLS[:4], r[:, :4], np.full(4, 0.25), STABLE[:4], c, "min_variance")
    rp = optimize_weights(SYMBOLS[:4], r[:, :4], np.full(4, 0.25), STABLE[:4], c, "risk_parity")
    assert mv.after.volatility <= rp.after.volatility + 1e-9
    rng = np.random.default_rng(0)
    for _ in range(200):  # no feasible random portfolio beats minimum variance
        w = rng.dirichlet(np.ones(4))
        if w.max() <= 0.6:
            assert portfolio_risk(r[:, :4], w).volatility >= mv.after.volatility - 1e-6
    cov = np.cov(r[:, :4], rowvar=False)
    shares = rp.target * (cov @ rp.target) / (rp.target @ cov @ rp.target)
    assert np.allclose(shares, 0.25, atol=0.01)


def test_turnover_limit_caps_the_move():
    r = returns(5)
    free = optimize_weights(SYMBOLS, r, CONCENTRATED, STABLE, Constraints(0.9, 0.0, 2.0), "min_variance")
    capped = optimize_weights(SYMBOLS, r, CONCENTRATED, STABLE, Constraints(0.9, 0.0, 0.3), "min_variance")
    assert free.turnover > 0.3
    assert capped.turnover <= 0.3 + TOLERANCE
    assert free.after.volatility <= capped.after.volatility < capped.before.volatility


def test_infeasible_constraints_are_reported_with_the_reason():
    r = returns(3)
    low_turnover = optimize_weights(SYMBOLS, r, CONCENTRATED, STABLE, Constraints(0.4, 0.1, 0.2), "min_variance")
    assert low_turnover.target is None and low_turnover.after is None
    assert "needs a turnover of" in low_turnover.null_reason and "above the limit of 20.0%" in low_turnover.null_reason
    assert low_turnover.before.volatility is not None and low_turnover.trades() == []
    too_few = optimize_weights(
        SYMBOLS[:2], r[:, :2], np.array([0.5, 0.5]), STABLE[:2], Constraints(0.4, 0.0, 2.0), "risk_parity"
    )
    assert "cannot add up to 100%" in too_few.null_reason
    no_stables = optimize_weights(
        SYMBOLS[:4], r[:, :4], np.full(4, 0.25), STABLE[:4], Constraints(0.4, 0.1, 2.0), "min_variance"
    )
    assert "stablecoin floor" in no_stables.null_reason


def test_trades_add_up_and_inputs_are_not_mutated():
    r = returns(9)
    r0, w0 = r.copy(), CONCENTRATED.copy()
    rb = optimize_weights(SYMBOLS, r, CONCENTRATED, STABLE, Constraints(0.4, 0.1, 2.0), "risk_parity")
    assert np.array_equal(r, r0) and np.array_equal(CONCENTRATED, w0)
    prices = np.array([60_000.0, 3_000.0, 150.0, 0.2, 1.0])
    trades = rb.trades(10_000.0, prices)
    assert sum(t["usd"] for t in trades) == pytest.approx(0.0, abs=10_000 * 1e-3)
    for t in trades:
        assert t["units"] * prices[SYMBOLS.index(t["symbol"])] == pytest.approx(t["usd"])
        assert (t["side"] == "buy") == (t["usd"] > 0)


def test_bad_input_is_refused_clearly():
    r = returns(1)
    with pytest.raises(ValueError, match="method"):
        optimize_weights(SYMBOLS, r, CONCENTRATED, STABLE, Constraints(0.4, 0.1, 2.0), "max_sharpe")
    with pytest.raises(ValueError, match="max_weight"):
        Constraints(0.0, 0.1, 1.0)
    with pytest.raises(ValueError, match="turnover_limit"):
        Constraints(0.4, 0.1, 2.5)
    with pytest.raises(ValueError, match="NaN"):
        optimize_weights(
            SYMBOLS, np.where(r > 0.05, np.nan, r), CONCENTRATED, STABLE, Constraints(0.4, 0.1, 2.0), "min_variance"
        )
