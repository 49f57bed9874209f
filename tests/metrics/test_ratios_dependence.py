"""Calmar, Omega, Ulcer, drawdown duration and dependence against quantstats / empyrical / scipy."""

from __future__ import annotations

import warnings

import empyrical as ep
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from assets import metrics as m
from assets.metrics.dependence import (
    average_correlation,
    correlation_regime,
    lower_tail_dependence,
    roll_correlation,
    spearman_matrix,
)
from assets.metrics.drawdown import drawdown_episode, ulcer_index
from assets.metrics.ratios import calmar_ratio, omega_ratio
from tests.metrics.series import close_prices, shapes

qs = pytest.importorskip("quantstats.stats", reason="quantstats is the reference for Ulcer and drawdown details")

RF = 1.03 ** (1 / 365) - 1


@pytest.fixture(scope="module")
def real_returns(shared_data):
    symbols, _, prices = close_prices(shared_data / "prices" / "cmc_2017_2021_close.csv")
    return symbols, np.diff(prices, axis=0) / prices[:-1]


def _series(r: np.ndarray) -> pd.Series:
    return pd.Series(r, index=pd.date_range("2020-01-01", periods=len(r), freq="D"))


@pytest.mark.parametrize("end_back", [0, 300, 700])
def test_ratios_equal_empyrical_and_quantstats(real_returns, end_back):
    symbols, r = real_returns
    end = len(r) - end_back
    w = r[end - 365 : end]
    calmar, omega, ulcer = calmar_ratio(w), omega_ratio(w, RF), ulcer_index(w)
    for j in range(len(symbols)):
        c = w[:, j]
        assert calmar[j] == pytest.approx(ep.calmar_ratio(c, annualization=365), rel=1e-9)
        assert calmar[j] == pytest.approx(qs.calmar(_series(c), periods=365), rel=1e-9)
        assert omega[j] == pytest.approx(ep.omega_ratio(c, RF, 0.0, annualization=365), rel=1e-9)
        assert ulcer[j] == pytest.approx(qs.ulcer_index(_series(c)), rel=1e-9)


def test_drawdown_duration_and_recovery_equal_quantstats(real_returns):
    symbols, r = real_returns
    recovered = 0
    for end in range(500, len(r), 150):
        w = r[end - 365 : end]
        duration, recovery = drawdown_episode(w)
        for j in range(len(symbols)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                details = qs.drawdown_details(qs.to_drawdown_series(_series(w[:, j])))
            deepest = details.iloc[int(details["max drawdown"].astype(float).idxmin())]
            assert duration[j] == deepest["days"], (end, symbols[j])
            still_open = deepest["end"] == _series(w[:, j]).index[-1].strftime("%Y-%m-%d")
            if still_open:
                assert np.isnan(recovery[j])
            else:  # quantstats' end is the last day under water: recovery is the day after
                recovered += 1
                expected = (pd.Timestamp(deepest["end"]) - pd.Timestamp(deepest["valley"])).days + 1
                assert recovery[j] == expected, (end, symbols[j])
    assert recovered > 10


def test_degenerate_ratios_are_nan():
    up = np.full(50, 0.01)
    assert np.isnan(calmar_ratio(up)) and np.isnan(omega_ratio(up))  # no drawdown, no loss
    assert ulcer_index(up) == 0.0
    assert drawdown_episode(up) == (0.0, 0.0)
    assert np.isnan(ulcer_index(np.array([0.01])))


def test_tail_dependence_equals_a_direct_count(real_returns):
    _, r = real_returns
    w = r[-365:, :6]
    ours = lower_tail_dependence(w, 0.05)
    k = int(0.05 * 365)
    ranks = np.column_stack([stats.rankdata(w[:, j], method="ordinal") for j in range(6)])
    for i in range(6):
        for j in range(6):
            both = sum(1 for t in range(365) if ranks[t, i] <= k and ranks[t, j] <= k)
            assert ours[i, j] == pytest.approx(both / k, abs=1e-15)
    assert np.all(np.diag(ours) == 1.0)


def test_spearman_equals_scipy(real_returns):
    _, r = real_returns
    w = r[-365:]
    np.testing.assert_allclose(spearman_matrix(w), stats.spearmanr(w).statistic, rtol=1e-12, atol=1e-14)


def test_rolling_correlation_equals_numpy(real_returns):
    _, r = real_returns
    x, f = r[-200:, 1:4], r[-200:, 0]
    ours = roll_correlation(x, f, 30)
    for i in range(0, 171, 17):
        for j in range(3):
            assert ours[i, j] == pytest.approx(np.corrcoef(x[i : i + 30, j], f[i : i + 30])[0, 1], rel=1e-10)


def test_correlation_regime_rule():
    rng = np.random.default_rng(9)
    common = rng.normal(0, 0.03, 400)
    calm = rng.normal(0, 0.03, (400, 3)) + 0.3 * common[:, None]
    stressed = calm.copy()
    stressed[-30:] = common[-30:, None] + rng.normal(0, 0.003, (30, 3))  # everything moves together
    weights = np.array([[0.5, 0.3, 0.2]])
    for data, label in ((calm, "calm"), (stressed, "stressed")):
        recent = average_correlation(m.correlation_matrix(data[-30:]), weights)
        usual = average_correlation(m.correlation_matrix(data), weights)
        assert correlation_regime(recent, usual)[0] == label
    single = average_correlation(m.correlation_matrix(calm), np.array([[1.0, 0.0, 0.0]]))
    assert np.isnan(single[0]) and correlation_regime(single, single)[0] is None


def test_new_functions_do_not_mutate_inputs():
    r = shapes()["fat_tails"]
    before = r.copy()
    for f in (calmar_ratio, omega_ratio, ulcer_index, drawdown_episode, lower_tail_dependence, spearman_matrix):
        f(r)
    roll_correlation(r, r[:, 0], 30)
    np.testing.assert_array_equal(r, before)
