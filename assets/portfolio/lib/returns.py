"""Portfolio returns with external flows: time-weighted, money-weighted (XIRR) and simple.

Conventions (one day is the valuation step, flows sit on its boundaries):

- Time-weighted, daily linked (the "true" time-weighted method valued at every flow): cash paid in
  joins at the start of its day (:math:`I_t`); outflows (:math:`O_t`) and coins entering at the
  day's close (:math:`E_t`) sit at its end,

  .. math:: r_t = \\frac{V_t + O_t - E_t}{V_{t-1} + I_t} - 1, \\qquad TWR = \\prod_t (1 + r_t) - 1

  so the first day's return is its close against what was paid in. A day with nothing invested
  and nothing held returns 0.
- Money-weighted: the rate that sets the period's cash flows to zero, seen from the investor: the
  starting value and inflows are paid in (at the start or end of their days, as above), outflows
  and the final value come back; time in days / 365 (XIRR). Reported for the period (cumulative)
  and, only for periods over a year, annualized.
- Simple: gain over money at work, :math:`(V_{end} - V_{start} - (I + E - O)) / (V_{start} + I + E)`.

With no flows inside a period all three equal :math:`V_{end} / V_{start} - 1`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from assets.portfolio.lib.constants import ANNUALIZATION, PERIODS


def _tolerance(*series: np.ndarray) -> float:
    scale = max((float(np.nanmax(np.abs(s))) for s in series if s.size and not np.isnan(s).all()), default=1.0)
    return 1e-9 * max(scale, 1.0)


def daily_twr(value, inflow, outflow, inflow_end=None) -> np.ndarray:
    """Daily time-weighted returns (see the module doc); NaN where the day cannot be measured.

    A day that starts with nothing (no value, no inflow) but ends with something (an airdrop into an
    empty portfolio) has no defined return: NaN.
    """
    value, inflow, outflow = (np.asarray(a, dtype=np.float64) for a in (value, inflow, outflow))
    late = np.zeros_like(value) if inflow_end is None else np.asarray(inflow_end, dtype=np.float64)
    prev = np.concatenate([[0.0], value[:-1]])
    den = prev + inflow
    num = value + outflow - late
    tol = _tolerance(value, inflow, outflow, late)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(den > tol, num / den - 1.0, np.where(np.abs(num) <= tol, 0.0, np.nan))
    r[np.isnan(den) | np.isnan(num)] = np.nan
    return r


def link(returns) -> float:
    """Cumulative return of linked period returns: :math:`\\prod (1 + r_t) - 1` (NaN if any is NaN)."""
    r = np.asarray(returns, dtype=np.float64)
    return float(np.prod(1.0 + r) - 1.0) if r.size else 0.0


def annualize(cumulative: float, days: int, annualization: int = ANNUALIZATION) -> float:
    """:math:`(1 + R)^{365 / days} - 1`."""
    return (1.0 + cumulative) ** (annualization / days) - 1.0


def xirr(amounts, times, span: float, annualization: int = ANNUALIZATION) -> tuple[float, str | None]:
    """Money-weighted return: the growth that discounts ``amounts`` at ``times`` (days) to zero.

    Parameters
    ----------
    amounts : array
        Cash flows from the investor's side: paid in < 0, received > 0.
    times : array
        Days from the period's start, in ``[0, span]``.
    span : float
        Length of the period in days.

    Returns
    -------
    (float, str or None)
        The period's cumulative money-weighted return (NaN with a reason when no rate solves the
        flows). Annual rate: ``annualize(result, span)``.
        Solved as :math:`\\sum_i c_i e^{-x t_i / span} = 0` for the period's log growth ``x``
        (Brent's method, on the sign change nearest zero growth).
    """
    c = np.asarray(amounts, dtype=np.float64)
    s = np.asarray(times, dtype=np.float64) / span
    if np.isnan(c).any():
        return math.nan, "a cash flow of the period has no value"
    keep = c != 0
    c, s = c[keep], s[keep]
    if not (c < 0).any() or not (c > 0).any():
        return math.nan, "the period's cash flows never change sign: no rate of return solves them"

    def npv(x: float) -> float:
        return float(np.sum(c * np.exp(-x * s)))

    grid = np.linspace(-20.0, 20.0, 161)  # period log growth: a factor of e^-20 .. e^20
    values = np.exp(-np.outer(grid, s)) @ c
    change = np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) <= 0)
    if not change.size:
        return math.nan, "no rate of return between -100% and e^20 solves the period's cash flows"
    i = change[np.argmin(np.abs(grid[change] + grid[change + 1]))]
    if values[i] == 0:
        return math.expm1(grid[i]), None
    x = brentq(npv, grid[i], grid[i + 1], xtol=1e-14, rtol=1e-13, maxiter=200)
    return math.expm1(x), None


@dataclass(frozen=True)
class PeriodReturns:
    """Returns of one period ending ``as_of`` (fractions; NaN with a reason when not computable)."""

    key: str
    start: dt.date | None
    days: int
    twr: float
    mwr: float
    simple: float
    reasons: dict[str, str]

    @property
    def twr_annualized(self) -> float:
        return annualize(self.twr, self.days) if self.days > ANNUALIZATION and np.isfinite(self.twr) else math.nan

    @property
    def mwr_annualized(self) -> float:
        return annualize(self.mwr, self.days) if self.days > ANNUALIZATION and np.isfinite(self.mwr) else math.nan


def period_start(key: str, dates: np.ndarray) -> tuple[int | None, str | None]:
    """Index of the first day of period ``key`` within ``dates`` (the ledger's days ending ``as_of``).

    Returns ``(None, reason)`` when the ledger starts after the period does (a return over a period
    the portfolio did not exist for would be invented).
    """
    n = len(dates)
    as_of = dates[-1].astype(dt.date)
    if key == "all":
        return 0, None
    if key == "ytd":
        start = dt.date(as_of.year, 1, 1)
        s = n - 1 - (as_of - start).days
    else:
        days = PERIODS[key]
        s = n - days
        start = as_of - dt.timedelta(days=days - 1)
    if s < 0:
        return None, f"the ledger starts on {dates[0]}, after the period's first day {start}"
    return s, None


def period_returns(key: str, dates, value, inflow, outflow, inflow_end=None, daily=None, reasons=None) -> PeriodReturns:
    """TWR, MWR and simple return of period ``key`` (one of :data:`PERIODS`) ending on the last day.

    ``daily`` (the :func:`daily_twr` series) and ``reasons`` (why a day index is NaN) may be given
    to share them between periods.
    """
    late_all = np.zeros(len(dates)) if inflow_end is None else np.asarray(inflow_end, dtype=np.float64)
    daily = daily_twr(value, inflow, outflow, late_all) if daily is None else daily
    reasons = reasons or {}
    s, why = period_start(key, dates)
    if s is None:
        return PeriodReturns(key, None, 0, math.nan, math.nan, math.nan, {k: why for k in ("twr", "mwr", "simple")})
    n = len(dates) - s
    out: dict[str, str] = {}
    window = daily[s:]
    bad = np.flatnonzero(np.isnan(window))
    twr = link(window)
    if bad.size:
        t = s + int(bad[0])
        out["twr"] = reasons.get(t) or f"the portfolio's value appeared from nothing on {dates[t]} (nothing invested)"
    v_end = float(value[-1])
    v_base = float(value[s - 1]) if s > 0 else 0.0
    i, e, o = inflow[s:], late_all[s:], outflow[s:]
    paid_in = v_base + float(np.sum(i)) + float(np.sum(e))
    net = float(np.sum(i)) + float(np.sum(e)) - float(np.sum(o))
    simple = (v_end - v_base - net) / paid_in if paid_in > 0 else math.nan
    k = np.arange(n, dtype=np.float64)
    amounts = np.concatenate([[-v_base], -i, -e, o, [v_end]])
    times = np.concatenate([[0.0], k, k + 1.0, k + 1.0, [float(n)]])
    mwr, mwr_reason = xirr(amounts, times, float(n))
    unvalued = np.isnan(amounts).any()
    why = _first_reason(reasons, s - 1, len(dates)) if unvalued else None
    if not np.isfinite(simple):
        out["simple"] = why or "nothing was invested in the period"
    if not np.isfinite(mwr):
        out["mwr"] = why or mwr_reason or "not computable"
    return PeriodReturns(key, dates[s].astype(dt.date), n, twr, mwr, simple, out)


def _first_reason(reasons: dict[int, str], lo: int, hi: int) -> str | None:
    days = [t for t in reasons if lo <= t < hi]
    return reasons[min(days)] if days else None
