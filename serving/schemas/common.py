"""Shared pieces of the request and response structs."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import msgspec

SYMBOL = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9.]{1,15}$", description="asset symbol, e.g. BTC")]
CURRENCY = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3,5}$", description="ISO-like currency code, e.g. USD")]
# numeric(38, 18) holds 20 integer digits; refuse more here rather than as a database error.
MAX_QUANTITY = Decimal("1e20")
MAX_MONEY = Decimal("1e28")


def field_error(field: str, message: str) -> ValueError:
    """An error raised from ``__post_init__`` that still names its field: msgspec's own
    ``- at `$.field``` suffix is what Litestar parses into the problem's ``field``."""
    return ValueError(f"{message} - at `$.{field}`")


def check_amount(field: str, value: Decimal | None, ceiling: Decimal) -> None:
    if value is None:
        return
    if not value.is_finite() or value < 0 or value >= ceiling:
        raise field_error(field, f"must be a finite number >= 0 and < {ceiling:.0E}")
