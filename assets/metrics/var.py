"""Value at Risk and expected shortfall, reported as positive one-day loss fractions.

``level`` is the confidence (0.95, 0.99); the tail probability is ``1 - level``. A VaR of 0.05
means "on 1 day in 20 the loss exceeds 5% of value".
"""

from __future__ import annotations

import numpy as np
from scipy import special

from assets.metrics._arrays import as_2d, restore


def _tail(level: float) -> float:
    # 1 - 0.95 is 0.05000000000000004 in binary; rounding keeps the quantile index identical to
    # empyrical's, which is called with the literal cutoff.
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return round(1.0 - level, 12)


def _nan_columns(r: np.ndarray) -> np.ndarray:
    return np.isnan(r).any(axis=0)


def value_at_risk(returns, level: float = 0.95):
    """Historical VaR: minus the ``1 - level`` percentile of returns (linear interpolation).

    .. math:: \\mathrm{VaR}_\\alpha = -Q_{1-\\alpha}(r)

    Equals ``-empyrical.value_at_risk(r, cutoff=1 - level)``.

    Returns
    -------
    float or np.ndarray
        Positive loss fraction (negative when even the tail quantile is a gain); NaN for empty
        input or a column containing NaN.
    """
    r, one = as_2d(returns)
    if r.shape[0] < 1:
        return restore(np.full(r.shape[1], np.nan), one)
    out = -np.percentile(r, 100.0 * _tail(level), axis=0)
    return restore(out, one)


def conditional_value_at_risk(returns, level: float = 0.95):
    """Historical expected shortfall: minus the mean of the worst ``k + 1`` returns.

    .. math:: \\mathrm{ES}_\\alpha = -\\frac{1}{k+1} \\sum_{i=0}^{k} r_{(i)}, \\quad
              k = \\lfloor (T - 1)(1 - \\alpha) \\rfloor

    with :math:`r_{(i)}` the ascending order statistics; equals
    ``-empyrical.conditional_value_at_risk(r, cutoff=1 - level)``. Always >= :func:`value_at_risk`.
    """
    r, one = as_2d(returns)
    if r.shape[0] < 1:
        return restore(np.full(r.shape[1], np.nan), one)
    k = int((r.shape[0] - 1) * _tail(level))
    out = -np.mean(np.partition(r, k, axis=0)[: k + 1], axis=0)
    out[_nan_columns(r)] = np.nan
    return restore(out, one)


def _moments(r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, sample std (ddof=1), skewness and excess kurtosis (both biased, as scipy.stats)."""
    mean = np.mean(r, axis=0)
    dev = r - mean
    dev2 = dev * dev  # products, not float powers: ** 3 / ** 4 cost ten times as much
    m2 = np.mean(dev2, axis=0)
    constant = np.max(r, axis=0) == np.min(r, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        std = np.sqrt(m2 * (r.shape[0] / (r.shape[0] - 1)))
        m2_safe = np.where(constant, np.nan, m2)
        skew = np.mean(dev2 * dev, axis=0) / (m2_safe * np.sqrt(m2_safe))
        kurt = np.mean(dev2 * dev2, axis=0) / (m2_safe * m2_safe) - 3.0
    return mean, std, skew, kurt


def parametric_value_at_risk(returns, level: float = 0.95):
    """Gaussian (variance-covariance) VaR.

    .. math:: \\mathrm{VaR}_\\alpha = -(\\mu + z_{1-\\alpha} \\, \\sigma), \\quad z_p = \\Phi^{-1}(p)

    with :math:`\\mu` the mean and :math:`\\sigma` the sample (ddof=1) standard deviation of daily
    returns. NaN with fewer than 2 returns.
    """
    r, one = as_2d(returns)
    if r.shape[0] < 2:
        return restore(np.full(r.shape[1], np.nan), one)
    z = special.ndtri(_tail(level))
    out = -(np.mean(r, axis=0) + z * np.std(r, axis=0, ddof=1))
    return restore(out, one)


def cornish_fisher_value_at_risk(returns, level: float = 0.95):
    """Modified (Cornish-Fisher) VaR: the Gaussian quantile corrected for skewness and kurtosis.

    .. math:: z_{cf} = z + \\frac{(z^2 - 1) S}{6} + \\frac{(z^3 - 3z) K}{24} - \\frac{(2z^3 - 5z) S^2}{36},
              \\quad \\mathrm{VaR}_\\alpha = -(\\mu + z_{cf} \\, \\sigma)

    (Favre & Galeano 2002) with :math:`S` the skewness and :math:`K` the excess kurtosis, both the
    biased estimators of ``scipy.stats.skew`` / ``kurtosis``. NaN with fewer than 2 returns or zero
    dispersion (skewness undefined).
    """
    r, one = as_2d(returns)
    if r.shape[0] < 2:
        return restore(np.full(r.shape[1], np.nan), one)
    z = special.ndtri(_tail(level))
    mean, std, s, k = _moments(r)
    z_cf = z + (z * z - 1.0) * s / 6.0 + (z**3 - 3.0 * z) * k / 24.0 - (2.0 * z**3 - 5.0 * z) * s * s / 36.0
    return restore(-(mean + z_cf * std), one)


def tail_measures(returns, levels) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """:func:`value_at_risk` and :func:`conditional_value_at_risk` of the columns of ``returns`` at
    several levels from one partial sort (for simulated samples of thousands of rows).

    Returns
    -------
    dict
        level -> ``(var, es)``, each ``(N,)``; NaN for a column containing NaN.
    """
    r, _ = as_2d(returns)
    n = r.shape[0]
    if n < 1:
        nan = np.full(r.shape[1], np.nan)
        return {lvl: (nan, nan.copy()) for lvl in levels}
    spots = {}
    for lvl in levels:
        pos = _tail(lvl) * (n - 1)
        lo = int(np.floor(pos))
        spots[lvl] = (lo, min(lo + 1, n - 1), pos - lo)
    kth = sorted({i for lo, hi, _ in spots.values() for i in (lo, hi)})
    part = np.partition(r, kth, axis=0)
    bad = _nan_columns(r)
    out = {}
    for lvl, (lo, hi, frac) in spots.items():
        var = -(part[lo] + frac * (part[hi] - part[lo]))
        es = -np.mean(part[: lo + 1], axis=0)
        var[bad] = np.nan
        es[bad] = np.nan
        out[lvl] = (var, es)
    return out
