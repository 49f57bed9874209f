"""Lots of one asset and the order disposals consume them in: FIFO, LIFO, HIFO and average cost.

A lot is a quantity acquired at one time with its total cost basis (fees included). Lots of an asset
are pooled across wallets and venues (the "universal" method): a transfer between the user's own
wallets moves no lot. A lot whose cost is unknown (coins that entered the ledger without a price)
carries NaN, which every sum it enters propagates, so figures built on it are reported as null.

- FIFO: the oldest lot first. LIFO: the newest first. HIFO: the highest unit cost first (unknown
  cost last). Average: one pool whose unit cost is the running average; lots are kept only for their
  dates and quantities (oldest consumed first), each valued at the pool's average unit cost.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections import deque
from dataclasses import dataclass

from assets.portfolio.lib.constants import DUST


@dataclass(slots=True)
class Lot:
    """An open lot: ``quantity`` units acquired at ``acquired`` for ``cost`` in total (NaN: unknown)."""

    quantity: float
    cost: float
    acquired: dt.datetime
    row: int

    @property
    def unit_cost(self) -> float:
        return self.cost / self.quantity


@dataclass(frozen=True, slots=True)
class Taken:
    """What a disposal consumed: total units and their cost basis, and the rows of lots with unknown cost."""

    quantity: float
    cost: float
    unknown_rows: tuple[int, ...]


def _split(lot: Lot, q: float) -> tuple[float, float]:
    """Take ``q`` units (<= the lot's) from ``lot``; return (units, cost) taken."""
    if q >= lot.quantity * (1 - DUST):
        taken = (lot.quantity, lot.cost)
        lot.quantity = 0.0
        lot.cost = 0.0
        return taken
    cost = lot.cost * (q / lot.quantity)
    lot.quantity -= q
    lot.cost -= cost
    return q, cost


class LotPool:
    """The open lots of one asset under one method (see the module doc)."""

    method: str = ""

    def __init__(self) -> None:
        self.quantity = 0.0

    def add(self, quantity: float, cost: float, acquired: dt.datetime, row: int) -> None:
        raise NotImplementedError

    def take(self, quantity: float) -> Taken:
        """Remove ``quantity`` units (the caller has checked they are held, within :data:`DUST`)."""
        raise NotImplementedError

    def lots(self) -> list[Lot]:
        """Open lots, oldest first, each with its cost basis under this method."""
        raise NotImplementedError

    @property
    def cost(self) -> float:
        raise NotImplementedError

    def _settle(self, quantity: float) -> None:
        self.quantity -= quantity
        if self.quantity <= 0 or not self.lots_left():
            self.quantity = 0.0

    def lots_left(self) -> bool:
        raise NotImplementedError


class _Ordered(LotPool):
    """Lots consumed one at a time in an order given by :meth:`_next` (FIFO, LIFO)."""

    def __init__(self) -> None:
        super().__init__()
        self._lots: deque[Lot] = deque()

    def add(self, quantity, cost, acquired, row) -> None:
        self._lots.append(Lot(quantity, cost, acquired, row))
        self.quantity += quantity

    def _next(self) -> Lot:
        raise NotImplementedError

    def _drop(self) -> None:
        raise NotImplementedError

    def take(self, quantity: float) -> Taken:
        left, cost, unknown = quantity, 0.0, []
        while self._lots and left > quantity * DUST:
            lot = self._next()
            if math.isnan(lot.cost):
                unknown.append(lot.row)
            q, c = _split(lot, left)
            left -= q
            cost += c
            if lot.quantity == 0.0:
                self._drop()
        self._settle(quantity - max(left, 0.0))
        return Taken(quantity - max(left, 0.0), cost, tuple(unknown))

    def lots(self) -> list[Lot]:
        return sorted((Lot(lot.quantity, lot.cost, lot.acquired, lot.row) for lot in self._lots), key=_age)

    @property
    def cost(self) -> float:
        return math.fsum(lot.cost for lot in self._lots)

    def lots_left(self) -> bool:
        return bool(self._lots)


def _age(lot: Lot) -> tuple[dt.datetime, int]:
    return lot.acquired, lot.row


class FifoPool(_Ordered):
    method = "fifo"

    def _next(self) -> Lot:
        return self._lots[0]

    def _drop(self) -> None:
        self._lots.popleft()


class LifoPool(_Ordered):
    method = "lifo"

    def _next(self) -> Lot:
        return self._lots[-1]

    def _drop(self) -> None:
        self._lots.pop()


class HifoPool(LotPool):
    """Highest unit cost first; ties go to the oldest lot, unknown cost comes last."""

    method = "hifo"

    def __init__(self) -> None:
        super().__init__()
        self._heap: list[tuple[float, int, Lot]] = []
        self._seq = 0

    def add(self, quantity, cost, acquired, row) -> None:
        lot = Lot(quantity, cost, acquired, row)
        key = math.inf if math.isnan(cost) else -lot.unit_cost
        heapq.heappush(self._heap, (key, self._seq, lot))
        self._seq += 1
        self.quantity += quantity

    def take(self, quantity: float) -> Taken:
        left, cost, unknown = quantity, 0.0, []
        while self._heap and left > quantity * DUST:
            lot = self._heap[0][2]
            if math.isnan(lot.cost):
                unknown.append(lot.row)
            q, c = _split(lot, left)  # a partial take keeps the unit cost, so the heap stays ordered
            left -= q
            cost += c
            if lot.quantity == 0.0:
                heapq.heappop(self._heap)
        self._settle(quantity - max(left, 0.0))
        return Taken(quantity - max(left, 0.0), cost, tuple(unknown))

    def lots(self) -> list[Lot]:
        return sorted((Lot(lot.quantity, lot.cost, lot.acquired, lot.row) for _, _, lot in self._heap), key=_age)

    @property
    def cost(self) -> float:
        return math.fsum(lot.cost for _, _, lot in self._heap)

    def lots_left(self) -> bool:
        return bool(self._heap)


class AveragePool(LotPool):
    """One pool at the running average unit cost; dates and quantities of lots kept oldest-first."""

    method = "average"

    def __init__(self) -> None:
        super().__init__()
        self._cost = 0.0
        self._dates = FifoPool()  # quantities and dates only; its costs are ignored
        self._unknown: list[int] = []

    def add(self, quantity, cost, acquired, row) -> None:
        self._dates.add(quantity, 0.0, acquired, row)
        self._cost += cost
        if math.isnan(cost):
            self._unknown.append(row)
        self.quantity += quantity

    def take(self, quantity: float) -> Taken:
        held = self.quantity
        taken = self._dates.take(quantity)
        share = 1.0 if taken.quantity >= held * (1 - DUST) else taken.quantity / held
        cost = self._cost * share
        unknown = tuple(self._unknown)
        self._cost -= cost
        self._settle(taken.quantity)
        if self.quantity == 0.0:
            self._cost, self._unknown = 0.0, []  # an emptied pool starts afresh
        return Taken(taken.quantity, cost, unknown)

    def lots(self) -> list[Lot]:
        unit = self._cost / self.quantity if self.quantity else 0.0
        return [Lot(lot.quantity, lot.quantity * unit, lot.acquired, lot.row) for lot in self._dates.lots()]

    @property
    def cost(self) -> float:
        return self._cost

    def lots_left(self) -> bool:
        return self._dates.lots_left()


POOLS: dict[str, type[LotPool]] = {p.method: p for p in (FifoPool, LifoPool, HifoPool, AveragePool)}


def new_pool(method: str) -> LotPool:
    """An empty pool for ``method`` (one of :data:`~assets.portfolio.lib.constants.METHODS`)."""
    try:
        return POOLS[method]()
    except KeyError:
        raise ValueError(f"unknown cost-basis method {method!r} (one of {', '.join(POOLS)})") from None
