"""Out-of-sample backtest of historical VaR: breaches and Kupiec's proportion-of-failures test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import special, stats

from assets.metrics._arrays import as_2d
from assets.metrics.var import _tail


def kupiec_test(breaches, days, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Kupiec (1995) proportion-of-failures likelihood-ratio test.

    .. math:: LR = -2 \\ln \\frac{(1-p)^{T-x} p^x}{(1-\\hat p)^{T-x} \\hat p^x}, \\quad \\hat p = x / T,
              \\quad LR \\sim \\chi^2_1

    with :math:`p = 1 - \\alpha` the expected breach rate, :math:`x` breaches in :math:`T` days
    (:math:`0 \\ln 0 = 0`).

    Returns
    -------
    (lr, p_value) : tuple of np.ndarray
        NaN where ``days`` is 0.
    """
    x = np.asarray(breaches, dtype=np.float64)
    t = np.asarray(days, dtype=np.float64)
    p = _tail(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        phat = x / t
        log_null = special.xlogy(t - x, 1.0 - p) + special.xlogy(x, p)
        log_alt = special.xlogy(t - x, 1.0 - phat) + special.xlogy(x, phat)
        lr = np.where(t > 0, np.maximum(-2.0 * (log_null - log_alt), 0.0), np.nan)
    return lr, stats.chi2.sf(lr, 1)


@dataclass(frozen=True)
class BacktestResult:
    """Per-column backtest outcome (arrays of one value per series).

    Attributes
    ----------
    level : float
        VaR confidence level.
    lookback : int
        Returns each day's VaR forecast is estimated from.
    days : np.ndarray
        Test days (days with a full lookback and a return).
    breaches : np.ndarray
        Days whose loss exceeded the VaR forecast made the day before.
    lr, p_value : np.ndarray
        Kupiec statistic and its chi-square(1) p-value.
    """

    level: float
    lookback: int
    days: np.ndarray
    breaches: np.ndarray
    lr: np.ndarray
    p_value: np.ndarray

    @property
    def expected(self) -> np.ndarray:
        """Breaches a correct model expects: :math:`T (1 - \\alpha)`."""
        return self.days * _tail(self.level)


def historical_var_forecasts(returns, level: float, lookback: int) -> np.ndarray:
    """Historical VaR forecast for each next day from the previous ``lookback`` returns.

    Row ``t`` holds :math:`-Q_{1-\\alpha}(r_{t-L}, \\dots, r_{t-1})` (linear interpolation, as
    :func:`assets.metrics.var.value_at_risk`); NaN where the lookback is incomplete or has a NaN.
    Rolling quantiles come from polars (sorted-window algorithm, O(T log L) per column).
    """
    r, one = as_2d(returns)
    frame = pl.from_numpy(r, schema=[f"c{j}" for j in range(r.shape[1])]).fill_nan(None)
    q = frame.select(
        pl.all().rolling_quantile(_tail(level), interpolation="linear", window_size=int(lookback)).shift(1)
    ).to_numpy()
    q = np.asarray(q, dtype=np.float64)
    return -(q[:, 0] if one else q)


def var_backtest(returns, level: float = 0.95, lookback: int = 365) -> BacktestResult:
    """Backtest historical VaR on every day that has a full ``lookback`` of returns before it.

    A breach is :math:`r_t < -\\mathrm{VaR}_t` with :math:`\\mathrm{VaR}_t` from
    :func:`historical_var_forecasts`; the breach count is tested with :func:`kupiec_test`.

    Parameters
    ----------
    returns : np.ndarray
        ``(T,)`` or ``(T, K)`` daily returns (NaN before a series exists).
    """
    r, _ = as_2d(returns)
    forecast = historical_var_forecasts(r, level, lookback)
    valid = ~np.isnan(forecast) & ~np.isnan(r)
    with np.errstate(invalid="ignore"):
        breach = valid & (r < -forecast)
    days = valid.sum(axis=0)
    hits = breach.sum(axis=0)
    lr, p_value = kupiec_test(hits, days, level)
    return BacktestResult(level=level, lookback=int(lookback), days=days, breaches=hits, lr=lr, p_value=p_value)
