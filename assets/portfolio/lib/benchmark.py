"""The portfolio's time-weighted returns against a benchmark: BTC, ETH, any column, or the market index.

Over a period's days (fractions; daily returns annualized with 365):

- excess return: :math:`TWR_p - TWR_b` (arithmetic, cumulative over the period);
- tracking error: :math:`\\sqrt{365}\\,\\mathrm{std}(r_p - r_b, \\mathrm{ddof}=1)`;
- information ratio: :math:`365\\,\\overline{(r_p - r_b)} / TE`;
- up / down capture (geometric, Morningstar's form): on the days the benchmark rose (fell),
  :math:`\\left[\\prod (1 + r_p)\\right]^{1/n} - 1` over :math:`\\left[\\prod (1 + r_b)\\right]^{1/n} - 1`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from assets.metrics.prices import PriceMatrix
from assets.metrics.returns import market_index_returns, simple_returns
from assets.portfolio.lib.constants import ANNUALIZATION, MARKET_BENCHMARK
from assets.portfolio.lib.returns import link
from assets.portfolio.lib.valuation import aligned_closes


def benchmark_returns(prices: PriceMatrix, symbol: str, dates: np.ndarray) -> tuple[np.ndarray, dict[int, str]]:
    """Daily returns of ``symbol`` (or :data:`MARKET_BENCHMARK`) on each of ``dates``, and why any is NaN.

    The return of day ``t`` needs the closes of ``t`` and of the day before.

    A symbol that is neither a column nor ``MARKET`` gives NaN returns, each with that reason.
    """
    ext = np.concatenate([[dates[0] - 1], dates])
    if symbol == MARKET_BENCHMARK:
        r = market_index_returns(simple_returns(aligned_closes(prices, prices.symbols, ext)))
        what = "no asset of the price file has closes"
    elif symbol not in prices.symbols:
        why = f"the price file has no {symbol} column (it has {', '.join(prices.symbols)})"
        return np.full(len(dates), np.nan), dict.fromkeys(range(len(dates)), why)
    else:
        r = simple_returns(aligned_closes(prices, [symbol], ext))[:, 0]
        what = f"the price file has no {symbol} close"
    reasons = {
        int(t): f"{what} on {ext[t]} and {ext[t + 1]} for the benchmark's return" for t in np.flatnonzero(np.isnan(r))
    }
    return r, reasons


@dataclass(frozen=True)
class Comparison:
    """Benchmark figures of one period (NaN with a reason in ``reasons`` when not computable)."""

    twr_portfolio: float
    twr_benchmark: float
    excess_return: float
    tracking_error: float
    information_ratio: float
    up_capture: float
    down_capture: float
    reasons: dict[str, str]


def _capture(rp: np.ndarray, rb: np.ndarray) -> float:
    if not rp.size:
        return math.nan
    n = rp.size
    b = np.prod(1.0 + rb) ** (1.0 / n) - 1.0
    return (np.prod(1.0 + rp) ** (1.0 / n) - 1.0) / b if b != 0 else math.nan


def compare(rp, rb, p_reasons: dict[int, str], b_reasons: dict[int, str], start: int) -> Comparison:
    """Compare daily returns ``rp`` (portfolio TWR) and ``rb`` (benchmark) over days ``start..end``."""
    rp, rb = np.asarray(rp, dtype=np.float64)[start:], np.asarray(rb, dtype=np.float64)[start:]
    reasons: dict[str, str] = {}
    bad_p, bad_b = np.flatnonzero(np.isnan(rp)), np.flatnonzero(np.isnan(rb))
    why = None
    if bad_p.size:
        t = start + int(bad_p[0])
        why = p_reasons.get(t, "the portfolio's time-weighted return is not defined on one of the days")
    elif bad_b.size:
        why = b_reasons.get(start + int(bad_b[0]), "the benchmark has no return on one of the days")
    twr_p, twr_b = link(rp), link(rb)
    if why:
        nan = math.nan
        keys = ["excess_return", "tracking_error", "information_ratio", "up_capture", "down_capture"]
        reasons = dict.fromkeys(keys, why)
        if bad_b.size:
            reasons["twr_benchmark"] = b_reasons.get(start + int(bad_b[0]), why)
        return Comparison(twr_p, twr_b, nan, nan, nan, nan, nan, reasons)
    active = rp - rb
    te = float(np.std(active, ddof=1) * math.sqrt(ANNUALIZATION)) if active.size > 1 else math.nan
    if not np.isfinite(te):
        reasons["tracking_error"] = reasons["information_ratio"] = "needs at least 2 daily returns"
        ir = math.nan
    elif te < 1e-12:  # float noise of identical series: a ratio of noise is no number
        ir = math.nan
        reasons["information_ratio"] = "the portfolio tracks the benchmark exactly (tracking error 0)"
    else:
        ir = float(np.mean(active) * ANNUALIZATION / te)
    up, down = rb > 0, rb < 0
    upc, downc = _capture(rp[up], rb[up]), _capture(rp[down], rb[down])
    if not np.isfinite(upc):
        reasons["up_capture"] = "the benchmark rose on no day of the period"
    if not np.isfinite(downc):
        reasons["down_capture"] = "the benchmark fell on no day of the period"
    return Comparison(twr_p, twr_b, twr_p - twr_b, te, ir, upc, downc, reasons)
