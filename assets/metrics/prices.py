"""Validated daily price matrices: the one input type of the risk engine.

A price matrix is ``values[t, j]``: the close of asset ``symbols[j]`` on ``dates[t]`` (one row per
calendar day, oldest first). NaN is allowed only *before* an asset's first price (it was not trading
yet); any other NaN, any infinity and any price <= 0 is rejected with the column and date at fault.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl


class PriceDataError(ValueError):
    """Prices the engine refuses to compute on; ``column`` and ``date`` name the offending cell."""

    def __init__(self, message: str, column: str | None = None, date: dt.date | None = None) -> None:
        super().__init__(message)
        self.column = column
        self.date = date


@dataclass(frozen=True)
class PriceMatrix:
    """Daily close prices, validated on construction.

    Attributes
    ----------
    dates : np.ndarray
        ``datetime64[D]``, strictly increasing, one per row.
    symbols : tuple[str, ...]
        One per column, unique.
    values : np.ndarray
        ``float64`` of shape ``(len(dates), len(symbols))``, read-only; NaN only before listing.
    first_valid : np.ndarray
        Row index of each asset's first price (``int64``, one per column).
    """

    dates: np.ndarray
    symbols: tuple[str, ...]
    values: np.ndarray
    first_valid: np.ndarray

    @classmethod
    def build(cls, dates, symbols, values) -> PriceMatrix:
        """Validate and freeze a price matrix (the inputs are copied, never modified).

        Raises
        ------
        PriceDataError
            On duplicate symbols, unordered dates, a column without prices, or a NaN after listing,
            an infinity or a non-positive price (message names column and date).
        """
        dates = np.asarray(dates, dtype="datetime64[D]").copy()
        symbols = tuple(str(s) for s in symbols)
        values = np.array(values, dtype=np.float64, copy=True)
        if values.ndim != 2 or values.shape != (len(dates), len(symbols)):
            raise PriceDataError(
                f"prices must be a (dates x symbols) matrix of shape ({len(dates)}, {len(symbols)}), got {values.shape}"
            )
        if len(set(symbols)) != len(symbols):
            dup = next(s for s in symbols if symbols.count(s) > 1)
            raise PriceDataError(f"symbol {dup!r} appears more than once", column=dup)
        if len(dates) > 1:
            steps = np.diff(dates).astype(np.int64)
            if (steps <= 0).any():
                bad = int(np.argmax(steps <= 0)) + 1
                raise PriceDataError(
                    f"dates must be strictly increasing: {_iso(dates[bad])} follows {_iso(dates[bad - 1])}",
                    date=_as_date(dates[bad]),
                )
        first_valid = _check_values(values, symbols, dates)
        values.setflags(write=False)
        dates.setflags(write=False)
        first_valid.setflags(write=False)
        return cls(dates=dates, symbols=symbols, values=values, first_valid=first_valid)

    @classmethod
    def from_frame(cls, frame: pl.DataFrame, date_column: str = "date") -> PriceMatrix:
        """Build from a wide polars frame: ``date`` then one float column per symbol."""
        if date_column not in frame.columns:
            raise PriceDataError(f"no {date_column!r} column (columns: {', '.join(frame.columns)})")
        symbols = [c for c in frame.columns if c != date_column]
        if not symbols:
            raise PriceDataError("no price columns besides the date column")
        dates = frame.get_column(date_column).cast(pl.Date).to_numpy().astype("datetime64[D]")
        values = frame.select(pl.col(symbols).cast(pl.Float64)).to_numpy()
        return cls.build(dates, symbols, values)

    @property
    def as_of(self) -> dt.date:
        """The last date of the matrix."""
        return _as_date(self.dates[-1])

    def column(self, symbol: str) -> int:
        """Column index of ``symbol``; ``KeyError`` naming the known symbols when absent."""
        try:
            return self.symbols.index(symbol)
        except ValueError:
            raise KeyError(f"unknown symbol {symbol!r} (prices have: {', '.join(self.symbols)})") from None

    def date_of(self, row: int) -> dt.date:
        return _as_date(self.dates[row])


def _check_values(values: np.ndarray, symbols: tuple[str, ...], dates: np.ndarray) -> np.ndarray:
    present = ~np.isnan(values)
    if values.shape[0] == 0:
        raise PriceDataError("no price rows")
    empty = ~present.any(axis=0)
    if empty.any():
        col = symbols[int(np.argmax(empty))]
        raise PriceDataError(f"column {col!r} has no prices", column=col)
    first_valid = np.argmax(present, axis=0).astype(np.int64)
    # A gap after listing (or a delisting before the last date) cannot be told apart from bad data.
    gap = ~present & (np.arange(values.shape[0])[:, None] >= first_valid[None, :])
    with np.errstate(invalid="ignore"):
        bad = gap | np.isinf(values) | (present & ~(values > 0))
    if bad.any():
        t, j = (int(i) for i in np.argwhere(bad)[np.argmin(np.argwhere(bad)[:, 0])])
        v = values[t, j]
        what = (
            "a missing (NaN) price after it started trading"
            if np.isnan(v)
            else (f"an infinite price ({v})" if np.isinf(v) else f"a non-positive price ({v:g})")
        )
        raise PriceDataError(
            f"column {symbols[j]!r} has {what} on {_iso(dates[t])}", column=symbols[j], date=_as_date(dates[t])
        )
    return first_valid


def _as_date(d: np.datetime64) -> dt.date:
    return d.astype("datetime64[D]").astype(dt.date)


def _iso(d: np.datetime64) -> str:
    return _as_date(d).isoformat()
