"""GARCH(1,1)-t and EWMA against the ``arch`` package on the real 2017-2021 closes of 14 coins.

Tolerances: with our estimates fixed in arch (``arch_model(...).fix``), arch's conditional
variances and forecasts equal ours to 1e-9 relative: same backcast, recursion and forecast. Fitted
against fitted, arch stops its SLSQP at ``ftol`` 1e-6 on the log-likelihood, where the likelihood
is flat enough that the parameters can still move by ~1e-3; so we require our maximum to be at
least arch's (never a worse optimum) and the 1- to 10-day forecasts to agree to 1e-3 relative
(seen: at most 5e-4).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from assets.metrics import garch
from assets.metrics.ewma import ewma_variance
from assets.metrics.garch import fit_garch
from tests.metrics.series import close_prices

arch = pytest.importorskip("arch", reason="arch is the reference for the GARCH and EWMA models (test extra)")
from arch.univariate import EWMAVariance, ZeroMean  # noqa: E402

WINDOW = 365
FORECAST_RTOL = 1e-3


@pytest.fixture(scope="module")
def returns(shared_data):
    symbols, _, prices = close_prices(shared_data / "prices" / "cmc_2017_2021_close.csv")
    return symbols, np.diff(prices, axis=0) / prices[:-1]


def _arch_model(r: np.ndarray):
    # arch wants returns in percent (its optimizer is tuned for variances near 1).
    return arch.arch_model(100 * r, mean="Constant", vol="GARCH", p=1, q=1, dist="t", rescale=False)


@pytest.mark.parametrize("end_back", [0, 400, 800])
def test_garch_t_equals_arch(returns, end_back):
    symbols, r = returns
    end = len(r) - end_back
    rw = r[end - WINDOW : end]
    fit = fit_garch(rw)
    assert all(reason is None for reason in fit.reasons)
    ours = fit.forecast_variance(10)
    for j, sym in enumerate(symbols):
        model = _arch_model(rw[:, j])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = model.fit(disp="off")
        params = [100 * fit.mu[j], 1e4 * fit.omega[j], fit.alpha[j], fit.beta[j], fit.nu[j]]
        fixed = model.fix(params)
        # Our estimate is arch's model at a likelihood at least as high as arch's own optimum.
        assert fixed.loglikelihood >= ref.loglikelihood - 1e-9, sym
        assert fit.loglik[j] - WINDOW * np.log(100) == pytest.approx(fixed.loglikelihood, rel=1e-12), sym
        # Same parameters: same filter and forecasts to rounding.
        np.testing.assert_allclose(fit.sigma2[:, j], fixed.conditional_volatility**2 / 1e4, rtol=1e-9)
        np.testing.assert_allclose(ours[:, j], fixed.forecast(horizon=10).variance.values[-1] / 1e4, rtol=1e-9)
        # Fitted against fitted: the forecasts agree within arch's own stopping tolerance.
        np.testing.assert_allclose(ours[:, j], ref.forecast(horizon=10).variance.values[-1] / 1e4, rtol=FORECAST_RTOL)


def test_ewma_equals_arch_riskmetrics(returns):
    symbols, r = returns
    rw = r[-WINDOW:]
    ours = ewma_variance(rw)
    for j in range(len(symbols)):
        res = ZeroMean(100 * rw[:, j], volatility=EWMAVariance(0.94), rescale=False).fit(disp="off")
        np.testing.assert_allclose(ours[:-1, j], res.conditional_volatility**2 / 1e4, rtol=1e-12)
        assert ours[-1, j] == pytest.approx(res.forecast(horizon=1).variance.values[-1, 0] / 1e4, rel=1e-12)


def test_likelihood_derivatives_equal_finite_differences(returns):
    """The Newton steps use analytic derivatives: central differences of the likelihood agree."""
    _, r = returns
    sub = r[-WINDOW:, :3]
    scale = sub.std(axis=0)
    y = sub / scale
    bc = garch.backcast((sub - sub.mean(axis=0)) / scale)
    x = garch._starting_values(y, bc)[0]
    _, grad, hess = garch._derivatives(y, bc, x)
    for i in range(5):
        step = np.zeros(5)
        step[i] = 1e-6 * max(1.0, abs(x[0, i]))
        up = garch._derivatives(y, bc, x + step)
        down = garch._derivatives(y, bc, x - step)
        np.testing.assert_allclose(grad[:, i], (up[0] - down[0]) / (2 * step[i]), rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(hess[:, :, i], (up[1] - down[1]) / (2 * step[i]), rtol=1e-4, atol=1e-6)


def test_fixed_parameter_filter_continues_the_fit(returns):
    """The backtest's out-of-sample filter: on the fitted window it gives the fit's variances back,
    and its next-day variance is the fit's forecast."""
    _, r = returns
    rw = r[-WINDOW:, :4]
    fit = fit_garch(rw)
    h, nxt = fit.filter(rw)
    np.testing.assert_allclose(h, fit.sigma2, rtol=1e-12)
    np.testing.assert_allclose(nxt, fit.next_variance(), rtol=1e-12)


def test_degenerate_series_are_not_fitted_and_say_why(returns):
    _, r = returns
    rw = r[-WINDOW:, :3].copy()
    rw[:, 1] = 0.001  # constant
    rw[:10, 2] = np.nan  # started late
    before = rw.copy()
    fit = fit_garch(rw)
    np.testing.assert_array_equal(rw, before)
    assert fit.reasons[0] is None and np.isfinite(fit.omega[0])
    assert "zero variance" in fit.reasons[1] and np.isnan(fit.omega[1])
    assert "no returns over part" in fit.reasons[2] and np.isnan(fit.next_variance()[2])
    short = fit_garch(r[-50:, :2])
    assert all("needs 100 returns, 50 available" in why for why in short.reasons)
