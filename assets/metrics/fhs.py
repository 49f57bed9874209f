"""Filtered historical simulation (Barone-Adesi, Giannopoulos & Vosper 1999) on a GARCH(1,1)-t fit.

The fitted model's standardized residuals :math:`z_t = \\varepsilon_t / \\sigma_t` are the
empirical innovation distribution; the one-day return distribution is
:math:`\\mu + \\sigma_{T+1} z_t` over the window's :math:`z_t` (exactly what bootstrapping one day
would sample), and the h-day distribution is simulated: each path draws :math:`z` from the
window's days (the same day for every series, which keeps their dependence), feeds
:math:`\\varepsilon = \\sigma z` back into the GARCH variance, and compounds
:math:`\\prod (1 + r)` (a simulated return below -100% is a total loss). No square-root-of-time.
"""

from __future__ import annotations

import numpy as np

from assets.metrics.garch import GarchFit
from assets.metrics.var import tail_measures


def fhs_var_es(fit: GarchFit, levels, horizon: int, simulations: int, rng: np.random.Generator):
    """One-day and ``horizon``-day FHS VaR and ES of every fitted series.

    Returns
    -------
    (one_day, multi_day) : dict, dict
        level -> ``(var, es)`` arrays ``(K,)`` of positive loss fractions; NaN where the fit has a
        reason.
    """
    ok = fit.ok
    k = len(ok)
    nan = {lvl: (np.full(k, np.nan), np.full(k, np.nan)) for lvl in levels}
    if not ok.any():
        return nan, {lvl: (a.copy(), b.copy()) for lvl, (a, b) in nan.items()}
    z = fit.std_resid[:, ok]
    mu, omega, alpha, beta = fit.mu[ok], fit.omega[ok], fit.alpha[ok], fit.beta[ok]
    h = fit.next_variance()[ok]
    one = tail_measures(mu + np.sqrt(h) * z, levels)
    days = rng.integers(0, z.shape[0], size=(horizon, simulations))
    wealth = np.ones((simulations, z.shape[1]))
    var = np.broadcast_to(h, wealth.shape)
    for d in range(horizon):
        eps = np.sqrt(var) * z[days[d]]
        wealth *= np.maximum(1.0 + mu + eps, 0.0)
        var = omega + alpha * eps * eps + beta * var
    multi = tail_measures(wealth - 1.0, levels)
    return _spread(one, ok, levels), _spread(multi, ok, levels)


def _spread(values: dict, ok: np.ndarray, levels) -> dict:
    out = {}
    for lvl in levels:
        var, es = (np.full(len(ok), np.nan) for _ in range(2))
        var[ok], es[ok] = values[lvl]
        out[lvl] = (var, es)
    return out
