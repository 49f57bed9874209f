"""Risk contributions of each holding (Euler allocation): volatility and component VaR.

Both use the as-of value weights ``w`` and the covariance ``Sigma`` of the window's daily asset
returns, i.e. the risk of holding today's weights; the parts add up to the whole, so they answer
"which holding is my risk".
"""

from __future__ import annotations

import numpy as np
from scipy import special

from assets.metrics.var import _tail


def volatility_contributions(weights: np.ndarray, covariance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each holding's contribution to portfolio volatility.

    .. math:: \\sigma_p = \\sqrt{w^\\top \\Sigma w}, \\quad C_j = w_j (\\Sigma w)_j / \\sigma_p,
              \\quad \\sum_j C_j = \\sigma_p

    Parameters
    ----------
    weights : np.ndarray
        ``(N,)`` or ``(K, N)`` value weights.
    covariance : np.ndarray
        ``(N, N)``, e.g. annualized (then the contributions are annualized too).

    Returns
    -------
    (contributions, sigma) : tuple of np.ndarray
        ``contributions`` shaped like ``weights``; ``sigma`` one per portfolio. NaN where
        ``sigma`` is 0 (nothing to attribute).
    """
    w = np.asarray(weights, dtype=np.float64)
    w2 = np.atleast_2d(w)
    cov = np.nan_to_num(np.asarray(covariance, dtype=np.float64))
    marginal = w2 @ cov
    sigma = np.sqrt(np.maximum(np.sum(marginal * w2, axis=1), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        contrib = w2 * marginal / np.where(sigma > 0, sigma, np.nan)[:, None]
    return (contrib[0], sigma[0]) if w.ndim == 1 else (contrib, sigma)


def component_var(
    weights: np.ndarray, mean: np.ndarray, covariance: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Component (Euler) Gaussian VaR of each holding, one day, positive loss fractions.

    .. math:: \\mathrm{VaR}_p = -(w^\\top \\mu + z \\sigma_p), \\quad
              \\mathrm{CVaR}_j = -w_j \\left(\\mu_j + z \\frac{(\\Sigma w)_j}{\\sigma_p}\\right),
              \\quad \\sum_j \\mathrm{CVaR}_j = \\mathrm{VaR}_p

    with :math:`z = \\Phi^{-1}(1 - \\alpha)` and daily mean ``mean`` and covariance ``covariance``.

    Returns
    -------
    (components, total) : tuple of np.ndarray
        ``components`` shaped like ``weights``, ``total`` the portfolio's Gaussian VaR of the
        as-of weights. NaN where the portfolio has no variance.
    """
    w = np.asarray(weights, dtype=np.float64)
    w2 = np.atleast_2d(w)
    mu = np.nan_to_num(np.asarray(mean, dtype=np.float64))
    cov = np.nan_to_num(np.asarray(covariance, dtype=np.float64))
    z = special.ndtri(_tail(level))
    marginal = w2 @ cov
    sigma = np.sqrt(np.maximum(np.sum(marginal * w2, axis=1), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        comp = -w2 * (mu[None, :] + z * marginal / np.where(sigma > 0, sigma, np.nan)[:, None])
    total = -(w2 @ mu + z * sigma)
    total = np.where(sigma > 0, total, np.nan)
    return (comp[0], total[0]) if w.ndim == 1 else (comp, total)
