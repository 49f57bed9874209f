"""Run a ledger: transactions in time order -> lots, positions, realized P&L, cash and external flows.

Everything is in one currency (the ledger currency, or a base currency after conversion): run
:func:`assets.portfolio.lib.currency.to_ledger_currency` first. The rules for each transaction type
are in :mod:`assets.portfolio.lib.transactions`. P&L identity (a test holds us to it): for a ledger
whose coins all enter by buys, income kinds or matched transfers, final value minus net external
flows equals realized + unrealized P&L + income, whatever the method.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from assets.portfolio.lib.constants import DUST, LEDGER_CURRENCY
from assets.portfolio.lib.lots import Lot, LotPool, new_pool
from assets.portfolio.lib.transactions import (
    INCOME_KINDS,
    LedgerError,
    RowError,
    Transaction,
    cash_amount,
    check,
    is_cash_row,
    ordered,
)

#: ``mark(asset, day)``: the asset's close on ``day`` in the ledger currency, or None when unknown.
Mark = Callable[[str, dt.date], float | None]


@dataclass(frozen=True, slots=True)
class Disposal:
    """Coins leaving the portfolio against proceeds (a sale, a coin-for-coin trade leg, a fee paid in coins)."""

    row: int
    time: dt.datetime
    asset: str
    quantity: float
    proceeds: float
    cost_basis: float

    @property
    def gain(self) -> float:
        return self.proceeds - self.cost_basis


@dataclass
class Position:
    """One asset's state after the ledger ran (cost-based figures are NaN when a lot's cost is unknown)."""

    asset: str
    pool: LotPool
    realized: float = 0.0
    income: float = 0.0
    in_transit: float = 0.0
    unknown_cost_rows: list[int] = field(default_factory=list)
    realized_unknown_rows: list[int] = field(default_factory=list)

    @property
    def quantity(self) -> float:
        return self.pool.quantity

    @property
    def cost_basis(self) -> float:
        return self.pool.cost

    def lots(self) -> list[Lot]:
        return self.pool.lots()


@dataclass(frozen=True)
class Ledger:
    """The result of :func:`run_ledger`.

    Attributes
    ----------
    positions : dict[str, Position]
        Every coin the ledger touched (also those sold out), in first-seen order.
    cash : float
        Cash balance at the end, in ``currency``.
    cash_realized : float
        Fees paid on cash movements (<= 0).
    disposals : list[Disposal]
    holdings : list[tuple[datetime.date, str, float]]
        ``(day, asset, quantity after)`` after every change of a coin's quantity, in time order.
    cash_balances : list[tuple[datetime.date, float]]
        ``(day, cash after)`` after every change of the cash balance.
    inflows, outflows : dict[datetime.date, float]
        External flows per day (>= 0): deposits and buys the cash did not cover are inflows at the
        start of their day; withdrawals, and coins leaving the ledger at that day's close, are
        outflows at its end.
    inflows_at_close : dict[datetime.date, float]
        Coins entering from outside the ledger, valued at their day's close and so joining at the
        day's end (NaN when the close is unknown).
    currency : str
    method : str
    first_day, last_day : datetime.date
        Days of the first and the last transaction.
    transactions : int
    unvalued : list[tuple[int, str, datetime.date]]
        ``(row, asset, day)`` of coins that crossed the ledger's boundary on a day without a close
        (their flow is NaN, so the returns covering that day are null).
    """

    positions: dict[str, Position]
    cash: float
    cash_realized: float
    disposals: list[Disposal]
    holdings: list[tuple[dt.date, str, float]]
    cash_balances: list[tuple[dt.date, float]]
    inflows: dict[dt.date, float]
    outflows: dict[dt.date, float]
    inflows_at_close: dict[dt.date, float]
    currency: str
    method: str
    first_day: dt.date
    last_day: dt.date
    transactions: int
    unvalued: list[tuple[int, str, dt.date]] = field(default_factory=list)


class _Run:
    """Mutable state of one ledger run."""

    def __init__(self, method: str, mark: Mark | None, currency: str) -> None:
        new_pool(method)  # validates the method name up front
        self.method = method
        self.mark = mark or (lambda asset, day: None)
        self.currency = currency
        self.positions: dict[str, Position] = {}
        self.cash = 0.0
        self.cash_realized = 0.0
        self.disposals: list[Disposal] = []
        self.holdings: list[tuple[dt.date, str, float]] = []
        self.cash_balances: list[tuple[dt.date, float]] = []
        self.inflows: dict[dt.date, float] = {}
        self.outflows: dict[dt.date, float] = {}
        self.inflows_at_close: dict[dt.date, float] = {}
        self.unvalued: list[tuple[int, str, dt.date]] = []

    # -- helpers ---------------------------------------------------------------------------------
    def position(self, asset: str) -> Position:
        pos = self.positions.get(asset)
        if pos is None:
            pos = self.positions[asset] = Position(asset, new_pool(self.method))
        return pos

    def flow(self, book: dict[dt.date, float], day: dt.date, amount: float) -> None:
        book[day] = book.get(day, 0.0) + amount

    def set_cash(self, day: dt.date, cash: float) -> None:
        if cash < 0:  # paid for from outside the portfolio: the shortfall is that day's inflow
            self.flow(self.inflows, day, -cash)
            cash = 0.0
        self.cash = cash
        self.cash_balances.append((day, cash))

    def record(self, day: dt.date, pos: Position) -> None:
        self.holdings.append((day, pos.asset, pos.quantity))

    def available(self, asset: str) -> float:
        pos = self.positions.get(asset)
        return 0.0 if pos is None else pos.quantity - pos.in_transit

    def need(self, tx: Transaction, asset: str, quantity: float, what: str) -> RowError | None:
        """An error when fewer than ``quantity`` units of ``asset`` are available (not in transit)."""
        have = self.available(asset)
        if quantity > have * (1 + DUST) + 1e-15:
            held = f"holds {have:g}" if have > 0 else "holds none"
            return RowError(tx.row, "quantity", f"{what} {quantity:g} {asset} but the portfolio {held} on {tx.day}")
        return None

    def dispose(self, tx: Transaction, asset: str, quantity: float, proceeds: float) -> float:
        """Take ``quantity`` of ``asset`` from its lots; book and return the gain ``proceeds - cost``."""
        pos = self.position(asset)
        taken = pos.pool.take(min(quantity, pos.quantity))
        if taken.unknown_rows:
            pos.realized_unknown_rows.extend(taken.unknown_rows)
        pos.realized += proceeds - taken.cost
        self.disposals.append(Disposal(tx.row, tx.time, asset, taken.quantity, proceeds, taken.cost))
        self.record(tx.day, pos)
        return proceeds - taken.cost

    def acquire(self, tx: Transaction, asset: str, quantity: float, cost: float) -> None:
        pos = self.position(asset)
        pos.pool.add(quantity, cost, tx.time, tx.row)
        if math.isnan(cost):
            pos.unknown_cost_rows.append(tx.row)
        self.record(tx.day, pos)

    def close(self, asset: str, day: dt.date) -> float:
        value = self.mark(asset, day)
        return math.nan if value is None else float(value)

    # -- fees --------------------------------------------------------------------------------------
    def fee_check(self, tx: Transaction, also_spent: float = 0.0, received: float = 0.0) -> RowError | None:
        """An error when the coins a fee is paid in are not there (``also_spent`` / ``received``:
        units of the row's own asset it spends or receives besides the fee)."""
        if tx.fee_asset is None or tx.fee_quantity <= 0:
            return None
        if tx.fee_asset != tx.asset:
            return self.need(tx, tx.fee_asset, tx.fee_quantity, "pays a fee of")
        if received:
            return (
                None
                if tx.fee_quantity <= (self.available(tx.asset) + received) * (1 + DUST)
                else RowError(
                    tx.row,
                    "fee_quantity",
                    f"the fee of {tx.fee_quantity:g} {tx.asset} exceeds what is held and received",
                )
            )
        return self.need(tx, tx.asset, tx.fee_quantity + also_spent, "spends (fee included)")

    def pay_fee(self, tx: Transaction) -> None:
        """Pay the row's fee: coins disposed of at the fee's value, or cash (see the module doc)."""
        if tx.fee_asset is not None and tx.fee_quantity > 0:
            self.dispose(tx, tx.fee_asset, tx.fee_quantity, tx.fee)
        elif tx.fee:
            self.set_cash(tx.day, self.cash - tx.fee)

    def expense_fee(self, tx: Transaction, asset: str | None) -> None:
        """Pay a fee that is a cost of its own: negative realized P&L of ``asset`` (None: of cash)."""
        if not tx.fee and not tx.fee_quantity:
            return
        self.pay_fee(tx)
        if asset is None:
            self.cash_realized -= tx.fee
        else:
            self.position(asset).realized -= tx.fee

    def value_out(self, tx: Transaction, quantity: float) -> float:
        """Coins crossing the ledger's boundary count at the day's close (NaN, and noted, when unknown)."""
        close = self.close(tx.asset, tx.day)
        if math.isnan(close):
            self.unvalued.append((tx.row, tx.asset, tx.day))
        return quantity * close

    # -- one transaction ---------------------------------------------------------------------------
    def apply(self, tx: Transaction) -> RowError | None:
        handler = self._income if tx.kind in INCOME_KINDS else getattr(self, f"_{tx.kind.value}")
        return handler(tx)

    def _buy(self, tx: Transaction) -> RowError | None:
        if err := self.fee_check(tx, received=tx.quantity):
            return err
        self.acquire(tx, tx.asset, tx.quantity, tx.quantity * tx.price + tx.fee)
        self.set_cash(tx.day, self.cash - tx.quantity * tx.price)
        self.pay_fee(tx)
        return None

    def _sell(self, tx: Transaction) -> RowError | None:
        if err := self.need(tx, tx.asset, tx.quantity, "sells") or self.fee_check(tx, also_spent=tx.quantity):
            return err
        gross = tx.quantity * tx.price
        self.dispose(tx, tx.asset, tx.quantity, gross - tx.fee)
        self.set_cash(tx.day, self.cash + gross)
        self.pay_fee(tx)
        return None

    def _deposit(self, tx: Transaction) -> RowError | None:
        if err := self.fee_check(tx):
            return err
        amount = cash_amount(tx)
        self.flow(self.inflows, tx.day, amount)
        self.set_cash(tx.day, self.cash + amount)
        self.expense_fee(tx, None)
        return None

    def _withdrawal(self, tx: Transaction) -> RowError | None:
        amount = cash_amount(tx)
        spent = amount + (0.0 if tx.fee_asset else tx.fee)
        if spent > self.cash * (1 + DUST) + 1e-9:
            return RowError(
                tx.row, "quantity",
                f"withdraws {spent:,.2f} {self.currency} (fee included) but the cash balance is "
                f"{self.cash:,.2f} on {tx.day}",
            )  # fmt: skip
        if err := self.fee_check(tx):
            return err
        self.flow(self.outflows, tx.day, amount)
        self.set_cash(tx.day, max(self.cash - spent, 0.0))
        if tx.fee_asset:
            self.expense_fee(tx, None)
        else:
            self.cash_realized -= tx.fee
        return None

    def _transfer_out(self, tx: Transaction) -> RowError | None:
        if err := self.need(tx, tx.asset, tx.quantity, "transfers out") or self.fee_check(tx, also_spent=tx.quantity):
            return err
        self.position(tx.asset).in_transit += tx.quantity
        self.expense_fee(tx, tx.asset)
        return None

    def _transfer_in(self, tx: Transaction) -> RowError | None:
        if err := self.fee_check(tx, received=tx.quantity):
            return err
        pos = self.position(tx.asset)
        matched = min(tx.quantity, pos.in_transit)
        pos.in_transit = 0.0 if pos.in_transit - matched <= pos.quantity * DUST else pos.in_transit - matched
        outside = tx.quantity - matched
        if outside > tx.quantity * DUST:  # nothing (or too little) in transit: coins from outside the ledger
            self.acquire(tx, tx.asset, outside, outside * tx.price if tx.price is not None else math.nan)
            self.flow(self.inflows_at_close, tx.day, self.value_out(tx, outside))
        self.expense_fee(tx, tx.asset)
        return None

    def _fee(self, tx: Transaction) -> RowError | None:
        if is_cash_row(tx):
            amount = cash_amount(tx)
            self.set_cash(tx.day, self.cash - amount)
            self.cash_realized -= amount
            self.expense_fee(tx, None)
            return None
        if err := self.need(tx, tx.asset, tx.quantity, "pays a fee of") or self.fee_check(tx, also_spent=tx.quantity):
            return err
        self.dispose(tx, tx.asset, tx.quantity, 0.0)  # the coins bought nothing but the service
        self.expense_fee(tx, tx.asset)
        return None

    def _income(self, tx: Transaction) -> RowError | None:
        if err := self.fee_check(tx, received=tx.quantity):
            return err
        price = tx.price if tx.price is not None else self.mark(tx.asset, tx.day)
        if price is None or not math.isfinite(price):
            return RowError(
                tx.row, "price",
                f"a {tx.kind.value} enters at market value: give its price or a {tx.asset} close for {tx.day}",
            )  # fmt: skip
        value = tx.quantity * price
        self.acquire(tx, tx.asset, tx.quantity, value)
        self.position(tx.asset).income += value
        self.expense_fee(tx, tx.asset)
        return None

    def _opening_balance(self, tx: Transaction) -> RowError | None:
        if err := self.fee_check(tx, received=tx.quantity):
            return err
        self.acquire(tx, tx.asset, tx.quantity, tx.quantity * tx.price if tx.price is not None else math.nan)
        self.flow(self.inflows_at_close, tx.day, self.value_out(tx, tx.quantity))
        self.expense_fee(tx, tx.asset)
        return None

    def _adjustment(self, tx: Transaction) -> RowError | None:
        if tx.quantity > 0:
            return self._opening_balance(tx)
        q = -tx.quantity
        if err := self.need(tx, tx.asset, q, "removes") or self.fee_check(tx, also_spent=q):
            return err
        pos = self.position(tx.asset)
        pos.pool.take(min(q, pos.quantity))  # the cost basis leaves with the coins: an edit is no P&L
        self.record(tx.day, pos)
        self.flow(self.outflows, tx.day, self.value_out(tx, q))
        self.expense_fee(tx, tx.asset)
        return None


def run_ledger(
    transactions: Iterable[Transaction],
    method: str = "fifo",
    *,
    mark: Mark | None = None,
    currency: str = LEDGER_CURRENCY,
) -> Ledger:
    """Apply ``transactions`` in time order under a cost-basis ``method``.

    Parameters
    ----------
    transactions
        Records in the ledger ``currency`` (any order; same-instant rows keep their order).
    method
        ``"fifo"``, ``"lifo"``, ``"hifo"`` or ``"average"``.
    mark
        Daily closes used to value coins entering or leaving from outside the ledger and income
        received without a price.
    currency
        The cash currency (every monetary field is in it).

    Raises
    ------
    LedgerError
        Every row at fault, in one pass: invalid records, and rows the ledger cannot apply (selling
        or transferring more than is held, withdrawing more cash than there is, income without a
        value). A row that fails is skipped so that later rows are still checked; nothing is returned.
    """
    txs = ordered(transactions)
    errors = [e for tx in txs for e in check(tx)]
    if not txs and not errors:
        errors.append(RowError(0, "", "there are no transactions"))
    for tx in txs:
        if tx.currency != currency:
            errors.append(RowError(tx.row, "currency", f"is {tx.currency}, the ledger runs in {currency}"))
    if errors:
        raise LedgerError(errors)
    run = _Run(method, mark, currency)
    for tx in txs:
        if err := run.apply(tx):
            errors.append(err)
    if errors:
        raise LedgerError(errors)
    return Ledger(
        positions=run.positions,
        cash=run.cash,
        cash_realized=run.cash_realized,
        disposals=run.disposals,
        holdings=run.holdings,
        cash_balances=run.cash_balances,
        inflows=run.inflows,
        outflows=run.outflows,
        inflows_at_close=run.inflows_at_close,
        currency=currency,
        method=method,
        first_day=txs[0].day,
        last_day=txs[-1].day,
        transactions=len(txs),
        unvalued=run.unvalued,
    )
