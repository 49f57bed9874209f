"""Currencies: prices quoted in another fiat or in a coin -> the ledger currency; USD -> a base currency.

The warehouse keeps USD. A user's base currency (EUR, GBP, JPY, ...) is a view: every transaction is
converted at the rate of its own day and every close at the rate of its day, then the same ledger
runs in the base currency, so cost bases carry the rate of the day they were paid and P&L in the
base currency includes the currency's own move (the way a EUR investor books a USD asset).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable

import numpy as np

from assets.metrics.prices import PriceMatrix
from assets.portfolio.lib.constants import LEDGER_CURRENCY
from assets.portfolio.lib.transactions import RowError, Transaction, is_cash_row

#: ``rate(currency, day)``: value of one unit of ``currency`` in the ledger currency, None when unknown.
Rate = Callable[[str, dt.date], float | None]


@dataclasses.dataclass(frozen=True)
class RateSeries:
    """Daily exchange rates: ``rates[t]`` units of ``currency`` per 1 USD on ``dates[t]``.

    A day without its own rate uses the latest rate before it (rates are published on trading days;
    crypto trades every day). Before the first rate there is none.
    """

    currency: str
    dates: np.ndarray
    rates: np.ndarray

    @classmethod
    def build(cls, currency: str, dates, rates) -> RateSeries:
        """Validate: dates strictly increasing, rates finite and > 0 (``ValueError`` naming the date)."""
        d = np.asarray(dates, dtype="datetime64[D]").copy()
        r = np.asarray(rates, dtype=np.float64).copy()
        if d.shape != r.shape or d.ndim != 1 or not len(d):
            raise ValueError("a rate series needs one rate per date, at least one")
        if len(d) > 1 and (np.diff(d).astype(np.int64) <= 0).any():
            bad = int(np.argmax(np.diff(d).astype(np.int64) <= 0)) + 1
            raise ValueError(f"rate dates must be strictly increasing: {d[bad]} follows {d[bad - 1]}")
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(r) | ~(r > 0)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"{currency} rate on {d[i]} must be a finite number > 0, got {r[i]}")
        d.setflags(write=False)
        r.setflags(write=False)
        return cls(currency.upper(), d, r)

    def at(self, days) -> np.ndarray:
        """Rates on ``days`` (as-of: the latest on or before each day); NaN before the first rate."""
        days = np.asarray(days, dtype="datetime64[D]")
        i = np.searchsorted(self.dates, days, side="right") - 1
        out = np.where(i >= 0, self.rates[np.clip(i, 0, None)], np.nan)
        return out

    def on(self, day: dt.date) -> float | None:
        value = float(self.at(np.array([day], dtype="datetime64[D]"))[0])
        return value if np.isfinite(value) else None


def price_rate(prices: PriceMatrix, currency: str = LEDGER_CURRENCY) -> Rate:
    """A :data:`Rate` from a price file: the ledger currency is 1, any column is its daily close."""
    index = {d: t for t, d in enumerate(prices.dates.astype("datetime64[D]").astype(dt.date))}
    columns = {s: j for j, s in enumerate(prices.symbols)}

    def rate(code: str, day: dt.date) -> float | None:
        if code == currency:
            return 1.0
        j, t = columns.get(code), index.get(day)
        if j is None or t is None:
            return None
        value = float(prices.values[t, j])
        return value if np.isfinite(value) else None

    return rate


def to_ledger_currency(
    transactions: Iterable[Transaction], rate: Rate, currency: str = LEDGER_CURRENCY
) -> tuple[list[Transaction], list[RowError]]:
    """Express every price and fee in ``currency`` at the rate of the transaction's day.

    A price quoted in a coin (a coin-for-coin trade) uses that coin's close; a fee paid in coins
    without a stated value is valued at the trade's price (fee in the traded coin) or the fee coin's
    close. Returns the converted records and one error per row that has no rate.
    """
    out: list[Transaction] = []
    errors: list[RowError] = []
    for tx in transactions:
        coin_fee_unvalued = tx.fee_asset is not None and tx.fee_quantity > 0 and not tx.fee
        if tx.currency == currency and not coin_fee_unvalued:
            out.append(tx)  # already in the ledger currency (most rows): nothing to convert
            continue
        unit = 1.0 if tx.currency == currency else rate(tx.currency, tx.day)
        if unit is None:
            errors.append(
                RowError(tx.row, "currency", f"no {tx.currency} rate to {currency} on {tx.day} to convert the price")
            )
            continue
        if is_cash_row(tx):  # an amount of that currency: value one unit of it
            price = (1.0 if tx.price is None else tx.price) * unit
        else:
            price = None if tx.price is None else tx.price * unit
        fee = tx.fee * unit
        if coin_fee_unvalued:
            if tx.fee_asset == tx.asset and price is not None:
                fee_unit = price
            else:
                fee_unit = rate(tx.fee_asset, tx.day)
            if fee_unit is None:
                errors.append(
                    RowError(tx.row, "fee_asset", f"no {tx.fee_asset} close on {tx.day} to value the fee paid in it")
                )
                continue
            fee = tx.fee_quantity * fee_unit
        out.append(dataclasses.replace(tx, price=price, fee=fee, currency=currency))
    return out, errors


def convert_transactions(transactions: Iterable[Transaction], rates: RateSeries) -> list[Transaction]:
    """USD transactions -> the base currency, each at its day's rate.

    Raises
    ------
    ValueError
        A transaction dated before the first rate (naming its row).
    """
    out = []
    for tx in transactions:
        if tx.currency != LEDGER_CURRENCY:
            raise ValueError(f"row {tx.row}: convert to {LEDGER_CURRENCY} first (price is in {tx.currency})")
        r = rates.on(tx.day)
        if r is None:
            raise ValueError(f"row {tx.row}: no {rates.currency} rate on or before {tx.day}")
        if is_cash_row(tx):  # an amount of USD: each unit is worth r base units that day
            price = r * (1.0 if tx.price is None else tx.price)
        else:
            price = None if tx.price is None else tx.price * r
        out.append(dataclasses.replace(tx, price=price, fee=tx.fee * r, currency=rates.currency))
    return out


def convert_prices(prices: PriceMatrix, rates: RateSeries) -> PriceMatrix:
    """USD closes -> base-currency closes at each day's rate.

    Raises
    ------
    ValueError
        When a priced day precedes the first rate.
    """
    r = rates.at(prices.dates)
    needed = ~np.isnan(prices.values).all(axis=1)
    if (np.isnan(r) & needed).any():
        first = prices.dates[int(np.argmax(np.isnan(r) & needed))]
        raise ValueError(f"no {rates.currency} rate on or before {first} (the rates start {rates.dates[0]})")
    return PriceMatrix.build(prices.dates, prices.symbols, prices.values * r[:, None])


def convert_values(values, dates, rates: RateSeries) -> np.ndarray:
    """A USD series on ``dates`` in the base currency (NaN where no rate is known yet)."""
    return np.asarray(values, dtype=np.float64) * rates.at(dates)
