"""RiskMetrics EWMA variance and the Gaussian VaR and expected shortfall it implies.

.. math:: \\sigma_t^2 = \\lambda \\sigma_{t-1}^2 + (1 - \\lambda) r_{t-1}^2, \\quad \\lambda = 0.94

with zero mean (RiskMetrics) and :math:`\\sigma_0^2` = arch's backcast (the 0.94-weighted mean of
the first 75 squared returns), so the variances equal ``arch``'s ``EWMAVariance(0.94)`` with a
zero mean. The variance forecast is flat, so the h-day Gaussian VaR is the one-day VaR times
:math:`\\sqrt{h}` under the model itself (not an approximation, unlike for GARCH).
"""

from __future__ import annotations

import numpy as np
from scipy import signal, special

from assets.metrics._arrays import as_2d
from assets.metrics.constants import EWMA_LAMBDA
from assets.metrics.var import _tail

BACKCAST_DAYS: int = 75


def ewma_variance(returns, lam: float = EWMA_LAMBDA, backcast_days: int = BACKCAST_DAYS):
    """EWMA variance before each day and after the last.

    Parameters
    ----------
    returns : np.ndarray
        ``(T,)`` or ``(T, N)`` daily returns; a column containing NaN gives NaN.
    backcast_days : int
        Returns averaged into :math:`\\sigma_0^2` (a backtest passes its lookback so no test day
        is seen).

    Returns
    -------
    np.ndarray
        ``(T + 1,)`` or ``(T + 1, N)``: row ``t`` is the variance for day ``t`` from returns
        before it; the last row is the forecast for the day after the last return.
    """
    r, one = as_2d(returns)
    tau = max(1, min(int(backcast_days), r.shape[0]))
    w = lam ** np.arange(tau)
    bc = (w / w.sum()) @ (r[:tau] ** 2)
    out = np.empty((r.shape[0] + 1, r.shape[1]))
    out[0] = bc
    if r.shape[0]:
        out[1:], _ = signal.lfilter([1.0 - lam], [1.0, -lam], r * r, axis=0, zi=lam * bc[None, :])
    return out[:, 0] if one else out


def gaussian_var_es(sigma, level: float, horizon: int = 1):
    """Zero-mean Gaussian VaR and ES of ``sigma`` (daily volatility) over ``horizon`` days.

    .. math:: \\mathrm{VaR} = \\sqrt{h}\\,\\sigma\\, z, \\quad
              \\mathrm{ES} = \\sqrt{h}\\,\\sigma\\, \\varphi(z) / (1 - \\alpha), \\quad z = \\Phi^{-1}(\\alpha)

    Returns
    -------
    (var, es)
        Positive loss fractions, shaped like ``sigma``.
    """
    tail = _tail(level)
    z = -special.ndtri(tail)
    scale = np.sqrt(horizon) * np.asarray(sigma, dtype=np.float64)
    density = np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
    return scale * z, scale * density / tail
