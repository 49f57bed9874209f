"""Covariance and Pearson correlation of asset returns over a window."""

from __future__ import annotations

import numpy as np

from assets.metrics.constants import ANNUALIZATION


def covariance_matrix(returns: np.ndarray, annualization: int = 1) -> np.ndarray:
    """Sample covariance (ddof=1) of the columns of ``returns``, times ``annualization``.

    .. math:: \\Sigma_{ij} = \\frac{A}{T - 1} \\sum_t (r_{ti} - \\bar r_i)(r_{tj} - \\bar r_j)

    Columns containing NaN give NaN rows and columns.
    """
    r = np.asarray(returns, dtype=np.float64)
    if r.shape[0] < 2:
        return np.full((r.shape[1], r.shape[1]), np.nan)
    dev = r - r.mean(axis=0)
    return (dev.T @ dev) / (r.shape[0] - 1) * annualization


def correlation_matrix(returns: np.ndarray) -> np.ndarray:
    """Pearson correlation matrix of the columns of ``returns`` (``np.corrcoef`` on columns).

    .. math:: \\rho_{ij} = \\Sigma_{ij} / \\sqrt{\\Sigma_{ii} \\Sigma_{jj}}

    Symmetric with a unit diagonal and positive semi-definite. A column that contains NaN or
    never moves (zero variance) has NaN in its row and column, diagonal included: its correlation
    is undefined. Entries are clipped to [-1, 1] against rounding.
    """
    r = np.asarray(returns, dtype=np.float64)
    t, n = r.shape
    if t < 2:
        return np.full((n, n), np.nan)
    dev = r - r.mean(axis=0)
    # Scale each column to max |deviation| 1 first: tiny-variance columns would otherwise
    # underflow in the products and break the unit diagonal.
    scale = np.max(np.abs(dev), axis=0)
    valid = np.isfinite(scale) & (scale > 0) & (np.max(r, axis=0) != np.min(r, axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = dev / np.where(valid, scale, np.nan)
        z = dev / np.sqrt(np.sum(dev * dev, axis=0))
    corr = np.clip(z.T @ z, -1.0, 1.0)
    corr[np.diag_indices(n)] = 1.0
    corr[~valid, :] = np.nan
    corr[:, ~valid] = np.nan
    return corr


def annualized_covariance(returns: np.ndarray) -> np.ndarray:
    """:func:`covariance_matrix` annualized with 365 periods."""
    return covariance_matrix(returns, ANNUALIZATION)
