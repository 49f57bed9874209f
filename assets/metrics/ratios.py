"""Risk-adjusted return ratios: Sharpe and Sortino, point and rolling (empyrical semantics)."""

from __future__ import annotations

import numpy as np

from assets.metrics._arrays import as_2d, restore
from assets.metrics.constants import ANNUALIZATION
from assets.metrics.rolling import rolling_constant, rolling_mean_var, rolling_reduce
from assets.metrics.volatility import downside_risk


def sharpe_ratio(returns, risk_free: float = 0.0, annualization: int = ANNUALIZATION):
    """Annualized Sharpe ratio.

    .. math:: S = \\sqrt{A} \\; \\frac{\\mathrm{mean}(r - r_f)}{\\mathrm{std}(r - r_f, \\mathrm{ddof}=1)}

    Equals ``empyrical.sharpe_ratio(r, risk_free=rf, annualization=A)`` wherever that is finite.
    Where every return is equal (zero dispersion) empyrical returns +-inf; we return NaN, since
    the ratio is undefined rather than infinitely good.

    Parameters
    ----------
    returns : np.ndarray
        ``(T,)`` or ``(T, N)`` daily simple returns.
    risk_free : float
        Daily risk-free rate (see :func:`assets.metrics.returns.daily_risk_free`).

    Returns
    -------
    float or np.ndarray
        NaN with fewer than 2 returns or zero dispersion.
    """
    r, one = as_2d(returns)
    if r.shape[0] < 2:
        return restore(np.full(r.shape[1], np.nan), one)
    adj = r - risk_free
    std = np.std(adj, axis=0, ddof=1)
    constant = np.max(adj, axis=0) == np.min(adj, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.mean(adj, axis=0) / np.where(constant, np.nan, std) * np.sqrt(annualization)
    return restore(out, one)


def roll_sharpe_ratio(returns, window: int, risk_free: float = 0.0, annualization: int = ANNUALIZATION):
    """:func:`sharpe_ratio` of every trailing ``window`` (equals ``empyrical.roll_sharpe_ratio``)."""
    r, one = as_2d(returns)
    window = min(int(window), r.shape[0])
    if window < 2:
        return restore(np.full((r.shape[0] - window + 1, r.shape[1]), np.nan), one)
    adj = r - risk_free
    mean, var = rolling_mean_var(adj, window, ddof=1)
    std = np.where(rolling_constant(adj, window), np.nan, np.sqrt(var))
    with np.errstate(divide="ignore", invalid="ignore"):
        return restore(mean / std * np.sqrt(annualization), one)


def sortino_ratio(returns, required_return: float = 0.0, annualization: int = ANNUALIZATION):
    """Annualized Sortino ratio.

    .. math:: \\mathrm{Sortino} = \\frac{A \\; \\mathrm{mean}(r - \\tau)}{DD_\\tau}

    with :math:`DD_\\tau` the annualized downside deviation (:func:`downside_risk`). Equals
    ``empyrical.sortino_ratio(r, required_return=tau, annualization=A)`` wherever that is finite;
    NaN (empyrical: inf) when no return falls below ``tau``.
    """
    r, one = as_2d(returns)
    if r.shape[0] < 2:
        return restore(np.full(r.shape[1], np.nan), one)
    dd = np.atleast_1d(downside_risk(r, required_return, annualization))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.mean(r - required_return, axis=0) * annualization / np.where(dd == 0, np.nan, dd)
    return restore(out, one)


def roll_sortino_ratio(returns, window: int, required_return: float = 0.0, annualization: int = ANNUALIZATION):
    """:func:`sortino_ratio` of every trailing ``window`` (equals ``empyrical.roll_sortino_ratio``)."""
    r, one = as_2d(returns)
    window = min(int(window), r.shape[0])
    if window < 2:
        return restore(np.full((r.shape[0] - window + 1, r.shape[1]), np.nan), one)
    adj = r - required_return
    below = np.minimum(adj, 0.0)
    dd = np.sqrt(rolling_reduce(below * below, window) / window * annualization)
    mean = rolling_reduce(adj, window) / window
    with np.errstate(divide="ignore", invalid="ignore"):
        return restore(mean * annualization / np.where(dd == 0, np.nan, dd), one)


def calmar_ratio(returns, annualization: int = ANNUALIZATION):
    """Calmar ratio: annual (compound) return over the absolute maximum drawdown.

    .. math:: C = \\frac{(\\prod_t (1 + r_t))^{A/T} - 1}{|MDD|}

    Equals ``empyrical.calmar_ratio(r, annualization=A)``: NaN without a drawdown.
    """
    from assets.metrics.drawdown import max_drawdown

    r, one = as_2d(returns)
    if r.shape[0] < 1:
        return restore(np.full(r.shape[1], np.nan), one)
    mdd = np.atleast_1d(max_drawdown(r))
    with np.errstate(invalid="ignore", divide="ignore"):
        annual = np.prod(1.0 + r, axis=0) ** (annualization / r.shape[0]) - 1.0
        out = np.where(mdd < 0, annual / np.abs(mdd), np.nan)
    out[~np.isfinite(out)] = np.nan
    return restore(out, one)


def omega_ratio(returns, risk_free: float = 0.0, required_return: float = 0.0, annualization: int = ANNUALIZATION):
    """Omega ratio: gains over losses relative to a threshold.

    .. math:: \\Omega = \\frac{\\sum_t (r_t - \\tau)^+}{\\sum_t (\\tau - r_t)^+}, \\quad
              \\tau = r_f + (1 + R)^{1/A} - 1

    with :math:`r_f` the daily risk-free rate and :math:`R` an annual required return. Equals
    ``empyrical.omega_ratio(r, risk_free, required_return, annualization=A)``: NaN with fewer than
    2 returns or when no return falls below the threshold.
    """
    r, one = as_2d(returns)
    if r.shape[0] < 2 or required_return <= -1:
        return restore(np.full(r.shape[1], np.nan), one)
    excess = r - risk_free - ((1.0 + required_return) ** (1.0 / annualization) - 1.0)
    gains = np.sum(np.where(excess > 0, excess, 0.0), axis=0)
    losses = -np.sum(np.where(excess < 0, excess, 0.0), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(losses > 0, gains / losses, np.nan)
    out[np.isnan(r).any(axis=0)] = np.nan
    return restore(out, one)
