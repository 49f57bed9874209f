"""Concentration of holdings: value weights, Herfindahl-Hirschman index, effective number of holdings."""

from __future__ import annotations

import numpy as np


def value_weights(prices_as_of: np.ndarray, quantities: np.ndarray) -> np.ndarray:
    """Value weights :math:`w_j = q_j p_j / \\sum_i q_i p_i` on one date.

    Parameters
    ----------
    prices_as_of : np.ndarray
        ``(N,)`` prices on the date (NaN for an asset not trading; it must then not be held).
    quantities : np.ndarray
        ``(N,)`` or ``(K, N)`` units held, >= 0.

    Returns
    -------
    np.ndarray
        Same shape as ``quantities``; rows sum to 1, NaN rows for an empty portfolio.
    """
    q = np.asarray(quantities, dtype=np.float64)
    p = np.where(np.isnan(prices_as_of), 0.0, np.asarray(prices_as_of, dtype=np.float64))
    values = q * p
    total = values.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return values / np.where(total > 0, total, np.nan)


def herfindahl_index(weights: np.ndarray):
    """Herfindahl-Hirschman index of long-only weights.

    .. math:: HHI = \\sum_j w_j^2, \\quad 1/N \\le HHI \\le 1

    Returns
    -------
    float or np.ndarray
        One value per row of ``weights``.
    """
    w = np.asarray(weights, dtype=np.float64)
    out = np.sum(w * w, axis=-1)
    return float(out) if np.ndim(out) == 0 else out


def effective_number(weights: np.ndarray):
    """Effective number of holdings :math:`N_{eff} = 1 / HHI` (N equal weights give N)."""
    hhi = herfindahl_index(weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / hhi
