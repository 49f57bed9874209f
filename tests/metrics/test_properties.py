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


MODEL_SETTINGS = settings(max_examples=8, deadline=None)


@MODEL_SETTINGS
@given(
    st.integers(min_value=120, max_value=220).flatmap(
        lambda t: arrays(np.float64, (t, 3), elements=st.floats(-0.3, 0.3, allow_nan=False, width=64))
    ),
    st.sampled_from(["none", "constant", "late"]),
)
def test_models_never_invent_numbers(r, degenerate):
    """With models=True every value is finite or null with a reason, inputs stay untouched, and a
    constant or late-listed asset gets reasons rather than numbers."""
    prices = 100 * np.cumprod(1 + r, axis=0)
    prices = np.where(prices > 0, prices, 1e-6)
    if degenerate == "constant":
        prices[:, 2] = 1.0
    elif degenerate == "late":
        prices[: len(prices) - 50, 2] = np.nan  # listed inside the 100-day window
    q = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 5.0]])
    p0, q0 = prices.copy(), q.copy()
    pm = PriceMatrix.build(np.arange(len(prices)) + np.datetime64("2020-01-01"), ["S0", "S1", "S2"], prices)
    a = analyze(pm, q, window=100, benchmark="S0", models=True)
    np.testing.assert_array_equal(prices, p0)
    np.testing.assert_array_equal(q, q0)
    for table in (a.assets, a.portfolios):
        for i in range(len(table.names)):
            rec = table.record(i)
            for key, value in rec.items():
                if key == "null_reasons":
                    continue
                assert value is None or np.isfinite(value)
                assert (value is None) == (key in rec["null_reasons"]), key
    if degenerate != "none":
        third = a.assets.record(2)
        for key in ("volatility_garch", "var_95_fhs", "var_95_mc", "var_95_ewma"):
            if degenerate == "late" or key != "var_95_ewma":
                assert third[key] is None and third["null_reasons"][key], key
        only = a.portfolios.record(1)
        assert only["var_95_mc"] is None and only["null_reasons"]["var_95_mc"]
    for by_level in a.models.backtests.values():
        for bt in by_level.values():
            for i in range(2):
                rec = bt.record(i)
                assert (rec["kupiec_p"] is None) == (rec["null_reason"] is not None)


def test_too_short_for_models_says_why():
    prices = 100 * np.cumprod(1 + np.random.default_rng(1).normal(0, 0.02, (60, 2)), axis=0)
    pm = PriceMatrix.build(np.arange(60) + np.datetime64("2020-01-01"), ["S0", "S1"], prices)
    a = analyze(pm, [1.0, 1.0], window=90, benchmark="S0", models=True)
    rec = a.portfolios.record(0)
    assert rec["volatility_garch"] is None and "needs 90 daily returns" in rec["null_reasons"]["volatility_garch"]
    assert a.models.backtests["fhs"][0.95].record(0)["null_reason"]
    short = analyze(pm, [1.0, 1.0], window=50, benchmark="S0", models=True).portfolios.record(0)
    assert short["volatility_ewma"] is not None
    assert "GARCH(1,1) needs 100 returns, 50 available" in short["null_reasons"]["volatility_garch"]
