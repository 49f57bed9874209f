"""Model backtests, FHS, Monte Carlo and the Student-t fit against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from assets.metrics import PriceMatrix, analyze
from assets.metrics.backtest import christoffersen_independence, coverage_backtest, kupiec_test, traffic_light
from assets.metrics.fhs import fhs_var_es
from assets.metrics.garch import fit_garch
from assets.metrics.models import model_var_forecasts
from assets.metrics.student_t import fit_student_t
from assets.metrics.var import conditional_value_at_risk, value_at_risk
from tests.metrics.series import close_prices


@pytest.fixture(scope="module")
def real(shared_data):
    symbols, dates, prices = close_prices(shared_data / "prices" / "cmc_2017_2021_close.csv")
    return PriceMatrix.build(dates, symbols, prices)


def _xlogy(x: float, y: float) -> float:
    return 0.0 if x == 0 else x * math.log(y)


def christoffersen_by_hand(hits: list[bool]) -> tuple[float, float]:
    """Christoffersen (1998) LR_ind and LR_cc from the hit sequence, in plain Python."""
    n = {(a, b): 0 for a in (0, 1) for b in (0, 1)}
    for prev, cur in zip(hits, hits[1:], strict=False):
        n[(int(prev), int(cur))] += 1
    pi01 = n[0, 1] / (n[0, 0] + n[0, 1]) if n[0, 0] + n[0, 1] else 0.0
    pi11 = n[1, 1] / (n[1, 0] + n[1, 1]) if n[1, 0] + n[1, 1] else 0.0
    pi = (n[0, 1] + n[1, 1]) / sum(n.values())
    null = _xlogy(n[0, 0] + n[1, 0], 1 - pi) + _xlogy(n[0, 1] + n[1, 1], pi)
    alt = _xlogy(n[0, 0], 1 - pi01) + _xlogy(n[0, 1], pi01) + _xlogy(n[1, 0], 1 - pi11) + _xlogy(n[1, 1], pi11)
    return -2 * (null - alt), max(-2 * (null - alt), 0.0)


@pytest.mark.parametrize("pattern", ["scattered", "clustered", "none", "last_day_only"])
def test_christoffersen_equals_the_closed_form(pattern):
    rng = np.random.default_rng(3)
    t = 500
    if pattern == "scattered":
        hits = rng.random(t) < 0.05
    elif pattern == "clustered":
        hits = np.zeros(t, dtype=bool)
        for start in (50, 51, 52, 200, 201, 202, 203, 400, 401):
            hits[start] = True
    elif pattern == "none":
        hits = np.zeros(t, dtype=bool)
    else:
        hits = np.zeros(t, dtype=bool)
        hits[-1] = True
    lr, p = christoffersen_independence(hits[:, None], np.ones((t, 1), dtype=bool))
    _, expected = christoffersen_by_hand(list(hits))
    assert lr[0] == pytest.approx(expected, abs=1e-9)
    assert p[0] == pytest.approx(stats.chi2.sf(expected, 1), abs=1e-12)
    if pattern == "clustered":
        assert p[0] < 1e-3  # clustered breaches are rejected


def test_coverage_backtest_counts_and_combines():
    rng = np.random.default_rng(5)
    t = 600
    r = rng.standard_t(4, (t, 2)) * 0.03
    f = np.full((t, 2), 0.05)
    f[:100] = np.nan  # no forecast yet: not test days
    bt = coverage_backtest(r, f, 0.95, "fixed", min_days=100)
    for j in range(2):
        hits = [bool(x < -0.05) for x in r[100:, j]]
        assert bt.days[j] == 500 and bt.breaches[j] == sum(hits)
        lr_uc, _ = kupiec_test(sum(hits), 500, 0.95)
        _, lr_ind = christoffersen_by_hand(hits)
        assert bt.conditional_coverage_p[j] == pytest.approx(stats.chi2.sf(float(lr_uc) + lr_ind, 2), rel=1e-9)
        assert bt.light_breaches[j] == sum(hits[-250:])
    rec = bt.record(0)
    assert rec["traffic_light"] in {"green", "yellow", "red"} and rec["null_reason"] is None
    short = coverage_backtest(r[:150], f[:150], 0.95, "fixed", min_days=100)
    assert short.record(0)["kupiec_p"] is None and "needs 100 test days, 50 available" in short.record(0)["null_reason"]


def test_traffic_light_is_the_basel_table():
    """Basel Committee (1996), 99% VaR over 250 days: green 0-4, yellow 5-9, red 10 or more."""
    zones = traffic_light(np.arange(15), 250, 0.99)
    assert list(zones) == ["green"] * 5 + ["yellow"] * 5 + ["red"] * 5


def test_forecasts_use_no_future_returns(real):
    """Changing every return after day t leaves every model's forecast up to day t unchanged."""
    p = real.values[:, :5]
    q = np.array([[1.0, 10.0, 0.0, 100.0, 0.0], [0.5, 0.0, 1000.0, 0.0, 3.0]])
    window, cut = 200, 500
    base = _forecasts(p, q, window)
    shocked = p.copy()
    shocked[cut + 1 :] *= np.linspace(1.0, 3.0, len(p) - cut - 1)[:, None] ** np.arange(1, 6)
    moved = _forecasts(shocked, q, window)
    for level in base:
        for model in base[level]:
            a, b = base[level][model][: cut + 1], moved[level][model][: cut + 1]
            np.testing.assert_allclose(a, b, rtol=1e-12, err_msg=f"{model} {level}")
            assert np.isfinite(a[window:]).any(), model
            assert not np.allclose(base[level][model][cut + 2 :], moved[level][model][cut + 2 :], equal_nan=True)


def _forecasts(prices: np.ndarray, q: np.ndarray, window: int):
    values = prices @ q.T
    pr = np.diff(values, axis=0) / values[:-1]
    ar = np.diff(prices, axis=0) / prices[:-1]
    return model_var_forecasts(pr, ar, prices, q, window)[0]


def test_student_t_fit_equals_scipy(real):
    r = np.diff(real.values, axis=0) / real.values[:-1]
    w = r[-365:]
    compared = 0
    for j in range(w.shape[1]):
        df, loc, scale = stats.t.fit(w[:, j])
        ours = fit_student_t(w[:, [j]])
        if df < 2.1:  # below our bound of 2.05 (finite variance): there we sit on the bound
            assert ours.nu == pytest.approx(2.05)
            continue
        compared += 1
        ref = stats.t.logpdf(w[:, j], df, loc, scale).sum()
        assert ours.loglik >= ref - 1e-6  # at least scipy's optimum
        assert ours.nu == pytest.approx(df, rel=1e-3) and ours.mu[0] == pytest.approx(loc, rel=1e-3)
        assert math.sqrt(ours.shape[0, 0]) == pytest.approx(scale, rel=1e-3)
    assert compared >= 5
    model = fit_student_t(w)
    assert model.loglik == pytest.approx(stats.multivariate_t(model.mu, model.shape, df=model.nu).logpdf(w).sum(), rel=1e-12)
    for scale_by in (0.99, 1.01):  # no nearby shape does better
        worse = stats.multivariate_t(model.mu, model.shape * scale_by, df=model.nu).logpdf(w).sum()
        assert worse < model.loglik


def test_fhs_one_day_is_the_filtered_empirical_quantile(real):
    r = np.diff(real.values, axis=0) / real.values[:-1]
    fit = fit_garch(r[-365:, :4])
    one, multi = fhs_var_es(fit, (0.95, 0.99), 10, 2000, np.random.default_rng(1))
    for j in range(4):
        z = fit.resid[:, j] / np.sqrt(fit.sigma2[:, j])
        filtered = fit.mu[j] + np.sqrt(fit.next_variance()[j]) * z
        assert one[0.95][0][j] == pytest.approx(value_at_risk(filtered, 0.95), rel=1e-12)
        assert one[0.99][1][j] == pytest.approx(conditional_value_at_risk(filtered, 0.99), rel=1e-12)
        assert multi[0.99][1][j] >= multi[0.99][0][j] > multi[0.95][0][j] > 0
    again = fhs_var_es(fit, (0.95,), 10, 2000, np.random.default_rng(1))[1]
    np.testing.assert_array_equal(again[0.95][0], multi[0.95][0])


def test_monte_carlo_is_reproducible_and_independent_of_other_portfolios(real):
    q = np.zeros((3, len(real.symbols)))
    q[0, [0, 1]] = [1.0, 10.0]
    q[1, [2, 5, 7]] = [1e4, 1e5, 100.0]
    q[2, 0] = 1.0
    batch = analyze(real, q, window=365, models=True)
    alone = analyze(real, q[1], window=365, models=True)
    for key in ("var_95_mc", "es_99_mc_10d"):
        assert alone.portfolios.values[key][0] == pytest.approx(batch.portfolios.values[key][1], rel=1e-12)
    # One BTC: the simulated 1-day VaR is the fitted t's quantile up to simulation error.
    r = np.diff(real.values, axis=0) / real.values[:-1]
    t = fit_student_t(r[-365:])
    j = real.symbols.index("BTC")
    exact = -(t.mu[j] + np.sqrt(t.shape[j, j]) * stats.t.ppf(0.05, t.nu))
    assert batch.portfolios.values["var_95_mc"][2] == pytest.approx(exact, rel=0.05)
    assert batch.assets.values["var_95_mc"][j] == pytest.approx(batch.portfolios.values["var_95_mc"][2], rel=1e-12)
