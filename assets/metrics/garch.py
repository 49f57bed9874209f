"""GARCH(1,1) with standardized Student-t innovations, fitted by maximum likelihood on many series at once.

The model is ``arch_model(y, mean="Constant", vol="GARCH", p=1, q=1, dist="t")`` of the ``arch``
package, with arch's backcast and likelihood, so the estimates and forecasts equal arch's:

.. math:: r_t = \\mu + \\varepsilon_t, \\quad \\varepsilon_t = \\sigma_t z_t, \\quad
          \\sigma_t^2 = \\omega + \\alpha \\varepsilon_{t-1}^2 + \\beta \\sigma_{t-1}^2, \\quad
          z_t \\sim t_\\nu \\text{ scaled to unit variance}

with :math:`\\varepsilon_{-1}^2 = \\sigma_{-1}^2` = the backcast (an exponentially weighted mean,
weights :math:`0.94^i`, of the first 75 squared demeaned returns). arch fits one series at a time
with SLSQP; here every series is fitted at once by a damped Newton method on the exact gradient
and Hessian of the log-likelihood (variance derivatives are linear recursions, see
:mod:`assets.metrics.recursion`), projected on arch's bounds and constraints
(:math:`\\omega > 0`, :math:`\\alpha, \\beta \\ge 0`, :math:`\\alpha + \\beta \\le 1`,
:math:`2.05 \\le \\nu \\le 500`).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import signal, special

from assets.metrics.recursion import linear_recursion

#: Fewest returns we fit a GARCH(1,1)-t on: five parameters need a few hundred observations.
MIN_GARCH_OBS: int = 100

#: Bounds of the Student-t degrees of freedom (arch's).
NU_BOUNDS: tuple[float, float] = (2.05, 500.0)

#: Backcast: exponentially weighted mean of the first ``BACKCAST_DAYS`` squared residuals (arch's).
BACKCAST_DAYS: int = 75
BACKCAST_DECAY: float = 0.94

#: Newton iterations before a series is declared not converged.
MAX_ITERATIONS: int = 100

#: Converged when the full Newton step promises less than ``TOLERANCE`` (mean negative
#: log-likelihood per return), when an accepted step gains less than ``STALL`` in total
#: log-likelihood (a tenth of what arch stops at), or when five steps together gained less than
#: ``ARCH_FTOL`` (SLSQP's default ``ftol`` that arch stops at: on a flat ridge, such as an
#: unidentified beta when alpha = 0, our optimum is then at least as good as arch's).
TOLERANCE: float = 1e-13
STALL: float = 1e-7
ARCH_FTOL: float = 1e-6

#: Largest move of one Newton step in (mu, omega, p, s, nu), on returns scaled to unit variance
#: (omega may also move by its own size, nu by half its value).
MAX_MOVE: tuple[float, ...] = (0.2, 0.05, 0.25, 0.25, 1.0)

#: Width of the band along a bound where a coordinate whose gradient points outward is held.
EPS_ACTIVE: float = 1e-3

#: Fractions of the Newton step tried in turn until one is accepted.
STEP_LENGTHS: tuple[float, ...] = (1.0, 0.3, 0.1)

#: Newton steps the second start gets before it must beat the first start's optimum to go on.
PROBE_ITERATIONS: int = 4

#: Threads the fit runs in (the series are split between them) and the fewest series per thread.
WORKERS: int = min(2, os.cpu_count() or 1)
PARALLEL_MIN_SERIES: int = 128

#: Bounds of omega relative to the mean squared demeaned return (arch's).
OMEGA_BOUNDS: tuple[float, float] = (1e-8, 10.0)


def backcast(resid: np.ndarray) -> np.ndarray:
    """arch's backcast of each column of ``resid`` ``(T, K)``: :math:`\\sum_i w_i \\varepsilon_i^2`,
    :math:`w_i \\propto 0.94^i` over the first ``min(75, T)`` rows."""
    tau = min(BACKCAST_DAYS, resid.shape[0])
    w = BACKCAST_DECAY ** np.arange(tau)
    w = w / w.sum()
    return w @ (resid[:tau] ** 2)


@dataclass(frozen=True)
class GarchFit:
    """Fitted GARCH(1,1)-t of ``K`` series (decimal daily returns).

    Attributes
    ----------
    mu, omega, alpha, beta, nu : np.ndarray
        ``(K,)`` parameters in return units (``omega`` in squared returns); NaN where not fitted.
    loglik : np.ndarray
        ``(K,)`` maximized log-likelihood of the returns (arch's value for the same data in the
        same units).
    backcast : np.ndarray
        ``(K,)`` :math:`\\sigma_{-1}^2`.
    sigma2 : np.ndarray
        ``(T, K)`` in-sample conditional variances.
    resid : np.ndarray
        ``(T, K)`` residuals :math:`r_t - \\mu`.
    reasons : np.ndarray
        ``(K,)`` object: None where fitted, else why not.
    """

    mu: np.ndarray
    omega: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    nu: np.ndarray
    loglik: np.ndarray
    backcast: np.ndarray
    sigma2: np.ndarray
    resid: np.ndarray
    reasons: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        return np.array([r is None for r in self.reasons])

    @property
    def std_resid(self) -> np.ndarray:
        """``(T, K)`` standardized residuals :math:`\\varepsilon_t / \\sigma_t`."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.resid / np.sqrt(self.sigma2)

    def next_variance(self) -> np.ndarray:
        """``(K,)`` one-day-ahead variance :math:`\\sigma_{T}^2 = \\omega + \\alpha\\varepsilon_{T-1}^2 + \\beta\\sigma_{T-1}^2`."""
        return self.omega + self.alpha * self.resid[-1] ** 2 + self.beta * self.sigma2[-1]

    def forecast_variance(self, horizon: int) -> np.ndarray:
        """``(horizon, K)`` variance forecasts for each of the next ``horizon`` days (arch's analytic
        forecast: :math:`\\sigma^2_{T+h} = \\omega + (\\alpha + \\beta)\\sigma^2_{T+h-1}`)."""
        out = np.empty((horizon, len(self.mu)))
        out[0] = self.next_variance()
        for h in range(1, horizon):
            out[h] = self.omega + (self.alpha + self.beta) * out[h - 1]
        return out

    def filter(self, returns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Conditional variances of ``returns`` ``(T', K)`` with the fitted parameters held fixed.

        The recursion starts from this fit's backcast, so for the fitted window itself it gives
        ``sigma2`` back; on a longer sample it is the out-of-sample filter of a fixed-parameter
        backtest. Row ``t`` uses returns up to ``t - 1`` only.

        Returns
        -------
        (sigma2, next_variance) : ``(T', K)`` and ``(K,)``.
        """
        r = np.asarray(returns, dtype=np.float64)
        e = r - self.mu
        e2lag = np.vstack([self.backcast[None, :], e[:-1] ** 2])
        h = linear_recursion(self.omega + self.alpha * e2lag, self.beta, self.backcast)
        return h, self.omega + self.alpha * e[-1] ** 2 + self.beta * h[-1]


def _theta(x: np.ndarray) -> tuple[np.ndarray, ...]:
    """``(mu, omega, alpha, beta, nu)`` from box coordinates ``x = (mu, omega, p, s, nu)`` ``(K, 5)``:
    persistence :math:`p = \\alpha + \\beta` and ARCH share :math:`s = \\alpha / p`, both in [0, 1],
    turn arch's constraints (:math:`\\alpha, \\beta \\ge 0`, :math:`\\alpha + \\beta \\le 1`) into bounds."""
    return x[:, 0], x[:, 1], x[:, 2] * x[:, 3], x[:, 2] * (1.0 - x[:, 3]), x[:, 4]


def _box(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of ``x`` for returns scaled to unit mean square."""
    lo = np.array([-np.inf, OMEGA_BOUNDS[0], 0.0, 0.0, NU_BOUNDS[0]])
    hi = np.array([np.inf, OMEGA_BOUNDS[1], 1.0, 1.0, NU_BOUNDS[1]])
    return np.broadcast_to(lo, (k, 5)), np.broadcast_to(hi, (k, 5))


def _lagged(x: np.ndarray, first) -> np.ndarray:
    """``x`` (time on axis 0) shifted one day later, with ``first`` as day 0."""
    out = np.empty_like(x)
    out[0] = first
    out[1:] = x[:-1]
    return out


def _student_constant(nu):
    return special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * np.log(np.pi * (nu - 2))


def _variance(y: np.ndarray, bc: np.ndarray, mu, omega, alpha, beta) -> tuple[np.ndarray, np.ndarray]:
    """Residuals and conditional variances ``(T, K)`` of returns ``y`` ``(T, K)``."""
    e = y - mu
    h = linear_recursion(omega + alpha * _lagged(e * e, bc), beta, bc)
    return e, h


def _loglik(y: np.ndarray, bc: np.ndarray, theta) -> np.ndarray:
    """``(K,)`` Student-t log-likelihood of the columns of ``y`` ``(T, K)``."""
    mu, omega, alpha, beta, nu = theta
    e, h = _variance(y, bc, mu, omega, alpha, beta)
    ll = -0.5 * np.log(h) - (nu + 1) / 2 * np.log1p(e * e / (h * (nu - 2)))
    return ll.sum(axis=0) + y.shape[0] * _student_constant(nu)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(K,)`` sums over days of ``a * b`` (both ``(T, K)``), without a temporary."""
    return np.einsum("tk,tk->k", a, b)


def _derivatives(y: np.ndarray, bc: np.ndarray, x: np.ndarray):
    """Mean negative log-likelihood, its gradient ``(K, 5)`` and Hessian ``(K, 5, 5)`` in ``x``.

    Order of parameters: mu, omega, alpha, beta, nu. The variance derivatives follow
    :math:`\\partial h_t = x_t + \\beta \\, \\partial h_{t-1}` with inputs from the order below;
    arrays are laid out (day, component, series) so each component is a contiguous (T, K) block.
    """
    t_len, k = y.shape
    mu, omega, alpha, beta, nu = _theta(x)
    e = y - mu
    e2 = e * e
    h = linear_recursion(omega + alpha * _lagged(e2, bc), beta, bc)
    # First derivatives of h in (mu, omega, alpha, beta); the backcast does not move with mu.
    x1 = np.empty((t_len, 4, k))
    x1[0, 0] = 0.0
    np.multiply(e[:-1], -2.0 * alpha, out=x1[1:, 0])
    x1[:, 1] = 1.0
    x1[0, 2] = x1[0, 3] = bc
    x1[1:, 2] = e2[:-1]
    x1[1:, 3] = h[:-1]
    g = linear_recursion(x1, beta)
    # Nonzero second derivatives: (omega,beta), (alpha,beta), (alpha,mu), (beta,beta), (beta,mu), (mu,mu).
    x2 = np.empty((t_len, 6, k))
    x2[0] = 0.0
    x2[1:, 0] = g[:-1, 1]
    x2[1:, 1] = g[:-1, 2]
    np.multiply(e[:-1], -2.0, out=x2[1:, 2])
    np.multiply(g[:-1, 3], 2.0, out=x2[1:, 3])
    x2[1:, 4] = g[:-1, 0]
    x2[1:, 5] = 2.0 * alpha
    h2 = linear_recursion(x2, beta)

    n2 = nu - 2.0
    kk = (nu + 1) / 2
    inv_h = 1.0 / h
    u = e2 * inv_h / n2
    inv_q = 1.0 / (1.0 + u)
    w = u * inv_q
    log_inv_q = np.log(inv_q)
    eiq = e * inv_h * inv_q  # e / (h q)
    l_h = inv_h * (kk * w - 0.5)
    l_e = (-2.0 * kk / n2) * eiq
    uq2 = w * (2.0 + u) * inv_q
    l_hh = inv_h * inv_h * (0.5 - kk * uq2)
    l_he = (2.0 * kk / n2) * eiq * inv_h * inv_q
    l_ee = (-2.0 * kk / n2) * inv_h * inv_q * (1.0 - 2.0 * w)
    l_hn = inv_h * w * (0.5 - kk / n2 * inv_q)
    l_en = (2.0 / n2) * eiq * (kk / n2 * inv_q - 0.5)

    c1 = 0.5 * special.digamma((nu + 1) / 2) - 0.5 * special.digamma(nu / 2) - 0.5 / n2
    c2 = 0.25 * special.polygamma(1, (nu + 1) / 2) - 0.25 * special.polygamma(1, nu / 2) + 0.5 / n2**2
    sum_w = w.sum(axis=0)
    grad = np.empty((k, 5))
    hess = np.empty((k, 5, 5))
    for a in range(4):
        grad[:, a] = _dot(l_h, g[:, a])
        hess[:, a, 4] = hess[:, 4, a] = _dot(l_hn, g[:, a])
        lg = l_hh * g[:, a]
        for b in range(a, 4):
            hess[:, a, b] = hess[:, b, a] = _dot(lg, g[:, b])
    grad[:, 0] -= l_e.sum(axis=0)  # e_mu = -1
    grad[:, 4] = 0.5 * log_inv_q.sum(axis=0) + kk / n2 * sum_w + t_len * c1
    for col, (a, b) in enumerate(((1, 3), (2, 3), (2, 0), (3, 3), (3, 0), (0, 0))):
        v = _dot(l_h, h2[:, col])
        hess[:, a, b] += v
        if a != b:
            hess[:, b, a] += v
    for a in range(4):  # l_he * (g_a e_mu + g_mu e_a) with e_mu = -1
        v = _dot(l_he, g[:, a])
        hess[:, a, 0] -= v
        hess[:, 0, a] -= v
    hess[:, 0, 0] += l_ee.sum(axis=0)
    v = l_en.sum(axis=0)
    hess[:, 0, 4] -= v
    hess[:, 4, 0] -= v
    hess[:, 4, 4] = t_len * c2 + sum_w / n2 - kk / n2**2 * uq2.sum(axis=0)
    grad_x, hess_x = _to_box(x, grad, hess)
    ll = -0.5 * np.log(h).sum(axis=0) + kk * log_inv_q.sum(axis=0) + t_len * _student_constant(nu)
    return -ll / t_len, -grad_x / t_len, -hess_x / t_len


def _to_box(x: np.ndarray, grad: np.ndarray, hess: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chain rule from (mu, omega, alpha, beta, nu) to ``x``: ``J' g`` and ``J' H J + sum_i g_i d2theta_i/dx2``
    (only :math:`\\partial^2\\alpha / \\partial p \\partial s = 1 = -\\partial^2\\beta / \\partial p \\partial s` are nonzero)."""
    k = x.shape[0]
    p, s = x[:, 2], x[:, 3]
    jac = np.zeros((k, 5, 5))
    jac[:, 0, 0] = jac[:, 1, 1] = jac[:, 4, 4] = 1.0
    jac[:, 2, 2], jac[:, 2, 3] = s, p
    jac[:, 3, 2], jac[:, 3, 3] = 1.0 - s, -p
    grad_x = np.einsum("kij,ki->kj", jac, grad)
    hess_x = jac.transpose(0, 2, 1) @ hess @ jac
    cross = grad[:, 2] - grad[:, 3]
    hess_x[:, 2, 3] += cross
    hess_x[:, 3, 2] += cross
    return grad_x, hess_x


def _starting_values(y: np.ndarray, bc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """arch's start, the best of its grid (alpha, alpha + beta) in {0.01, 0.05, 0.1, 0.2} x
    {0.5, 0.7, 0.9, 0.98} by Gaussian likelihood (mean = sample mean, nu from the kurtosis of the
    standardized residuals), and a second start at alpha = beta = 0.45, nu = 4."""
    k = y.shape[1]
    mu = y.mean(axis=0)
    e = y - mu
    target = np.mean(e * e, axis=0)
    e2lag = _lagged(e * e, bc)
    best = np.full(k, -np.inf)
    start = np.zeros((k, 3))
    best_h = np.ones_like(y)
    for alpha in (0.01, 0.05, 0.1, 0.2):
        for persistence in (0.5, 0.7, 0.9, 0.98):
            beta = persistence - alpha
            omega = (1.0 - persistence) * target
            h, _ = signal.lfilter([1.0], [1.0, -beta], omega + alpha * e2lag, axis=0, zi=(beta * bc)[None, :])
            ll = -0.5 * np.sum(np.log(h) + e * e / h, axis=0)
            better = ll > best
            best[better] = ll[better]
            start[better] = np.column_stack([omega, np.full(k, alpha), np.full(k, beta)])[better]
            best_h[:, better] = h[:, better]
    z = e / np.sqrt(best_h)
    zc = z - z.mean(axis=0)
    kurt = np.mean(zc**4, axis=0) / np.mean(zc**2, axis=0) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        nu = np.maximum(np.where(kurt > 3.75, (4 * kurt - 6) / (kurt - 3), 12.0), 4.0)
    p = start[:, 1] + start[:, 2]
    grid = np.column_stack([mu, start[:, 0], p, start[:, 1] / p, nu])
    # The likelihood can have a second mode with a large alpha (news-driven series): start there too.
    alt_p, alt_s = 0.9, 0.5
    alt = np.column_stack([mu, (1.0 - alt_p) * target, np.full(k, alt_p), np.full(k, alt_s), np.full(k, 4.0)])
    return grid, alt


def _capped(step: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The step shortened (direction kept) so no coordinate moves further than :data:`MAX_MOVE`
    (far from the optimum a Newton step can leap across the whole box)."""
    limit = np.column_stack(
        [
            np.full(len(x), MAX_MOVE[0]),
            np.maximum(x[:, 1], 0.05),
            *(np.full(len(x), m) for m in MAX_MOVE[2:4]),
            np.maximum(x[:, 4] / 2, 1.0),
        ]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.nanmin(np.where(step != 0, limit / np.abs(step), np.inf), axis=1)
    return step * np.minimum(1.0, ratio)[:, None]


def _newton(
    y: np.ndarray, bc: np.ndarray, x: np.ndarray, max_iterations: int = MAX_ITERATIONS
) -> tuple[np.ndarray, np.ndarray]:
    """Projected Newton (Bertsekas 1982) on every series until each converges; returns (x, converged).

    A coordinate on a bound whose gradient points out of the box is held there; the others take a
    Newton step on the exact Hessian (absolute eigenvalues, so the step descends where the Hessian
    is indefinite), capped in length, projected on the box and backtracked until Armijo's rule
    accepts it; a series where no length is accepted is damped (Levenberg-Marquardt) next time.
    Optima on a bound (alpha = 0, alpha + beta = 1) are reached exactly in a few steps.
    """
    t_len, k = y.shape
    x = x.copy()
    lo, hi = _box(k)
    converged = np.zeros(k, dtype=bool)
    damping = np.zeros(k)
    active = np.arange(k)
    f, grad, hess = _derivatives(y, bc, x)
    checkpoint = f.copy()
    for it in range(1, max_iterations + 1):
        xa, la, ha = x[active], lo[active], hi[active]
        # Bertsekas' epsilon-active set: near a bound with the gradient pointing out of the box.
        eps = np.minimum(EPS_ACTIVE, np.linalg.norm(xa - np.clip(xa - grad, la, ha), axis=1))[:, None]
        to_lo = (xa - la <= eps) & (grad > 0)
        to_hi = (ha - xa <= eps) & (grad < 0)
        held = to_lo | to_hi
        g = np.where(held, 0.0, grad)
        d, v = np.linalg.eigh(np.where(held[:, :, None] | held[:, None, :], 0.0, hess) + held[:, :, None] * np.eye(5))
        scale = np.maximum(np.abs(d).max(axis=1, keepdims=True), 1e-300)
        d = np.maximum(np.abs(d), 1e-15 * scale) + damping[active, None] * scale
        newton = -np.einsum("kij,kj,klj,kl->ki", v, 1.0 / d, v, g)
        newton = np.where(to_lo, la - xa, np.where(to_hi, ha - xa, newton))  # held ones go onto their bound
        at_optimum = ~(-np.einsum("ki,ki->k", grad, newton) > TOLERANCE)  # Newton decrement
        step = _capped(newton, xa)
        accept = np.zeros(len(active), dtype=bool)
        gain = np.zeros(len(active))
        for length in STEP_LENGTHS:
            todo = np.flatnonzero(~accept & ~at_optimum)
            if todo.size == 0:
                break
            trial = np.clip(xa[todo] + length * step[todo], la[todo], ha[todo])
            decrease = np.maximum(-np.einsum("ki,ki->k", grad[todo], trial - xa[todo]), 0.0)
            with np.errstate(all="ignore"):
                f_trial = -_loglik(y[:, active[todo]], bc[active[todo]], _theta(trial)) / t_len
            ok = np.isfinite(f_trial) & (f_trial <= f[todo] - 1e-4 * decrease)
            x[active[todo[ok]]] = trial[ok]
            gain[todo[ok]] = f[todo[ok]] - f_trial[ok]
            accept[todo[ok]] = True
        damping[active[accept]] /= 4.0
        damp = ~accept & ~at_optimum
        damping[active[damp]] = np.maximum(damping[active[damp]] * 8.0, 1e-3)
        stop = at_optimum | (accept & (gain * t_len < STALL)) | (damping[active] > 1e8)
        if it % 5 == 0:  # five steps gained less than arch's own stopping tolerance
            stop |= (checkpoint[active] - f) * t_len < ARCH_FTOL
            checkpoint[active] = f
        converged[active[stop]] = True
        moved = accept & ~stop
        if moved.any():
            f[moved], grad[moved], hess[moved] = _derivatives(y[:, active[moved]], bc[active[moved]], x[active[moved]])
        keep = ~stop
        active, f, grad, hess = active[keep], f[keep], grad[keep], hess[keep]
        if active.size == 0:
            break
    return x, converged


def _solve(y: np.ndarray, bc: np.ndarray, second_start: bool) -> tuple[np.ndarray, np.ndarray]:
    """The optimum from arch's start, or the better of it and the high-alpha start's.

    The second start is probed for :data:`PROBE_ITERATIONS` steps and followed to its optimum only
    where it is already below the first optimum's value (the modes seen differ by about one unit
    of log-likelihood, which a probe from the other basin crosses in three steps)."""
    grid, alt = _starting_values(y, bc)
    x, converged = _newton(y, bc, grid)
    if not second_start:
        return x, converged
    probe, _ = _newton(y, bc, alt, max_iterations=PROBE_ITERATIONS)
    with np.errstate(all="ignore"):
        first = _loglik(y, bc, _theta(x))
        better = _loglik(y, bc, _theta(probe)) > first
    if better.any():
        idx = np.flatnonzero(better)
        x2, conv2 = _newton(y[:, idx], bc[idx], probe[idx])
        with np.errstate(all="ignore"):
            keep = conv2 & (_loglik(y[:, idx], bc[idx], _theta(x2)) > first[idx])
        x[idx[keep]] = x2[keep]
        converged[idx[keep]] = True
    return x, converged


def _optimum(y: np.ndarray, bc: np.ndarray, second_start: bool) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_solve` on column blocks in :data:`WORKERS` threads (numpy releases the GIL in its
    array loops; series are independent, so the result does not depend on the split)."""
    k = y.shape[1]
    if WORKERS < 2 or k < 2 * PARALLEL_MIN_SERIES:
        return _solve(y, bc, second_start)
    blocks = np.array_split(np.arange(k), WORKERS)
    with ThreadPoolExecutor(WORKERS) as pool:
        parts = list(pool.map(lambda idx: _solve(y[:, idx], bc[idx], second_start), blocks))
    return np.vstack([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def fit_garch(returns, second_start: bool = True) -> GarchFit:
    """Fit GARCH(1,1)-t (constant mean) to every column of ``returns``.

    Parameters
    ----------
    returns : np.ndarray
        ``(T, K)`` daily simple returns, decimal. A column with a NaN, fewer than
        :data:`MIN_GARCH_OBS` returns or zero variance is not fitted (NaN parameters, a reason).
    second_start : bool
        Also start from alpha = beta = 0.45 and keep the better optimum (the likelihood can have a
        second mode with a large alpha); False halves the work and starts from arch's grid only.

    Returns
    -------
    GarchFit
    """
    r = np.asarray(returns, dtype=np.float64)
    if r.ndim != 2:
        raise ValueError(f"returns must be 2-D (T, K), got shape {r.shape}")
    t_len, k = r.shape
    reasons = np.full(k, None, dtype=object)
    if t_len < MIN_GARCH_OBS:
        reasons[:] = f"GARCH(1,1) needs {MIN_GARCH_OBS} returns, {t_len} available"
    else:
        with np.errstate(invalid="ignore"):
            reasons[np.isnan(r).any(axis=0)] = "has no returns over part of the fit window"
            flat = ~(np.nanstd(r, axis=0) > 1e-12 * np.maximum(np.nanmax(np.abs(r), axis=0), 1e-300))
        reasons[flat & (reasons == None)] = "zero variance: nothing for GARCH to fit"  # noqa: E711
    ok = reasons == None  # noqa: E711
    nan = np.full(k, np.nan)
    params = [nan.copy() for _ in range(6)]
    sigma2 = np.full((t_len, k), np.nan)
    resid = np.full((t_len, k), np.nan)
    bc_all = nan.copy()
    if ok.any():
        # Fit on returns scaled to unit variance (the likelihood's optimum is scale-equivariant),
        # so one tolerance fits stablecoins and small caps alike.
        sub = r[:, ok]
        scale = sub.std(axis=0)
        y = sub / scale
        bc = backcast((sub - sub.mean(axis=0)) / scale)
        x, converged = _optimum(y, bc, second_start)
        mu, omega, alpha, beta, nu = _theta(x)
        loglik = _loglik(y, bc, (mu, omega, alpha, beta, nu)) - t_len * np.log(scale)
        e, h = _variance(y, bc, mu, omega, alpha, beta)
        idx = np.flatnonzero(ok)
        for arr, val in zip(params, (mu * scale, omega * scale**2, alpha, beta, nu, loglik), strict=True):
            arr[idx] = val
        bc_all[idx] = bc * scale**2
        sigma2[:, idx] = h * scale**2
        resid[:, idx] = e * scale
        bad = idx[~converged | ~np.isfinite(loglik)]
        reasons[bad] = f"GARCH(1,1) fit did not converge in {MAX_ITERATIONS} iterations"
        for arr in (*params, bc_all):
            arr[bad] = np.nan
        sigma2[:, bad] = np.nan
        resid[:, bad] = np.nan
    mu, omega, alpha, beta, nu, loglik = params
    return GarchFit(mu, omega, alpha, beta, nu, loglik, bc_all, sigma2, resid, reasons)
