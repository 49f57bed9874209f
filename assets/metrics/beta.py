"""Beta of returns against a factor (BTC, or a market index), point and rolling."""

from __future__ import annotations

import numpy as np

from assets.metrics._arrays import as_2d, restore
from assets.metrics.rolling import rolling_reduce

#: empyrical's threshold below which a factor variance counts as zero.
_MIN_FACTOR_VARIANCE = 1.0e-30


def beta(returns, factor_returns):
    """OLS beta of each column on the factor.

    .. math:: \\beta = \\frac{\\mathrm{mean}((f - \\bar f)\\, r)}{\\mathrm{mean}((f - \\bar f)^2)}
              = \\frac{\\mathrm{Cov}(r, f)}{\\mathrm{Var}(f)}

    Equals ``empyrical.beta(r, f)`` (a risk-free rate shifts both series and cancels out).

    Parameters
    ----------
    returns : np.ndarray
        ``(T,)`` or ``(T, N)``.
    factor_returns : np.ndarray
        ``(T,)``.

    Returns
    -------
    float or np.ndarray
        NaN with fewer than 2 returns, a (near-)constant factor, or NaN in either input.
    """
    r, one = as_2d(returns)
    f = np.asarray(factor_returns, dtype=np.float64).reshape(-1)
    if f.shape[0] != r.shape[0]:
        raise ValueError(f"returns have {r.shape[0]} rows, factor_returns {f.shape[0]}")
    if r.shape[0] < 2:
        return restore(np.full(r.shape[1], np.nan), one)
    res = f - np.mean(f)
    var = np.mean(res * res)
    cov = np.mean(res[:, None] * r, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = cov / (var if var >= _MIN_FACTOR_VARIANCE else np.nan)
    return restore(out, one)


def roll_beta(returns, factor_returns, window: int):
    """:func:`beta` of every trailing ``window`` (equals ``empyrical.roll_beta``).

    .. math:: \\beta = \\frac{S_{rf} - S_r S_f / n}{S_{ff} - S_f^2 / n}

    with window sums :math:`S` of the centred series.
    """
    r, one = as_2d(returns)
    f = np.asarray(factor_returns, dtype=np.float64).reshape(-1)
    window = min(int(window), r.shape[0])
    if window < 2:
        return restore(np.full((r.shape[0] - window + 1, r.shape[1]), np.nan), one)
    fc = (f - np.nanmean(f))[:, None]
    with np.errstate(invalid="ignore"):
        rc = r - np.nanmean(r, axis=0)
    sf = rolling_reduce(fc, window)
    sff = rolling_reduce(fc * fc, window)
    sr = rolling_reduce(rc, window)
    srf = rolling_reduce(rc * fc, window)
    var = (sff - sf * sf / window) / window
    cov = (srf - sr * sf / window) / window
    with np.errstate(divide="ignore", invalid="ignore"):
        out = cov / np.where(var >= _MIN_FACTOR_VARIANCE, var, np.nan)
    return restore(out, one)
