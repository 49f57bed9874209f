"""Ex-post risk measured on the time-weighted return index, not on account value.

Deposits look like recoveries and withdrawals like losses on the account's value, so its drawdown
understates (or invents) risk; the time-weighted index removes external flows and shows what the
holdings did. This is what the portfolio *did*; the risk engine's current-holdings metrics say what
today's holdings *would* have done. Volatility is annualized (365), drawdown a negative fraction
with the start included (empyrical's convention, as in :mod:`assets.metrics.drawdown`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from assets.metrics.drawdown import max_drawdown, max_drawdown_duration
from assets.metrics.volatility import annual_volatility

#: What these figures measure, said once for every reader of the document.
MEASURES = (
    "time-weighted return index of the ledger (external flows removed): the risk the holdings "
    "actually took, unlike the current-holdings risk report"
)


@dataclass(frozen=True)
class ExPostRisk:
    """Risk of the daily time-weighted returns of one period (NaN / None with reasons)."""

    days: int
    volatility: float
    max_drawdown: float
    drawdown_days: float
    longest_drawdown_days: float
    peak: dt.date | None
    trough: dt.date | None
    recovery: dt.date | None
    reasons: dict[str, str]


def ex_post_risk(daily: np.ndarray, first_day: dt.date) -> ExPostRisk:
    """Volatility and the maximum drawdown's episode of daily returns starting on ``first_day``.

    The drawdown episode runs from the peak before the deepest trough to the first day the index is
    back at that peak (``recovery``, None while still under water). Its duration counts the days
    spent below the peak (to the last day when not recovered), as
    :func:`assets.metrics.drawdown.max_drawdown_duration` counts the longest such spell. Wealth index
    0 is the start of ``first_day``; the peak date is the day whose close it is (the day before
    ``first_day`` when the peak is the start).
    """
    r = np.asarray(daily, dtype=np.float64)
    reasons: dict[str, str] = {}
    n = r.size
    if np.isnan(r).any() or not n:
        why = "the time-weighted return is not defined on every day of the period" if n else "no days"
        keys = ("volatility", "max_drawdown", "drawdown_days", "longest_drawdown_days", "peak", "trough", "recovery")
        return ExPostRisk(n, math.nan, math.nan, math.nan, math.nan, None, None, None, dict.fromkeys(keys, why))
    vol = float(annual_volatility(r))
    if not np.isfinite(vol):
        reasons["volatility"] = "needs at least 2 daily returns"
    mdd = float(max_drawdown(r))
    wealth = np.concatenate([[1.0], np.cumprod(1.0 + r)])
    dd = wealth / np.maximum.accumulate(wealth) - 1.0
    trough = int(np.argmin(dd))

    def date(k: int) -> dt.date:
        return first_day + dt.timedelta(days=k - 1)

    if dd[trough] >= 0:
        reasons.update(dict.fromkeys(("peak", "trough", "recovery"), "the index never fell below a previous high"))
        return ExPostRisk(n, vol, mdd, 0.0, 0.0, None, None, None, reasons)
    peak = int(np.argmax(wealth[: trough + 1]))
    after = np.flatnonzero(wealth[trough:] >= wealth[peak])
    recovery = trough + int(after[0]) if after.size else None
    if recovery is None:
        reasons["recovery"] = f"still under water on the last day ({date(n)})"
    return ExPostRisk(
        days=n,
        volatility=vol,
        max_drawdown=mdd,
        drawdown_days=float((recovery - 1 if recovery is not None else n) - peak),
        longest_drawdown_days=float(max_drawdown_duration(r)),
        peak=date(peak),
        trough=date(trough),
        recovery=date(recovery) if recovery is not None else None,
        reasons=reasons,
    )
