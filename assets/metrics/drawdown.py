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


def drawdown_episode(returns) -> tuple[np.ndarray, np.ndarray]:
    """Duration of the deepest drawdown and its time to recovery, in days.

    The episode containing the maximum drawdown's trough (the first, on ties) runs from its first
    day under water to the day before the value is back at its previous peak, or to the last day
    if it never gets back. Its duration is quantstats' ``drawdown_details(...)["days"]`` of that
    episode; the time to recovery counts from the trough to the first day back at the peak.

    Returns
    -------
    (duration_days, recovery_days) : ``(N,)`` float arrays (or floats for 1-D input)
        0 and 0 without a drawdown; recovery NaN while the drawdown is still open, and both NaN
        for a column containing NaN.
    """
    r, one = as_2d(returns)
    t, n = r.shape
    if t < 1:
        nan = np.full(n, np.nan)
        return restore(nan, one), restore(nan.copy(), one)
    dd = drawdown_series(r)
    under = dd < 0
    trough = np.argmin(dd, axis=0)
    idx = np.arange(t)[:, None]
    last_above = np.maximum.accumulate(np.where(~under, idx, -1), axis=0)
    next_above = np.minimum.accumulate(np.where(~under, idx, t)[::-1], axis=0)[::-1]
    cols = np.arange(n)
    start = last_above[trough, cols] + 1
    back = next_above[trough, cols]
    duration = (np.minimum(back, t) - start).astype(np.float64)
    recovery = np.where(back < t, back - trough, np.nan).astype(np.float64)
    flat = ~under[trough, cols]
    duration[flat] = 0.0
    recovery[flat] = 0.0
    bad = np.isnan(r).any(axis=0)
    duration[bad] = np.nan
    recovery[bad] = np.nan
    return restore(duration, one), restore(recovery, one)


def ulcer_index(returns):
    """Ulcer index (Martin 1987): the root mean square of the drawdown series.

    .. math:: UI = \\sqrt{\\frac{1}{T-1} \\sum_t DD_t^2}

    (quantstats' ``ulcer_index``: its denominator is T - 1). Decimal; NaN with fewer than 2
    returns or a NaN.
    """
    r, one = as_2d(returns)
    if r.shape[0] < 2:
        return restore(np.full(r.shape[1], np.nan), one)
    dd = drawdown_series(r)
    return restore(np.sqrt(np.sum(dd * dd, axis=0) / (r.shape[0] - 1)), one)
