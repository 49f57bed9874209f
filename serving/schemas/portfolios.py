"""Portfolios, holdings, wallets and the portfolio summary."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import msgspec

from serving.schemas.common import CURRENCY, MAX_MONEY, MAX_QUANTITY, SYMBOL, check_amount, field_error

NAME = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
DESCRIPTION = Annotated[str, msgspec.Meta(max_length=1000)]


def _check_name(name: str) -> None:
    if not name.strip():
        raise field_error("name", "must not be blank")


class PortfolioIn(msgspec.Struct, forbid_unknown_fields=True):
    name: NAME
    description: DESCRIPTION | None = None
    base_currency: CURRENCY = "USD"

    def __post_init__(self) -> None:
        _check_name(self.name)
        self.name = self.name.strip()


class PortfolioPatch(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: NAME | msgspec.UnsetType = msgspec.UNSET
    description: DESCRIPTION | None | msgspec.UnsetType = msgspec.UNSET
    base_currency: CURRENCY | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if self.name is not msgspec.UNSET:
            _check_name(self.name)
            self.name = self.name.strip()


class PortfolioOut(msgspec.Struct):
    id: int
    name: str
    description: str | None
    base_currency: str
    created_at: datetime
    updated_at: datetime


class HoldingIn(msgspec.Struct, forbid_unknown_fields=True):
    symbol: SYMBOL
    quantity: Decimal
    cost_basis: Decimal | None = None

    def __post_init__(self) -> None:
        self.symbol = self.symbol.upper()
        check_amount("quantity", self.quantity, MAX_QUANTITY)
        check_amount("cost_basis", self.cost_basis, MAX_MONEY)


class HoldingPatch(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    quantity: Decimal | msgspec.UnsetType = msgspec.UNSET
    cost_basis: Decimal | None | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if self.quantity is not msgspec.UNSET:
            check_amount("quantity", self.quantity, MAX_QUANTITY)
        if self.cost_basis is not msgspec.UNSET:
            check_amount("cost_basis", self.cost_basis, MAX_MONEY)


class HoldingOut(msgspec.Struct):
    id: int
    portfolio_id: int
    symbol: str
    quantity: Decimal
    cost_basis: Decimal | None
    source: str
    created_at: datetime
    updated_at: datetime


class ImportResult(msgspec.Struct):
    rows: int
    created: int
    updated: int


class WalletIn(msgspec.Struct, forbid_unknown_fields=True):
    address: Annotated[str, msgspec.Meta(pattern=r"^0x[0-9a-fA-F]{40}$", description="Ethereum address")]
    chain_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] = 1
    label: Annotated[str, msgspec.Meta(max_length=100)] | None = None

    def __post_init__(self) -> None:
        self.address = self.address.lower()


class WalletOut(msgspec.Struct):
    id: int
    portfolio_id: int
    chain_id: int
    address: str
    label: str | None
    last_synced_at: datetime | None
    created_at: datetime


class PositionOut(msgspec.Struct):
    symbol: str
    quantity: Decimal
    cost_basis: Decimal | None
    price: float | None
    price_time: datetime | None
    value: float | None
    weight: float | None
    pnl: float | None


class SummaryOut(msgspec.Struct):
    """Value at the latest price of each asset (USD); P&L only over holdings with a cost basis."""

    portfolio_id: int
    base_currency: str
    value: float | None
    cost_basis: float | None
    pnl: float | None
    pnl_pct: float | None
    as_of: datetime | None
    positions: list[PositionOut]
    unpriced: list[str]
