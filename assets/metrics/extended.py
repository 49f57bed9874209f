"""The extended metric set of many series: drawdown shape, Calmar / Ulcer / Omega, correlation to
the benchmark, and the model values of :mod:`assets.metrics.models`, as metric tables with a
reason for every null (the window metrics' conventions, see :func:`assets.metrics.engine.series_metrics`).
"""

from __future__ import annotations

import numpy as np

from assets.metrics.constants import CORRELATION_DAYS
from assets.metrics.dependence import roll_correlation
from assets.metrics.drawdown import drawdown_episode, ulcer_index
from assets.metrics.models import SeriesModels, model_keys
from assets.metrics.ratios import calmar_ratio, omega_ratio
from assets.metrics.table import MetricTable, TableBuilder

#: Keys of :func:`extended_metrics` (the ratios and drawdown shape of the window).
EXTENDED_KEYS: tuple[str, ...] = (
    "calmar",
    "omega",
    "ulcer_index",
    "drawdown_duration_days",
    "time_to_recovery_days",
    "correlation_btc_30d",
)


def extended_metrics(
    rw: np.ndarray,
    names,
    late_reason: tuple[np.ndarray, np.ndarray | str],
    *,
    risk_free: float,
    benchmark_name: str,
    benchmark_returns: np.ndarray | None,
    benchmark_reason: str | None,
) -> MetricTable:
    """:data:`EXTENDED_KEYS` of each column of the window returns ``rw`` ``(W, M)``.

    ``late_reason`` is the ``(mask, reason)`` of series with NaN returns inside the window;
    ``benchmark_returns`` the benchmark's window returns (None with ``benchmark_reason``).
    """
    tb = TableBuilder(names)
    tb.add("calmar", calmar_ratio(rw), late_reason, (True, "no drawdown in the window: Calmar is undefined"))
    tb.add(
        "omega",
        omega_ratio(rw, risk_free),
        late_reason,
        (True, "no return below the risk-free rate in the window: Omega is undefined"),
    )
    tb.add("ulcer_index", ulcer_index(rw), late_reason)
    duration, recovery = drawdown_episode(rw)
    tb.add("drawdown_duration_days", duration, late_reason)
    tb.add("time_to_recovery_days", recovery, late_reason, (True, "not recovered: still in its deepest drawdown"))
    tb.add(
        "correlation_btc_30d", *_correlation_btc(rw, benchmark_name, benchmark_returns, benchmark_reason, late_reason)
    )
    return tb.build()


def _correlation_btc(rw, name, bench, bench_reason, late_reason):
    days = CORRELATION_DAYS
    m = rw.shape[1]
    if bench is None:
        return np.full(m, np.nan), (True, bench_reason or "no benchmark given")
    if rw.shape[0] < days:
        return np.full(m, np.nan), (True, f"needs {days} returns, {rw.shape[0]} in the window")
    recent, f = rw[-days:], np.asarray(bench, dtype=np.float64)[-days:]
    if np.isnan(f).any():
        return np.full(m, np.nan), (True, f"benchmark {name} has no returns over part of the last {days} days")
    rho = roll_correlation(recent, f, days)[-1]
    return rho, late_reason, (True, f"no variance over the last {days} days (the series' or {name}'s)")


def model_table(models: SeriesModels, names, late_reason, mc_values: dict, mc_reasons: dict) -> MetricTable:
    """The model keys (:func:`assets.metrics.models.model_keys`) of the series as a metric table."""
    tb = TableBuilder(names)
    for key in model_keys():
        if key in models.values:
            tb.add(key, models.values[key], late_reason, (True, _why(models.reasons[key], len(tb.names))))
        else:
            tb.add(key, mc_values[key], late_reason, (True, _why(mc_reasons[key], len(tb.names))))
    return tb.build()


def _why(reasons: np.ndarray, m: int) -> np.ndarray:
    out = np.array(reasons, dtype=object)
    out[out == None] = "not computable"  # noqa: E711
    return np.broadcast_to(out, (m,))
