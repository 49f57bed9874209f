"""Daily valuation of a ledger: quantities held at each day's end times that day's close, plus cash.

Day ``t`` covers one UTC calendar day; its value is taken after every transaction of the day, at the
day's close (ARCHITECTURE.md: the close of D is the last price of D). Cash paid in counts at the
start of its day; withdrawals, and coins crossing the ledger's boundary at the day's close, at its
end: the boundaries the time-weighted return links on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from assets.metrics.prices import PriceMatrix
from assets.portfolio.lib.ledger import Ledger


@dataclass(frozen=True)
class DailySeries:
    """A ledger valued day by day from its first transaction to ``as_of``.

    Attributes
    ----------
    dates : np.ndarray
        ``datetime64[D]``, every calendar day, oldest first.
    assets : tuple[str, ...]
        The ledger's coins, column-aligned with ``quantities`` and ``closes``.
    quantities, closes : np.ndarray
        ``(D, A)``: units held at each day's end; the day's close (NaN when the price file has none).
    cash, value, inflow, inflow_end, outflow : np.ndarray
        ``(D,)``: cash at the day's end; total value (NaN when a held coin has no close that day);
        external inflows at the start of the day, inflows at its end (coins valued at the close),
        outflows at its end; NaN where a flow could not be valued.
    reasons : dict[int, str]
        Why ``value`` or a flow is NaN on day index ``t`` (only for those days).
    """

    dates: np.ndarray
    assets: tuple[str, ...]
    quantities: np.ndarray
    closes: np.ndarray
    cash: np.ndarray
    value: np.ndarray
    inflow: np.ndarray
    inflow_end: np.ndarray
    outflow: np.ndarray
    reasons: dict[int, str]

    @property
    def as_of(self) -> dt.date:
        return self.dates[-1].astype(dt.date)

    def date(self, t: int) -> dt.date:
        return self.dates[t].astype(dt.date)


def _forward_fill(updates: dict[tuple[int, int], float], shape: tuple[int, int]) -> np.ndarray:
    """``(D, A)`` levels from sparse ``{(day, column): level after the day}``, 0 before the first update."""
    levels = np.full(shape, np.nan)
    if updates:
        keys = np.array(list(updates.keys()), dtype=np.int64)
        levels[keys[:, 0], keys[:, 1]] = np.fromiter(updates.values(), dtype=np.float64, count=len(updates))
    seen = ~np.isnan(levels)
    rows = np.where(seen, np.arange(shape[0])[:, None], -1)
    np.maximum.accumulate(rows, axis=0, out=rows)
    filled = np.take_along_axis(np.where(seen, levels, 0.0), np.clip(rows, 0, None), axis=0)
    return np.where(rows >= 0, filled, 0.0)


def aligned_closes(prices: PriceMatrix, symbols, dates: np.ndarray) -> np.ndarray:
    """Closes of ``symbols`` on every day of ``dates`` (NaN for a missing day or a column not in the file)."""
    out = np.full((len(dates), len(symbols)), np.nan)
    pdates = prices.dates.astype("datetime64[D]")
    pos = np.searchsorted(pdates, dates)
    hit = (pos < len(pdates)) & (pdates[np.clip(pos, 0, len(pdates) - 1)] == dates)
    for a, sym in enumerate(symbols):
        if sym in prices.symbols:
            out[hit, a] = prices.values[pos[hit], prices.column(sym)]
    return out


def daily_series(ledger: Ledger, prices: PriceMatrix) -> DailySeries:
    """Value ``ledger`` every day from its first transaction to the price file's last date.

    Raises
    ------
    ValueError
        When the ledger has transactions after the last date of ``prices``.
    """
    as_of = prices.as_of
    if ledger.last_day > as_of:
        raise ValueError(
            f"transactions run to {ledger.last_day}, after the last price ({as_of}): extend the price file"
        )
    first = np.datetime64(ledger.first_day, "D")
    dates = np.arange(first, np.datetime64(as_of, "D") + 1)
    n = len(dates)
    assets = tuple(ledger.positions)
    col = {a: j for j, a in enumerate(assets)}

    def day(d: dt.date) -> int:
        return (d - ledger.first_day).days

    qty_updates = {(day(d), col[a]): q for d, a, q in ledger.holdings}
    quantities = _forward_fill(qty_updates, (n, len(assets)))
    cash = _forward_fill({(day(d), 0): c for d, c in ledger.cash_balances}, (n, 1))[:, 0]
    closes = aligned_closes(prices, assets, dates)
    held = quantities > 0
    unpriced = held & np.isnan(closes)
    value = np.where(held, quantities * np.where(np.isnan(closes), 0.0, closes), 0.0).sum(axis=1) + cash
    value[unpriced.any(axis=1)] = np.nan
    inflow, inflow_end, outflow = np.zeros(n), np.zeros(n), np.zeros(n)
    for series, book in ((inflow, ledger.inflows), (inflow_end, ledger.inflows_at_close), (outflow, ledger.outflows)):
        for d, amount in book.items():
            series[day(d)] = amount

    reasons: dict[int, str] = {}
    for row, asset, d in ledger.unvalued:
        reasons.setdefault(day(d), f"no {asset} close on {d} to value the coins of row {row} entering or leaving")
    for t in np.flatnonzero(unpriced.any(axis=1)):
        a = int(np.argmax(unpriced[t]))
        reasons.setdefault(int(t), f"{assets[a]} is held on {dates[t]} but the price file has no close for it")
    return DailySeries(
        dates=dates,
        assets=assets,
        quantities=quantities,
        closes=closes,
        cash=cash,
        value=value,
        inflow=inflow,
        inflow_end=inflow_end,
        outflow=outflow,
        reasons=reasons,
    )
