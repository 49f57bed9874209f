"""Trailing-window reductions in O(T) per column, exact to a few ulps.

Windows of length ``n`` are split into aligned blocks of ``n`` rows; every window is a suffix of
one block plus a prefix of the next (van Herk / Gil-Werman). Sums therefore accumulate over at most
``2n`` values, never over the whole history, which keeps ``sum(x**2) - sum(x)**2 / n`` accurate even
when a calm window follows a volatile one. A NaN makes exactly the windows containing it NaN.
"""

from __future__ import annotations

import numpy as np

# Neutral element of each reduction, written into the rows that complete the last block.
_PAD = {np.add: 0.0, np.maximum: -np.inf, np.minimum: np.inf}


def rolling_reduce(x: np.ndarray, window: int, ufunc: np.ufunc = np.add) -> np.ndarray:
    """Reduce every trailing window of ``window`` rows with an associative ``ufunc``.

    Parameters
    ----------
    x : np.ndarray
        ``(T, ...)``.
    window : int
        Rows per window, ``1 <= window <= T``.
    ufunc : np.ufunc
        ``np.add``, ``np.maximum`` or ``np.minimum``.

    Returns
    -------
    np.ndarray
        ``(T - window + 1, ...)``; row ``i`` reduces ``x[i : i + window]``.
    """
    x = np.asarray(x, dtype=np.float64)
    t_len, n = x.shape[0], int(window)
    if not 1 <= n <= t_len:
        raise ValueError(f"window must be in [1, {t_len}], got {window}")
    blocks = -(-t_len // n)
    padded = np.empty((blocks * n,) + x.shape[1:])
    padded[:t_len] = x
    padded[t_len:] = _PAD[ufunc]
    shaped = padded.reshape((blocks, n) + x.shape[1:])
    suffix = ufunc.accumulate(shaped[:, ::-1], axis=1)[:, ::-1].reshape(padded.shape)
    prefix = ufunc.accumulate(shaped, axis=1)
    # A window starting on a block boundary is that whole block (its suffix alone): blank the
    # block-end prefixes it would otherwise add.
    prefix[:, -1] = _PAD[ufunc]
    prefix = prefix.reshape(padded.shape)
    return ufunc(suffix[: t_len - n + 1], prefix[n - 1 : t_len])


def rolling_mean_var(x: np.ndarray, window: int, ddof: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Trailing-window mean and variance (``ddof`` as in ``np.var``) along axis 0.

    .. math:: \\bar x = S_1 / n, \\quad s^2 = (S_2 - S_1^2 / n) / (n - \\mathrm{ddof})

    on data centred by the column mean, with :math:`S_k = \\sum x^k` over the window.
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        centre = np.nanmean(x, axis=0) if x.size else 0.0
    centre = np.where(np.isfinite(centre), centre, 0.0)
    y = x - centre
    s1 = rolling_reduce(y, window)
    s2 = rolling_reduce(y * y, window)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.maximum(s2 - s1 * s1 / window, 0.0) / (window - ddof)
    return s1 / window + centre, var


def rolling_constant(x: np.ndarray, window: int) -> np.ndarray:
    """True where every value of a trailing window is equal (zero dispersion, exactly)."""
    return rolling_reduce(x, window, np.maximum) == rolling_reduce(x, window, np.minimum)


def sliding(x: np.ndarray, window: int) -> np.ndarray:
    """Read-only view ``(T - window + 1, window, ...)`` of every trailing window (time on axis 1)."""
    x = np.asarray(x, dtype=np.float64)
    view = np.lib.stride_tricks.sliding_window_view(x, window, axis=0)
    return np.moveaxis(view, -1, 1)
