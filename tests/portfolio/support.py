"""Small builders shared by the ledger tests (records and price matrices, nothing computed here)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from assets.metrics import PriceMatrix
from assets.portfolio.lib import Kind, Transaction

START = dt.date(2024, 1, 1)


def day(n: int, hour: int = 12) -> dt.datetime:
    """Noon UTC of day ``n`` after :data:`START`."""
    return dt.datetime.combine(START + dt.timedelta(days=n), dt.time(hour), tzinfo=dt.UTC)


def tx(
    n: int, kind: str, asset: str, quantity: float, price: float | None = None, *, row: int = 0, **kw
) -> Transaction:
    return Transaction(time=day(n), kind=Kind(kind), asset=asset, quantity=float(quantity), price=price, row=row, **kw)


def numbered(*records: Transaction) -> list[Transaction]:
    """Give records the rows a file would (header row 1, data from row 2)."""
    import dataclasses

    return [dataclasses.replace(r, row=i + 2) for i, r in enumerate(records)]


def prices(columns: dict[str, list[float] | np.ndarray], start: dt.date = START) -> PriceMatrix:
    """A daily close matrix starting ``start`` (one value per day per symbol)."""
    n = len(next(iter(columns.values())))
    dates = np.datetime64(start, "D") + np.arange(n)
    return PriceMatrix.build(
        dates, list(columns), np.column_stack([np.asarray(v, dtype=float) for v in columns.values()])
    )


def flat(n_days: int, **levels: float) -> PriceMatrix:
    return prices({sym: [level] * n_days for sym, level in levels.items()})
