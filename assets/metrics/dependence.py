"""Dependence beyond Pearson: lower-tail dependence, Spearman, rolling correlation, regime label."""

from __future__ import annotations

import numpy as np
from scipy import stats

from assets.metrics._arrays import moving_columns
from assets.metrics.constants import REGIME_MARGIN, TAIL_QUANTILE
from assets.metrics.correlation import correlation_matrix
from assets.metrics.rolling import rolling_reduce


def lower_tail_dependence(returns, q: float = TAIL_QUANTILE) -> np.ndarray:
    """Empirical lower-tail dependence coefficients of the columns (Schmidt & Stadtmueller 2006).

    .. math:: \\hat\\lambda_L(i, j) = \\frac1k \\sum_t 1\\{R_{ti} \\le k, R_{tj} \\le k\\}, \\quad k = \\lfloor qT \\rfloor

    with :math:`R_{ti}` the rank of day t among column i's returns (ties broken by date, so each
    column has exactly k tail days and the diagonal is 1): the share of one asset's worst ``q`` of
    days that are also among the other's worst. 0 for tails that never meet, 1 for comonotone
    tails; independent assets give about ``q``.

    Returns
    -------
    np.ndarray
        ``(N, N)`` symmetric; NaN rows and columns for series with NaN or zero variance, and
        everywhere when ``k`` is 0.
    """
    r = np.asarray(returns, dtype=np.float64)
    t, n = r.shape
    k = int(np.floor(q * t))
    out = np.full((n, n), np.nan)
    ok = moving_columns(r)
    if k < 1 or not ok.any():
        return out
    ranks = np.argsort(np.argsort(r[:, ok], axis=0, kind="stable"), axis=0, kind="stable")
    tail = (ranks < k).astype(np.float64)
    out[np.ix_(ok, ok)] = tail.T @ tail / k
    return out


def spearman_matrix(returns) -> np.ndarray:
    """Spearman rank correlation: Pearson of the average ranks (equals ``scipy.stats.spearmanr``).

    NaN rows and columns for series with NaN or zero variance.
    """
    r = np.asarray(returns, dtype=np.float64)
    ok = moving_columns(r)
    out = np.full((r.shape[1],) * 2, np.nan)
    if ok.any():
        out[np.ix_(ok, ok)] = correlation_matrix(stats.rankdata(r[:, ok], axis=0))
    return out


def roll_correlation(returns, factor, window: int) -> np.ndarray:
    """Pearson correlation of each column with ``factor`` over every trailing ``window``.

    Row ``i`` covers rows ``i .. i + window - 1`` (as the ``roll_*`` functions); NaN where a
    window has a NaN or either series is constant over it.

    Returns
    -------
    np.ndarray
        ``(T - window + 1, N)``.
    """
    x = np.asarray(returns, dtype=np.float64)
    f = np.asarray(factor, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    # Centre on whole-sample means first: sums of products over a window then stay accurate.
    with np.errstate(invalid="ignore"):
        xc = x - np.nanmean(x, axis=0)
        fc = (f - np.nanmean(f))[:, None]
    n = window
    sx, sf = rolling_reduce(xc, n), rolling_reduce(fc, n)
    sxx, sff, sxf = rolling_reduce(xc * xc, n), rolling_reduce(fc * fc, n), rolling_reduce(xc * fc, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxf - sx * sf / n
        vx = sxx - sx * sx / n
        vf = sff - sf * sf / n
        rho = cov / np.sqrt(vx * vf)
    rho[~((vx > 1e-14 * sxx) & (vf > 1e-14 * sff))] = np.nan
    return np.clip(rho, -1.0, 1.0)


def average_correlation(corr: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Value-weighted average pairwise correlation of each portfolio's holdings.

    .. math:: \\bar\\rho = \\frac{\\sum_{i \\ne j} w_i w_j \\rho_{ij}}{\\sum_{i \\ne j} w_i w_j}

    Returns
    -------
    np.ndarray
        ``(K,)``; NaN for fewer than two holdings or a holding without correlations.
    """
    w = np.asarray(weights, dtype=np.float64)
    c = np.where(np.isnan(corr), 0.0, corr)
    np.fill_diagonal(c, 0.0)
    bad = np.isnan(np.diag(corr))
    num = np.einsum("ki,ij,kj->k", w, c, w)
    den = w.sum(axis=1) ** 2 - np.sum(w * w, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    out[(den <= 1e-12) | ((w > 0) & bad[None, :]).any(axis=1)] = np.nan
    return out


def correlation_regime(recent: np.ndarray, usual: np.ndarray, margin: float = REGIME_MARGIN) -> np.ndarray:
    """``"stressed"`` where the recent average correlation exceeds the usual one by ``margin`` or
    more, ``"calm"`` otherwise, None where either is NaN (object ``(K,)``)."""
    out = np.where(recent - usual >= margin, "stressed", "calm").astype(object)
    out[~(np.isfinite(recent) & np.isfinite(usual))] = None
    return out
