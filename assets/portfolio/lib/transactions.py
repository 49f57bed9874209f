"""Ledger transactions as typed records, and the row-naming errors every layer reports.

A transaction is one movement of one asset. Monetary fields (``price``, ``fee``) are in
``currency``; :func:`assets.portfolio.lib.currency.to_ledger_currency` turns every record into the
ledger currency (USD) before the ledger runs. Conventions, in the words a user reads them:

- ``buy`` / ``sell``: coins bought or sold for cash at ``price`` per unit. A buy the cash balance
  does not cover is funded from outside (the shortfall counts as a deposit that day); sale proceeds
  stay in the portfolio as cash until a ``withdrawal``.
- ``deposit`` / ``withdrawal``: cash in or out of the portfolio (``asset`` names the fiat currency,
  ``quantity`` the amount): the external flows returns are measured against.
- ``transfer_in`` / ``transfer_out``: coins moved between the user's own wallets or venues: no P&L,
  the lots keep their cost and date. A transfer in with nothing in transit brings coins from outside
  the ledger: an external inflow at that day's close, cost basis ``price`` per unit when given,
  unknown otherwise.
- ``fee``: a fee paid on its own, in cash (``asset`` a fiat currency) or in coins.
- ``staking_reward``, ``airdrop``, ``income``: coins received as income at their market value
  (``price``, else that day's close), which also becomes their cost basis; not an external flow.
- ``opening_balance``: coins held when the ledger starts (or migrated holdings): an external inflow
  at that day's close, cost basis ``price`` per unit when known.
- ``adjustment``: a direct quantity edit (``quantity`` signed): coins appear or vanish at that day's
  close as an external flow, without P&L.

Fees: ``fee`` is the fee's value; with ``fee_asset`` set, ``fee_quantity`` of that coin was paid
(a disposal of those coins). On a buy the fee adds to the cost basis, on a sell it reduces the
proceeds; on anything else it is a cost of its own (negative realized P&L).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from enum import StrEnum

from assets.portfolio.lib.constants import FIAT, LEDGER_CURRENCY


class Kind(StrEnum):
    """Transaction types (the ``type`` column of the transactions CSV)."""

    BUY = "buy"
    SELL = "sell"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    FEE = "fee"
    STAKING_REWARD = "staking_reward"
    AIRDROP = "airdrop"
    INCOME = "income"
    OPENING_BALANCE = "opening_balance"
    ADJUSTMENT = "adjustment"


#: Kinds that move cash rather than coins.
CASH_KINDS = frozenset({Kind.DEPOSIT, Kind.WITHDRAWAL})
#: Kinds whose coins enter at market value as income.
INCOME_KINDS = frozenset({Kind.STAKING_REWARD, Kind.AIRDROP, Kind.INCOME})
#: Kinds that need a unit price.
PRICED_KINDS = frozenset({Kind.BUY, Kind.SELL})


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem with one row: ``row`` as a spreadsheet numbers it (the header is row 1)."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


class LedgerError(ValueError):
    """The ledger refuses these transactions; ``errors`` names every row at fault (nothing computed)."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = list(errors)
        first = str(self.errors[0]) if self.errors else "invalid transactions"
        more = len(self.errors) - 1
        super().__init__(first + (f" (and {more} more)" if more > 0 else ""))


@dataclass(frozen=True, slots=True)
class Transaction:
    """One ledger entry.

    Attributes
    ----------
    time : datetime.datetime
        UTC, timezone-aware.
    kind : Kind
    asset : str
        The coin (symbol or asset id as text); for cash kinds the fiat currency.
    quantity : float
        Units, > 0 (signed, non-zero for ``adjustment``); for cash kinds the amount.
    price : float or None
        Per unit, in ``currency``; required for buy and sell, optional otherwise (see the module doc).
    currency : str
        What ``price`` and ``fee`` are quoted in: a fiat code or a coin (a coin-for-coin trade).
    fee : float
        Value of the fee in ``currency`` (>= 0).
    fee_asset : str or None
        The coin the fee was paid in, or None for a fee paid in cash.
    fee_quantity : float
        Units of ``fee_asset`` paid (>= 0).
    row : int
        Row of the source file (0 when the record did not come from a file).
    venue, note, external_id : str
        Where it happened (wallet or exchange), free text, the source's own id.
    key : str
        Stable deduplication key (a hash of the source row; see ``imports``).
    """

    time: dt.datetime
    kind: Kind
    asset: str
    quantity: float
    price: float | None = None
    currency: str = LEDGER_CURRENCY
    fee: float = 0.0
    fee_asset: str | None = None
    fee_quantity: float = 0.0
    row: int = 0
    venue: str = ""
    note: str = ""
    external_id: str = ""
    key: str = field(default="", compare=False)

    @property
    def day(self) -> dt.date:
        """The UTC calendar day the transaction belongs to (valuation is by daily close)."""
        return self.time.astimezone(dt.UTC).date()


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def check(tx: Transaction) -> list[RowError]:
    """Problems of one record on its own (order-dependent checks happen when the ledger runs)."""
    errors: list[RowError] = []
    r = tx.row
    if tx.time.tzinfo is None:
        errors.append(RowError(r, "time", "must carry a timezone (UTC)"))
    if not tx.asset:
        errors.append(RowError(r, "symbol", "is empty"))
    if not _finite(tx.quantity):
        errors.append(RowError(r, "quantity", f"must be a finite number, got {tx.quantity!r}"))
    elif tx.kind is Kind.ADJUSTMENT:
        if tx.quantity == 0:
            errors.append(RowError(r, "quantity", "an adjustment must change the quantity (got 0)"))
    elif tx.quantity <= 0:
        errors.append(RowError(r, "quantity", f"must be > 0 for {tx.kind.value}, got {tx.quantity:g}"))
    if tx.price is not None and (not _finite(tx.price) or tx.price < 0):
        errors.append(RowError(r, "price", f"must be a finite number >= 0, got {tx.price!r}"))
    if tx.kind in PRICED_KINDS and tx.price is None:
        errors.append(RowError(r, "price", f"a {tx.kind.value} needs a unit price"))
    if not _finite(tx.fee) or tx.fee < 0:
        errors.append(RowError(r, "fee", f"must be a finite number >= 0, got {tx.fee!r}"))
    if not _finite(tx.fee_quantity) or tx.fee_quantity < 0:
        errors.append(RowError(r, "fee_quantity", f"must be a finite number >= 0, got {tx.fee_quantity!r}"))
    if tx.fee_asset is not None and tx.fee_asset.upper() in FIAT:
        errors.append(RowError(r, "fee_asset", f"{tx.fee_asset} is cash: give the fee as a value, not as coins"))
    if tx.fee_asset is None and tx.fee_quantity:
        errors.append(RowError(r, "fee_asset", "a fee quantity needs the coin it was paid in"))
    if tx.kind in CASH_KINDS and tx.asset.upper() not in FIAT:
        errors.append(
            RowError(
                r,
                "symbol",
                f"{tx.kind.value} moves cash, {tx.asset!r} is not a fiat currency "
                "(use transfer_in / transfer_out for coins)",
            )
        )
    if tx.kind not in CASH_KINDS and tx.kind is not Kind.FEE and tx.asset.upper() in FIAT:
        errors.append(RowError(r, "symbol", f"{tx.asset} is cash: a {tx.kind.value} moves coins"))
    return errors


def is_cash_row(tx: Transaction) -> bool:
    """A movement of cash: ``quantity`` is an amount of the fiat ``asset``, ``price`` (default 1) its unit value."""
    return tx.kind in CASH_KINDS or (tx.kind is Kind.FEE and tx.asset.upper() in FIAT)


def cash_amount(tx: Transaction) -> float:
    """The amount of a cash row in the ledger currency."""
    return tx.quantity * (1.0 if tx.price is None else tx.price)


def ordered(transactions) -> list[Transaction]:
    """Transactions in time order; rows of the same instant keep their input order (Python's sort is stable)."""
    return sorted(transactions, key=lambda t: t.time)
