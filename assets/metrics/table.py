"""Metric tables: one float array per metric over many series, with a reason for every null."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MetricTable:
    """Metrics of many series (assets or portfolios), column-aligned with ``names``.

    Attributes
    ----------
    names : tuple[str, ...]
        Series names (symbols or portfolio ids).
    values : dict[str, np.ndarray]
        Metric key -> ``(M,)`` float64; NaN where not computable.
    null_reasons : dict[str, np.ndarray]
        Metric key -> ``(M,)`` object array: a reason string wherever ``values`` is NaN, else None.
    """

    names: tuple[str, ...]
    values: dict[str, np.ndarray]
    null_reasons: dict[str, np.ndarray]

    def record(self, i: int) -> dict:
        """Series ``i`` as JSON-ready ``{key: float | None, ..., "null_reasons": {key: reason}}``."""
        out: dict = {}
        reasons: dict[str, str] = {}
        for key, arr in self.values.items():
            v = float(arr[i])
            out[key] = v if np.isfinite(v) else None
            if out[key] is None:
                reasons[key] = self.null_reasons[key][i] or "not computable"
        out["null_reasons"] = reasons
        return out

    def records(self) -> dict[str, dict]:
        """Every series by name (see :meth:`record`)."""
        return {name: self.record(i) for i, name in enumerate(self.names)}


class TableBuilder:
    """Collects metric arrays and explains their NaNs, first matching reason winning."""

    def __init__(self, names) -> None:
        self.names = tuple(names)
        self.values: dict[str, np.ndarray] = {}
        self.reasons: dict[str, np.ndarray] = {}

    def add(self, key: str, values, *explanations: tuple[np.ndarray | bool, str | np.ndarray]) -> None:
        """Add metric ``key``; each ``(mask, reason)`` explains the NaNs where ``mask`` is true.

        ``reason`` is a string or a per-series array of strings. Finite values never get a reason
        and a NaN no mask explains gets ``"not computable"``.
        """
        m = len(self.names)
        arr = np.array(np.broadcast_to(np.asarray(values, dtype=np.float64), (m,)))
        arr[~np.isfinite(arr)] = np.nan
        reasons = np.full(m, None, dtype=object)
        missing = np.isnan(arr)
        for mask, reason in explanations:
            take = missing & np.broadcast_to(np.asarray(mask, dtype=bool), (m,)) & (reasons == None)  # noqa: E711
            if take.any():
                reasons[take] = reason if isinstance(reason, str) else np.asarray(reason, dtype=object)[take]
        reasons[missing & (reasons == None)] = "not computable"  # noqa: E711
        self.values[key] = arr
        self.reasons[key] = reasons

    def build(self) -> MetricTable:
        return MetricTable(names=self.names, values=self.values, null_reasons=self.reasons)
