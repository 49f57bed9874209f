"""First-order linear recursions over time, for many series with their own coefficient at once.

GARCH variances and their derivatives all follow :math:`h_t = c_t + \\beta h_{t-1}` with one
:math:`\\beta` per series. Time runs on axis 0 and every step is two in-place numpy calls over all
series, so the Python loop costs a few microseconds a day however many series there are
(scipy's ``lfilter`` would need one coefficient for all of them).
"""

from __future__ import annotations

import numpy as np


def linear_recursion(c: np.ndarray, beta: np.ndarray, initial=0.0) -> np.ndarray:
    """Solve :math:`h_t = c_t + \\beta h_{t-1}` for every series, with :math:`h_{-1}` = ``initial``.

    .. math:: h_t = \\sum_{s=0}^{t} \\beta^{t-s} c_s + \\beta^{t+1} h_{-1}

    Parameters
    ----------
    c : np.ndarray
        ``(T, ...)``: inputs per day, such as ``(T, K)`` for ``K`` series or ``(T, m, K)`` for ``m``
        recursions per series sharing its coefficient (a variance and its derivatives).
    beta : np.ndarray
        Coefficients, broadcastable to ``c[0]`` (``(K,)`` for series on the last axis).
    initial : float or np.ndarray
        :math:`h_{-1}`, broadcastable to ``c[0]``.

    Returns
    -------
    np.ndarray
        ``h``, shape of ``c``.
    """
    c = np.asarray(c, dtype=np.float64)
    b = np.asarray(beta, dtype=np.float64)
    out = np.empty_like(c)
    if c.shape[0] == 0:
        return out
    np.multiply(np.broadcast_to(np.asarray(initial, dtype=np.float64), c.shape[1:]), b, out=out[0])
    out[0] += c[0]
    for t in range(1, c.shape[0]):
        np.multiply(out[t - 1], b, out=out[t])
        out[t] += c[t]
    return out
