"""Properties that must hold for any input (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from assets import metrics as m
from assets.metrics import PriceMatrix, analyze

returns_matrix = st.integers(min_value=40, max_value=120).flatmap(
    lambda t: st.integers(min_value=1, max_value=5).flatmap(
        lambda n: arrays(np.float64, (t, n), elements=st.floats(-0.5, 0.5, allow_nan=False, width=64))
    )
)
weights_strategy = st.integers(1, 12).flatmap(
    lambda n: arrays(np.float64, (n,), elements=st.floats(0.0, 1e6, allow_nan=False)).filter(lambda w: w.sum() > 0)
)

SETTINGS = settings(max_examples=60, deadline=None)


def _varied(r: np.ndarray) -> bool:
    return bool((r.max(axis=0) - r.min(axis=0) > 1e-6).all())


@SETTINGS
@given(returns_matrix, st.floats(0.01, 100.0))
def test_ratios_are_scale_invariant(r, c):
    """Scaling returns by c > 0 leaves Sharpe and Sortino (rf = 0) unchanged, scales volatility by c."""
    if not _varied(r):
        return
    np.testing.assert_allclose(m.sharpe_ratio(r * c), m.sharpe_ratio(r), rtol=1e-9)
    np.testing.assert_allclose(m.sortino_ratio(r * c), m.sortino_ratio(r), rtol=1e-9)
    np.testing.assert_allclose(m.annual_volatility(r * c), c * m.annual_volatility(r), rtol=1e-9)
    np.testing.assert_allclose(m.beta(r * c, r[:, 0]), c * m.beta(r, r[:, 0]), rtol=1e-9, atol=1e-12)


@SETTINGS
@given(returns_matrix)
def test_var_and_es_ordering(r):
    """VaR99 >= VaR95, ES >= VaR at each level (also for the Gaussian model)."""
    tol = 1e-12
    v95, v99 = m.value_at_risk(r, 0.95), m.value_at_risk(r, 0.99)
    e95, e99 = m.conditional_value_at_risk(r, 0.95), m.conditional_value_at_risk(r, 0.99)
    assert (v99 >= v95 - tol).all()
    assert (e95 >= v95 - tol).all() and (e99 >= v99 - tol).all() and (e99 >= e95 - tol).all()
    assert (m.parametric_value_at_risk(r, 0.99) >= m.parametric_value_at_risk(r, 0.95) - tol).all()


@SETTINGS
@given(weights_strategy)
def test_hhi_bounds(q):
    w = m.value_weights(np.ones_like(q), q)
    hhi = m.herfindahl_index(w)
    n = len(q)
    assert 1.0 / n - 1e-12 <= hhi <= 1.0 + 1e-12
    assert m.effective_number(w) <= n + 1e-9


@SETTINGS
@given(returns_matrix)
def test_correlation_is_a_correlation_matrix(r):
    c = m.correlation_matrix(r)
    ok = ~np.isnan(np.diag(c))
    sub = c[np.ix_(ok, ok)]
    assert not np.isnan(sub).any()
    np.testing.assert_allclose(sub, sub.T, atol=0)
    np.testing.assert_array_equal(np.diag(sub), 1.0)
    assert (np.abs(sub) <= 1.0).all()
    if sub.size:
        assert np.linalg.eigvalsh(sub).min() >= -1e-9


@SETTINGS
@given(returns_matrix, st.floats(0.0, 0.1))
def test_inputs_are_not_mutated(r, rf):
    before = r.copy()
    for f in (
        m.annual_volatility,
        m.max_drawdown,
        m.value_at_risk,
        m.conditional_value_at_risk,
        m.cornish_fisher_value_at_risk,
        m.correlation_matrix,
        m.drawdown_series,
    ):
        f(r)
    m.sharpe_ratio(r, rf)
    m.sortino_ratio(r, rf)
    m.roll_annual_volatility(r, 20)
    m.roll_beta(r, r[:, 0], 20)
    m.roll_max_drawdown(r, 20)
    m.var_backtest(r, 0.95, lookback=20)
    np.testing.assert_array_equal(r, before)


@SETTINGS
@given(returns_matrix, weights_strategy)
def test_engine_does_not_mutate_prices_or_quantities(r, q):
    prices = 100 * np.cumprod(1 + r, axis=0)
    prices = np.where(prices > 0, prices, 1e-6)
    n = prices.shape[1]
    q = np.resize(q, n)
    if not (q > 0).any():
        return
    p0, q0 = prices.copy(), q.copy()
    pm = PriceMatrix.build(np.arange(len(prices)) + np.datetime64("2020-01-01"), [f"S{i}" for i in range(n)], prices)
    analyze(pm, q, window=30, benchmark="S0")
    np.testing.assert_array_equal(prices, p0)
    np.testing.assert_array_equal(q, q0)
    assert not pm.values.flags.writeable
