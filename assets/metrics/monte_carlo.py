"""Monte Carlo VaR and ES from a multivariate Student-t of the assets' daily returns.

The t is fitted on the window (:func:`assets.metrics.student_t.fit_student_t`); paths of
independent daily returns are drawn from it with a fixed seed, the assets compound over the
horizon (a simulated daily return below -100% is a total loss) and each portfolio is its
current value weights in them (buy and hold). VaR and ES are the historical estimators applied
to the simulated returns.
"""

from __future__ import annotations

import numpy as np

from assets.metrics.student_t import StudentT
from assets.metrics.var import tail_measures


def mc_var_es(model: StudentT, weights: np.ndarray, levels, horizon: int, simulations: int, rng: np.random.Generator):
    """One-day and ``horizon``-day Monte Carlo VaR and ES of each asset and each weight vector.

    Parameters
    ----------
    weights : np.ndarray
        ``(K, N)`` value weights in the model's ``N`` assets (rows summing to 1).

    Returns
    -------
    dict
        ``{"assets": (one_day, multi_day), "portfolios": (one_day, multi_day)}``, each a dict
        level -> ``(var, es)``.
    """
    paths = model.simulate(simulations, horizon, rng)
    one_day = paths[0]
    multi_day = np.prod(np.maximum(1.0 + paths, 0.0), axis=0) - 1.0
    w = np.asarray(weights, dtype=np.float64)
    return {
        "assets": (tail_measures(one_day, levels), tail_measures(multi_day, levels)),
        "portfolios": (tail_measures(one_day @ w.T, levels), tail_measures(multi_day @ w.T, levels)),
    }
