"""Drawdowns: the series, the maximum, its duration and the current drawdown (start capital included)."""

from __future__ import annotations

import numpy as np

from assets.metrics._arrays import as_2d, restore
from assets.metrics.rolling import sliding


def _wealth(r: np.ndarray) -> np.ndarray:
    """Wealth index ``(T + 1, N)`` starting at 1 (the start capital row is the running-peak anchor)."""
    wealth = np.empty((r.shape[0] + 1, r.shape[1]))
    wealth[0] = 1.0
    np.cumprod(1.0 + r, axis=0, out=wealth[1:])
    return wealth


def drawdown_series(returns):
    """Drawdown after each return, relative to the running peak including the start capital.

    .. math:: W_t = \\prod_{s \\le t} (1 + r_s), \\; W_0 = 1, \\quad DD_t = W_t / \\max_{s \\le t} W_s - 1

    Equals ``empyrical.drawdown_series(r)`` (an ndarray without the anchor row).

    Returns
    -------
    np.ndarray
        ``(T,)`` or ``(T, N)``, decimal, <= 0.
    """
    r, one = as_2d(returns)
    wealth = _wealth(r)
    peak = np.fmax.accumulate(wealth, axis=0)
    dd = (wealth - peak) / peak
    return dd[1:, 0] if one else dd[1:]


def max_drawdown(returns):
    """Maximum drawdown: the most negative :func:`drawdown_series` value.

    Equals ``empyrical.max_drawdown(r)``; negative fraction (``-0.5`` is a 50% fall from a peak).
    NaN for empty input; a column containing NaN gives NaN.
    """
    r, one = as_2d(returns)
    if r.shape[0] < 1:
        return restore(np.full(r.shape[1], np.nan), one)
    dd = drawdown_series(r)
    out = np.min(dd, axis=0)
    return restore(out, one)


def current_drawdown(returns):
    """Drawdown on the last day: :math:`W_T / \\max_{s \\le T} W_s - 1` (0 at a new high)."""
    r, one = as_2d(returns)
    if r.shape[0] < 1:
        return restore(np.full(r.shape[1], np.nan), one)
    return restore(drawdown_series(r)[-1], one)


def max_drawdown_duration(returns):
    """Longest time under water, in periods (days): from a peak to the first full recovery.

    A drawdown still open on the last day counts up to that day. 0 when the value never fell
    below a previous peak.

    .. math:: D = \\max_t \\; (t - \\max\\{s \\le t : DD_s = 0\\})

    Returns
    -------
    float or np.ndarray
        Days (float so that a NaN column can say "undefined").
    """
    r, one = as_2d(returns)
    if r.shape[0] < 1:
        return restore(np.full(r.shape[1], np.nan), one)
    wealth = _wealth(r)
    peak = np.fmax.accumulate(wealth, axis=0)
    at_peak = wealth >= peak
    idx = np.arange(wealth.shape[0])[:, None]
    last_peak = np.maximum.accumulate(np.where(at_peak, idx, 0), axis=0)
    out = np.max(idx - last_peak, axis=0).astype(np.float64)
    out[np.isnan(r).any(axis=0)] = np.nan
    return restore(out, one)


def roll_max_drawdown(returns, window: int, chunk: int = 256):
    """:func:`max_drawdown` of every trailing ``window`` (equals ``empyrical.roll_max_drawdown``).

    Costs O(T * window) per column (each window restarts its wealth index); ``chunk`` windows are
    evaluated at a time to bound memory.
    """
    r, one = as_2d(returns)
    window = min(int(window), r.shape[0])
    if window < 1:
        return restore(np.empty((0, r.shape[1])), one)
    views = sliding(r, window)
    out = np.empty((views.shape[0], r.shape[1]))
    for start in range(0, views.shape[0], chunk):
        block = views[start : start + chunk]
        wealth = np.cumprod(1.0 + block, axis=1)
        peak = np.maximum(np.maximum.accumulate(wealth, axis=1), 1.0)
        out[start : start + chunk] = np.min(np.minimum((wealth - peak) / peak, 0.0), axis=1)
    return restore(out, one)
