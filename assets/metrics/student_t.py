"""Multivariate Student-t: maximum-likelihood fit (ECME) and simulation of daily returns.

.. math:: f(x) = \\frac{\\Gamma(\\frac{\\nu + N}{2})}{\\Gamma(\\frac{\\nu}{2}) (\\nu\\pi)^{N/2} |\\Sigma|^{1/2}}
          \\left(1 + \\frac{\\delta}{\\nu}\\right)^{-\\frac{\\nu + N}{2}}, \\quad
          \\delta = (x - \\mu)' \\Sigma^{-1} (x - \\mu)

(``scipy.stats.multivariate_t(loc=mu, shape=Sigma, df=nu)``). A linear combination
:math:`w'x` is univariate t with location :math:`w'\\mu`, scale :math:`\\sqrt{w'\\Sigma w}` and
the same :math:`\\nu`: a portfolio's one-day distribution under the model is known exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize, special

#: Bounds of the fitted degrees of freedom (those of the GARCH model's innovations).
NU_BOUNDS: tuple[float, float] = (2.05, 500.0)

#: EM iterations and the log-likelihood gain (total) below which the fit has converged.
MAX_ITERATIONS: int = 500
TOLERANCE: float = 1e-9


@dataclass(frozen=True)
class StudentT:
    """A fitted multivariate t: ``mu`` ``(N,)``, ``shape`` ``(N, N)`` (scale matrix; the covariance
    is ``shape * nu / (nu - 2)``), ``nu``, the maximized log-likelihood and whether EM converged."""

    mu: np.ndarray
    shape: np.ndarray
    nu: float
    loglik: float
    converged: bool

    def simulate(self, n: int, days: int, rng: np.random.Generator) -> np.ndarray:
        """``(days, n, N)`` independent daily returns: :math:`\\mu + L z / \\sqrt{w / \\nu}`,
        :math:`z \\sim N(0, I)`, :math:`w \\sim \\chi^2_\\nu`, :math:`LL' = \\Sigma`."""
        chol = np.linalg.cholesky(self.shape)
        z = rng.standard_normal((days, n, len(self.mu)))
        w = rng.chisquare(self.nu, (days, n, 1)) / self.nu
        return self.mu + (z @ chol.T) / np.sqrt(w)


def _loglik(delta: np.ndarray, logdet: float, nu: float, n: int) -> float:
    t = len(delta)
    return float(
        t * (special.gammaln((nu + n) / 2) - special.gammaln(nu / 2) - n / 2 * np.log(nu * np.pi) - logdet / 2)
        - (nu + n) / 2 * np.sum(np.log1p(delta / nu))
    )


def _update_nu(delta: np.ndarray, logdet: float, nu: float, n: int) -> float:
    """One safeguarded Newton step on the log-likelihood in :math:`\\nu` (analytic derivatives),
    falling back to a bounded scalar search where the curvature is not negative."""
    t = len(delta)
    r = delta / (nu * (nu + delta))
    d1 = t * (0.5 * special.digamma((nu + n) / 2) - 0.5 * special.digamma(nu / 2) - n / (2 * nu))
    d1 += -0.5 * np.sum(np.log1p(delta / nu)) + (nu + n) / 2 * np.sum(r)
    d2 = t * (0.25 * special.polygamma(1, (nu + n) / 2) - 0.25 * special.polygamma(1, nu / 2) + n / (2 * nu * nu))
    d2 += np.sum(r) - (nu + n) / 2 * np.sum(delta * (2 * nu + delta) / (nu * (nu + delta)) ** 2)
    if d2 < 0:
        new = float(np.clip(nu - d1 / d2, *NU_BOUNDS))
        if _loglik(delta, logdet, new, n) >= _loglik(delta, logdet, nu, n):
            return new
    res = optimize.minimize_scalar(lambda v: -_loglik(delta, logdet, v, n), bounds=NU_BOUNDS, method="bounded")
    return float(res.x) if -res.fun >= _loglik(delta, logdet, nu, n) else nu


def _mahalanobis(x: np.ndarray, mu: np.ndarray, shape: np.ndarray) -> tuple[np.ndarray, float]:
    chol = np.linalg.cholesky(shape)
    z = linalg.solve_triangular(chol, (x - mu).T, lower=True, check_finite=False)
    return np.sum(z * z, axis=0), 2.0 * float(np.sum(np.log(np.diag(chol))))


def fit_student_t(returns, start: StudentT | None = None, tolerance: float = TOLERANCE) -> StudentT:
    """Maximum-likelihood multivariate t of the rows of ``returns`` ``(T, N)`` (no NaN, T > N).

    ECME (Liu & Rubin 1995): E-step weights :math:`w_t = (\\nu + N) / (\\nu + \\delta_t)`, then
    :math:`\\mu = \\sum w_t x_t / \\sum w_t`, :math:`\\Sigma = \\frac1T \\sum w_t (x_t - \\mu)(x_t - \\mu)'`,
    then a Newton step in :math:`\\nu` on the actual t log-likelihood given them,
    until an iteration gains less than ``tolerance`` (total log-likelihood). ``start`` (an earlier
    window's fit) saves most iterations.

    Raises
    ------
    ValueError
        If the sample covariance is singular (fewer returns than assets, a constant column, or
        columns that are linear combinations of others).
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _fit(np.asarray(returns, dtype=np.float64), start, tolerance)


def _fit(x: np.ndarray, start: StudentT | None, tolerance: float) -> StudentT:
    t, n = x.shape
    if start is None:
        nu = 5.0
        mu = x.mean(axis=0)
        shape = np.cov(x, rowvar=False).reshape(n, n) * (nu - 2) / nu
    else:
        mu, shape, nu = start.mu.copy(), start.shape.copy(), float(start.nu)
    try:
        delta, logdet = _mahalanobis(x, mu, shape)
    except np.linalg.LinAlgError:
        raise ValueError("the returns' covariance is singular") from None
    ll = _loglik(delta, logdet, nu, n)
    converged = False
    for _ in range(MAX_ITERATIONS):
        w = (nu + n) / (nu + delta)
        mu = (w @ x) / w.sum()
        dev = x - mu
        shape = (dev * w[:, None]).T @ dev / t
        try:
            delta, logdet = _mahalanobis(x, mu, shape)
        except np.linalg.LinAlgError:
            raise ValueError("the returns' covariance is singular") from None
        nu = _update_nu(delta, logdet, nu, n)
        new_ll = _loglik(delta, logdet, nu, n)
        gain, ll = new_ll - ll, new_ll
        if not np.isfinite(gain):
            break
        if gain < tolerance:
            converged = True
            break
    return StudentT(mu=mu, shape=shape, nu=nu, loglik=ll, converged=converged)
