"""Shape helpers shared by the metric modules: compute on 2-D, give back what came in."""

from __future__ import annotations

import numpy as np


def as_2d(returns) -> tuple[np.ndarray, bool]:
    """``(T, N)`` float64 view of 1-D or 2-D input, and whether the input was 1-D."""
    arr = np.asarray(returns, dtype=np.float64)
    if arr.ndim == 1:
        return arr[:, None], True
    if arr.ndim != 2:
        raise ValueError(f"returns must be 1-D (T,) or 2-D (T, N), got shape {arr.shape}")
    return arr, False


def restore(values: np.ndarray, was_1d: bool):
    """A float for 1-D input, the array otherwise (the 1-D leading axis of rolling results kept)."""
    if not was_1d:
        return values
    if values.ndim == 1:
        return float(values[0])
    return values[:, 0]


def moving_columns(r: np.ndarray) -> np.ndarray:
    """Columns without NaN whose values are not all equal (those a model can be fitted on)."""
    with np.errstate(invalid="ignore"):
        return ~np.isnan(r).any(axis=0) & (np.max(r, axis=0) != np.min(r, axis=0))
