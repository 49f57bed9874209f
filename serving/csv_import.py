"""Parse a holdings CSV (``symbol,quantity[,cost_basis]``) into validated rows or per-row errors."""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from typing import Any

from serving.schemas.common import MAX_MONEY, MAX_QUANTITY

MAX_ROWS = 5000
Entry = tuple[str, Decimal, Decimal | None]


def _error(row: int, field: str, message: str) -> dict[str, Any]:
    return {"key": field, "row": row, "message": message, "source": "body"}


def _amount(text: str, ceiling: Decimal) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() and 0 <= value < ceiling else None


def parse_holdings_csv(body: bytes) -> tuple[list[Entry], list[dict[str, Any]]]:
    """Rows are numbered as in a spreadsheet (the header is row 1). Returns (entries, errors);
    entries are only meaningful when errors is empty."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [_error(0, "file", "the file is not UTF-8 text")]
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "symbol" not in header or "quantity" not in header:
        return [], [_error(1, "header", "the header must name the columns symbol and quantity (cost_basis optional)")]
    reader.fieldnames = header
    entries: list[Entry] = []
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            return [], [_error(number, "file", f"at most {MAX_ROWS} rows per import")]
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        symbol = row.get("symbol", "").upper()
        quantity = _amount(row.get("quantity", ""), MAX_QUANTITY)
        cost_text = row.get("cost_basis", "")
        cost = _amount(cost_text, MAX_MONEY) if cost_text else None
        if not symbol or len(symbol) > 15 or not all(c.isalnum() or c == "." for c in symbol):
            errors.append(_error(number, "symbol", f"invalid symbol {row.get('symbol', '')!r}"))
        elif symbol in seen:
            errors.append(_error(number, "symbol", f"{symbol} already appears on row {seen[symbol]}"))
        else:
            seen[symbol] = number
        if quantity is None:
            errors.append(_error(number, "quantity", f"must be a number >= 0, got {row.get('quantity', '')!r}"))
        if cost_text and cost is None:
            errors.append(_error(number, "cost_basis", f"must be a number >= 0 or empty, got {cost_text!r}"))
        if quantity is not None and (not cost_text or cost is not None):
            entries.append((symbol, quantity, cost))
    if not entries and not errors:
        errors.append(_error(2, "file", "the file has no rows"))
    return entries, errors


def unknown_symbol_errors(entries: list[Entry], unknown: list[str]) -> list[dict[str, Any]]:
    """Row errors for symbols the database does not know (rows numbered as in the file)."""
    return [
        _error(number, "symbol", f"unknown symbol {symbol}")
        for number, (symbol, _, _) in enumerate(entries, start=2)
        if symbol in unknown
    ]
