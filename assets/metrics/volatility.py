"""Annualized volatility and downside risk, point and rolling (empyrical semantics, 365 periods)."""

from __future__ import annotations

import numpy as np

from assets.metrics._arrays import as_2d, restore
from assets.metrics.constants import ANNUALIZATION
from assets.metrics.rolling import rolling_mean_var, rolling_reduce


def annual_volatility(returns, annualization: int = ANNUALIZATION):
    """Annualized volatility.

    .. math:: \\sigma_{ann} = \\sqrt{A} \\; \\mathrm{std}(r, \\mathrm{ddof}=1)

    Equals ``empyrical.annual_volatility(r, annualization=A)``.

    Parameters
    ----------
    returns : np.ndarray
        ``(T,)`` or ``(T, N)`` daily simple returns; a column containing NaN gives NaN.
    annualization : int
        Periods per year (365 for crypto).

    Returns
    -------
    float or np.ndarray
        Annualized, decimal; NaN with fewer than 2 returns.
    """
    r, one = as_2d(returns)
    if r.shape[0] < 2:
        return restore(np.full(r.shape[1], np.nan), one)
    return restore(np.std(r, axis=0, ddof=1) * np.sqrt(annualization), one)


def roll_annual_volatility(returns, window: int, annualization: int = ANNUALIZATION):
    """Annualized volatility of every trailing ``window`` of returns.

    Equals ``empyrical.roll_annual_volatility(r, window, annualization=A)`` (row ``i`` covers
    ``r[i : i + window]``). With fewer than ``window`` returns the single window is the whole input.

    Returns
    -------
    np.ndarray
        ``(T - window + 1,)`` or ``(T - window + 1, N)``, annualized decimal.
    """
    r, one = as_2d(returns)
    window = min(int(window), r.shape[0])
    if window < 2:
        return restore(np.full((max(r.shape[0] - window + 1, 0), r.shape[1]), np.nan), one)
    _, var = rolling_mean_var(r, window, ddof=1)
    return restore(np.sqrt(var * annualization), one)


def downside_risk(returns, required_return: float = 0.0, annualization: int = ANNUALIZATION):
    """Annualized downside deviation below ``required_return``.

    .. math:: DD = \\sqrt{A} \\sqrt{\\tfrac{1}{T} \\sum_t \\min(r_t - \\tau, 0)^2}

    Equals ``empyrical.downside_risk(r, required_return=tau, annualization=A)``.
    """
    r, one = as_2d(returns)
    if r.shape[0] < 1:
        return restore(np.full(r.shape[1], np.nan), one)
    below = np.minimum(r - required_return, 0.0)
    return restore(np.sqrt(np.mean(below * below, axis=0)) * np.sqrt(annualization), one)


def roll_downside_risk(returns, window: int, required_return: float = 0.0, annualization: int = ANNUALIZATION):
    """:func:`downside_risk` of every trailing ``window`` (equals ``empyrical.roll_downside_risk``)."""
    r, one = as_2d(returns)
    window = min(int(window), r.shape[0])
    below = np.minimum(r - required_return, 0.0)
    mean_sq = rolling_reduce(below * below, window) / window
    return restore(np.sqrt(np.maximum(mean_sq, 0.0) * annualization), one)
