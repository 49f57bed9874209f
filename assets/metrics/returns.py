"""Returns: simple returns, portfolio value series, benchmark indices, the daily risk-free rate."""

from __future__ import annotations

import numpy as np

from assets.metrics.constants import ANNUALIZATION


def simple_returns(prices: np.ndarray) -> np.ndarray:
    """Daily simple returns along axis 0.

    .. math:: r_t = (p_t - p_{t-1}) / p_{t-1}

    computed as empyrical's ``simple_returns`` does (difference, then division), so the values are
    bit-identical. NaN prices (before listing) give NaN returns.

    Parameters
    ----------
    prices : np.ndarray
        Shape ``(T,)`` or ``(T, N)``, strictly positive where present.

    Returns
    -------
    np.ndarray
        Shape ``(T - 1,)`` or ``(T - 1, N)``, decimal.
    """
    prices = np.asarray(prices, dtype=np.float64)
    out = np.diff(prices, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(out, prices[:-1], out=out)
    return out


def portfolio_values(prices: np.ndarray, quantities: np.ndarray) -> np.ndarray:
    """Value of each portfolio over time with current holdings held throughout.

    .. math:: V_{t,k} = \\sum_j q_{k,j} \\, p_{t,j}

    Parameters
    ----------
    prices : np.ndarray
        ``(T, N)``; NaN before an asset's listing.
    quantities : np.ndarray
        ``(N,)`` for one portfolio or ``(K, N)`` for many (units held, >= 0).

    Returns
    -------
    np.ndarray
        ``(T,)`` or ``(T, K)``. NaN on the days a held asset (quantity != 0) had no price yet.
    """
    prices = np.asarray(prices, dtype=np.float64)
    q = np.asarray(quantities, dtype=np.float64)
    one = q.ndim == 1
    q2 = q[None, :] if one else q
    missing = np.isnan(prices)
    if not missing.any():  # the common case: every asset priced every day
        return (prices @ q2.T)[:, 0] if one else prices @ q2.T
    values = np.where(missing, 0.0, prices) @ q2.T
    unpriced = (missing.astype(np.float64) @ (q2 != 0).T.astype(np.float64)) > 0
    values[unpriced] = np.nan
    return values[:, 0] if one else values


def market_index_returns(returns: np.ndarray, caps: np.ndarray | None = None) -> np.ndarray:
    """Daily returns of a market index of the universe.

    Cap-weighted with yesterday's caps when ``caps`` is given, equal-weighted (daily rebalanced)
    otherwise; assets not yet trading on a day are left out of that day.

    .. math:: r^{mkt}_t = \\sum_j w_{t-1,j} r_{t,j}, \\quad
              w_{t-1,j} = c_{t-1,j} / \\sum_i c_{t-1,i} \\;\\text{ or }\\; 1 / N_t

    Parameters
    ----------
    returns : np.ndarray
        ``(T-1, N)`` daily simple returns of the assets.
    caps : np.ndarray, optional
        ``(T, N)`` market capitalisations aligned with the prices the returns come from.

    Returns
    -------
    np.ndarray
        ``(T-1,)``; NaN on a day no asset traded.
    """
    returns = np.asarray(returns, dtype=np.float64)
    present = ~np.isnan(returns)
    if caps is None:
        weights = present.astype(np.float64)
    else:
        caps = np.asarray(caps, dtype=np.float64)[:-1]
        weights = np.where(present & np.isfinite(caps) & (caps > 0), caps, 0.0)
    total = weights.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.where(present, returns, 0.0) * weights).sum(axis=1) / np.where(total > 0, total, np.nan)


def daily_risk_free(annual_rate: float, annualization: int = ANNUALIZATION) -> float:
    """Daily rate equivalent to an annual rate: :math:`(1 + r_f)^{1/365} - 1`."""
    return (1.0 + annual_rate) ** (1.0 / annualization) - 1.0
