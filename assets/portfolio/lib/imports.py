"""Transaction files -> ledger records: our CSV format and presets for Coinbase, Kraken and Binance exports.

One pass over the file reports every row's problem (nothing is half-imported), names the format and
delimiter it detected and the columns it did not expect, and gives every record a stable ``key``
(a hash of the source row) so that importing the same export twice adds nothing the second time.
Rows are numbered as a spreadsheet shows them (line numbers of the file; the header is its line).

Layouts (each learnt from public documentation or public sample exports, cited at its parser;
the tests build their own files in these layouts):

- ``crypto-risk``: ``time,type,symbol,quantity,price_usd,fee_usd`` (ARCHITECTURE.md's ``pnl``
  contract) plus optional ``total_usd``, ``fee_asset``, ``fee_quantity``, ``venue``, ``note``,
  ``external_id``.
- ``coinbase``: the "Transaction history" report (Coinbase app), current and older headers.
- ``kraken``: the "Trades" history export.
- ``binance``: the Spot "Trade History" export, current (amounts with their coin) and legacy layouts.

A trade quoted in a coin (ETH bought with BTC, BTC sold for USDT) becomes two records: the coin given
up is sold and the coin received is bought, both valued at the quote coin's close of the day.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from assets.portfolio.lib.constants import FIAT, LEDGER_CURRENCY
from assets.portfolio.lib.transactions import Kind, RowError, Transaction, check

DELIMITERS = (",", ";", "\t", "|")
#: How many leading lines may precede the header (Coinbase reports open with a title and user lines).
HEADER_SEARCH_LINES = 30


class RowProblem(ValueError):
    """A row that cannot be read: ``column`` in the source's own words."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class ImportResult:
    """What a file held.

    Attributes
    ----------
    format : str
        The detected layout (``crypto-risk``, ``coinbase``, ``kraken``, ``binance``), or "" when the
        header was not recognised.
    delimiter : str
    header_row : int
    rows : int
        Data rows read (blank lines not counted).
    transactions : list[Transaction]
        Records of the rows without errors, in file order (meaningful only when ``errors`` is empty).
    errors : list[RowError]
        Every problem, one per row at most, in row order.
    unknown_columns : list[str]
        Header cells this layout does not define (ignored).
    skipped : list[tuple[int, str]]
        ``(row, why)`` of rows that move nothing in the ledger (e.g. moves between a venue's own
        sub-accounts).
    """

    format: str
    delimiter: str
    header_row: int
    rows: int
    transactions: list[Transaction]
    errors: list[RowError]
    unknown_columns: list[str]
    skipped: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Layout:
    """One file layout: its columns (alternatives per role) and how a row becomes records."""

    name: str
    required: dict[str, tuple[str, ...]]
    optional: dict[str, tuple[str, ...]]
    parse: Callable[[dict[str, str], int], list[Transaction] | str]
    #: Transaction field -> the column named in messages about it.
    fields: dict[str, str]
    case_sensitive: bool = True

    def match(self, header: list[str]) -> dict[str, str] | None:
        """Role -> header cell when every required role is present."""
        cells = header if self.case_sensitive else [h.lower() for h in header]
        found: dict[str, str] = {}
        for role, names in {**self.required, **self.optional}.items():
            for name in names:
                key = name if self.case_sensitive else name.lower()
                if key in cells:
                    found[role] = header[cells.index(key)]
                    break
            else:
                if role in self.required:
                    return None
        return found


# --------------------------------------------------------------------------------------------------
# shared cell readers


def _number(text: str, column: str, *, allow_empty: bool = False) -> float | None:
    t = text.strip().replace(",", "")
    if not t:
        if allow_empty:
            return None
        raise RowProblem(column, "is empty")
    try:
        value = float(t)
    except ValueError:
        raise RowProblem(column, f"is not a number: {text.strip()!r}") from None
    if not math.isfinite(value):
        raise RowProblem(column, f"must be a finite number, got {text.strip()!r}")
    return value


_MONEY = re.compile(r"^\s*(-?)\s*[^\d\s.-]*\s*(-?)\s*([\d,]*\.?\d+(?:[eE][-+]?\d+)?)\s*[^\d\s]*\s*$")


def _money(text: str, column: str, *, allow_empty: bool = True) -> float | None:
    """A money cell that may carry a currency sign (``-€597.49``, ``$70.00``)."""
    if not text.strip():
        if allow_empty:
            return None
        raise RowProblem(column, "is empty")
    m = _MONEY.match(text)
    if not m:
        raise RowProblem(column, f"is not an amount: {text.strip()!r}")
    value = float(m.group(3).replace(",", ""))
    return -value if (m.group(1) or m.group(2)) else value


def _time(text: str, column: str) -> dt.datetime:
    """ISO 8601 (``Z``, an offset, `` UTC`` or nothing: UTC), a date alone meaning its midnight UTC."""
    t = text.strip()
    if t.endswith(" UTC"):
        t = t[:-4]
    try:
        value = dt.datetime.fromisoformat(t)
    except ValueError:
        raise RowProblem(column, f"is not an ISO date or time: {text.strip()!r}") from None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _trade(
    *,
    time: dt.datetime,
    side: Kind,
    base: str,
    base_qty: float,
    quote: str,
    quote_amount: float,
    fee: float,
    fee_asset: str | None,
    row: int,
    venue: str,
    external_id: str = "",
    note: str = "",
) -> list[Transaction]:
    """Records of one trade of ``base_qty`` ``base`` against ``quote_amount`` ``quote``.

    A fiat quote is one buy or sell priced in that currency. A coin quote is two legs at the same
    instant, the disposal first. A fee paid in a coin rides on the leg of that coin (the one that
    receives it when both trade it), otherwise on the base leg.
    """
    if base_qty <= 0:
        raise RowProblem("quantity", f"the traded quantity must be > 0, got {base_qty:g}")
    if quote_amount < 0:
        raise RowProblem("amount", f"the traded amount must be >= 0, got {quote_amount:g}")
    common = dict(time=time, row=row, venue=venue, external_id=external_id, note=note)
    fee_coin = fee_asset if fee_asset and fee_asset not in FIAT else None
    cash_fee = 0.0 if fee_coin else fee
    price = quote_amount / base_qty
    if quote in FIAT:
        if fee_asset and fee_asset in FIAT and fee_asset != quote:
            raise RowProblem("fee", f"the fee is in {fee_asset} but the trade is quoted in {quote}")
        return [
            Transaction(
                kind=side, asset=base, quantity=base_qty, price=price, currency=quote, fee=cash_fee,
                fee_asset=fee_coin, fee_quantity=fee if fee_coin else 0.0, **common,
            )
        ]  # fmt: skip
    if cash_fee:
        raise RowProblem("fee", f"a fee in {fee_asset} on a trade quoted in {quote} cannot be valued")
    fee_kw = dict(fee_asset=fee_coin, fee_quantity=fee) if fee_coin else {}
    base_fee = fee_kw if fee_coin and fee_coin != quote else {}
    quote_fee = fee_kw if fee_coin == quote else {}
    base_leg = Transaction(kind=side, asset=base, quantity=base_qty, price=price, currency=quote, **base_fee, **common)
    quote_kind = Kind.SELL if side is Kind.BUY else Kind.BUY
    quote_leg = Transaction(
        kind=quote_kind, asset=quote, quantity=quote_amount, price=1.0, currency=quote, **quote_fee, **common
    )
    if quote_amount == 0:
        return [base_leg]
    return [quote_leg, base_leg] if side is Kind.BUY else [base_leg, quote_leg]


# --------------------------------------------------------------------------------------------------
# crypto-risk: our own format


def _ours(cells: dict[str, str], row: int) -> list[Transaction]:
    get = cells.get
    time = _time(get("time", ""), "time")
    kind_text = get("type", "").strip().lower()
    try:
        kind = Kind(kind_text)
    except ValueError:
        raise RowProblem(
            "type", f"unknown type {get('type', '').strip()!r} (one of {', '.join(k.value for k in Kind)})"
        ) from None
    symbol = get("symbol", "").strip().upper()
    quantity = _number(get("quantity", ""), "quantity")
    price = _number(get("price_usd", ""), "price_usd", allow_empty=True)
    total = _number(get("total_usd", ""), "total_usd", allow_empty=True)
    if total is not None:
        if total < 0:
            raise RowProblem("total_usd", f"must be >= 0, got {total:g}")
        implied = total / abs(quantity) if quantity else math.nan
        if price is None:
            price = implied
        elif not math.isclose(price, implied, rel_tol=1e-6, abs_tol=1e-9):
            raise RowProblem("total_usd", f"{total:g} is not quantity x price_usd ({abs(quantity) * price:g})")
    fee = _number(get("fee_usd", ""), "fee_usd", allow_empty=True) or 0.0
    fee_asset = get("fee_asset", "").strip().upper() or None
    fee_quantity = _number(get("fee_quantity", ""), "fee_quantity", allow_empty=True) or 0.0
    currency = LEDGER_CURRENCY
    if kind in (Kind.DEPOSIT, Kind.WITHDRAWAL) or (kind is Kind.FEE and symbol in FIAT):
        if symbol not in FIAT:
            raise RowProblem(
                "symbol",
                f"a {kind.value} moves cash: {symbol!r} is not a fiat currency (use transfer_in / transfer_out for coins)",
            )
        if price is None and symbol != LEDGER_CURRENCY:
            currency = symbol  # an amount of that currency, converted at the day's rate
    return [
        Transaction(
            time=time, kind=kind, asset=symbol, quantity=quantity, price=price, currency=currency, fee=fee,
            fee_asset=fee_asset, fee_quantity=fee_quantity, row=row, venue=get("venue", "").strip(),
            note=get("note", "").strip(), external_id=get("external_id", "").strip(),
        )
    ]  # fmt: skip


OURS = Layout(
    name="crypto-risk",
    required={r: (r,) for r in ("time", "type", "symbol", "quantity")},
    optional={
        r: (r,)
        for r in ("price_usd", "fee_usd", "total_usd", "fee_asset", "fee_quantity", "venue", "note", "external_id")
    },
    parse=_ours,
    fields={"price": "price_usd", "fee": "fee_usd", "quantity": "quantity", "symbol": "symbol", "time": "time"},
    case_sensitive=False,
)


# --------------------------------------------------------------------------------------------------
# Coinbase "Transaction history" report.
# Columns and transaction types: Coinbase's CSV as parsed by BittyTax
# (github.com/BittyTax/BittyTax, src/bittytax/conv/parsers/coinbase.py: the v1-v4 headers, "Price
# Currency"/"Spot Price Currency", "Total (inclusive of fees and/or spread)"/"Total (inclusive of
# fees)", the Buy/Sell/Convert notes) and the public sample export of dickwolff/Export-To-Ghostfolio
# (samples/coinbase-export.csv: "2025-01-17 16:57:02 UTC" timestamps, amounts like "-€597.49846").

_COINBASE_TYPES: dict[str, Kind | None] = {
    "buy": Kind.BUY, "advanced trade buy": Kind.BUY, "advance trade buy": Kind.BUY,
    "sell": Kind.SELL, "advanced trade sell": Kind.SELL, "advance trade sell": Kind.SELL,
    "send": Kind.TRANSFER_OUT, "receive": Kind.TRANSFER_IN,
    "pro deposit": Kind.TRANSFER_OUT, "exchange deposit": Kind.TRANSFER_OUT,
    "pro withdrawal": Kind.TRANSFER_IN, "exchange withdrawal": Kind.TRANSFER_IN,
    "staking income": Kind.STAKING_REWARD, "rewards income": Kind.STAKING_REWARD,
    "reward income": Kind.STAKING_REWARD, "inflation reward": Kind.STAKING_REWARD,
    "learning reward": Kind.INCOME, "coinbase earn": Kind.INCOME, "interest payout": Kind.INCOME,
    "subscription rebate": Kind.INCOME, "subscription rebates (24 hours)": Kind.INCOME,
    "deposit": Kind.DEPOSIT, "withdrawal": Kind.WITHDRAWAL, "convert": None,
    "vault withdrawal": None, "cash to savings": None,
}  # fmt: skip
_COINBASE_INTERNAL = frozenset({"vault withdrawal", "cash to savings"})
_CB_TRADE_NOTE = re.compile(r"^(?:Bought|Sold) ([\d,]*\.?\d+) (\w+) for [^\d\s]?([\d,]*\.?\d+) (\w+)")
_CB_CONVERT_NOTE = re.compile(r"^Converted ([\d,]*\.?\d+) (\w+) to ([\d,]*\.?\d+) (\w+)")


def _coinbase(cells: dict[str, str], row: int) -> list[Transaction] | str:
    type_text = cells["type"].strip()
    key = type_text.lower()
    if key not in _COINBASE_TYPES:
        raise RowProblem("type", f"unknown Coinbase transaction type {type_text!r}")
    if key in _COINBASE_INTERNAL:
        return f"{type_text}: a move inside Coinbase"
    time = _time(cells["time"], "time")
    asset = cells["asset"].strip().upper()
    qty = abs(_number(cells["quantity"], "quantity"))
    currency = cells["currency"].strip().upper() or LEDGER_CURRENCY
    spot = _money(cells["price"], "price")
    subtotal = _money(cells.get("subtotal", ""), "subtotal")
    total = _money(cells.get("total", ""), "total")
    fee = abs(_money(cells.get("fees", ""), "fees") or 0.0)
    notes = cells.get("notes", "").strip()
    common = dict(time=time, row=row, venue="Coinbase", external_id=cells.get("id", "").strip(), note=notes)
    kind = _COINBASE_TYPES[key]
    if kind is Kind.TRANSFER_IN and ("Coinbase Earn" in notes or "Coinbase Rewards" in notes):
        kind = Kind.INCOME
    if kind is None:  # Convert: one row for both coins
        m = _CB_CONVERT_NOTE.match(notes)
        if not m:
            raise RowProblem("notes", f"a Convert row needs 'Converted X A to Y B' in Notes, got {notes!r}")
        got_qty, got = float(m.group(3).replace(",", "")), m.group(4).upper()
        value = abs(total if total is not None else subtotal if subtotal is not None else qty * (spot or 0.0))
        return [
            Transaction(kind=Kind.SELL, asset=asset, quantity=qty, price=value / qty, currency=currency, **common),
            Transaction(kind=Kind.BUY, asset=got, quantity=got_qty, price=value / got_qty, currency=currency, **common),
        ]
    if kind in (Kind.BUY, Kind.SELL):
        gross = abs(subtotal) if subtotal is not None else qty * (spot if spot is not None else math.nan)
        m = _CB_TRADE_NOTE.match(notes)
        quote = m.group(4).upper() if m else currency
        if quote not in FIAT and m:
            # An Advanced Trade against a coin: the quote coin's amount includes the fee, so both legs
            # carry the row's total (fees in the buy's cost, out of the sale's proceeds) and no cash moves.
            other = Kind.SELL if kind is Kind.BUY else Kind.BUY
            got = float(m.group(3).replace(",", ""))
            value = abs(total) if total is not None else (gross + fee if kind is Kind.BUY else gross - fee)
            base_leg = Transaction(kind=kind, asset=asset, quantity=qty, price=value / qty, currency=currency, **common)
            quote_leg = Transaction(
                kind=other, asset=quote, quantity=got, price=value / got, currency=currency, **common
            )
            return [quote_leg, base_leg] if kind is Kind.BUY else [base_leg, quote_leg]
        return [
            Transaction(kind=kind, asset=asset, quantity=qty, price=gross / qty, currency=currency, fee=fee, **common)
        ]
    if kind in (Kind.DEPOSIT, Kind.WITHDRAWAL):
        return [Transaction(kind=kind, asset=asset, quantity=qty, currency=asset, fee=fee, **common)]
    if kind in (Kind.TRANSFER_IN, Kind.TRANSFER_OUT):
        return [Transaction(kind=kind, asset=asset, quantity=qty, currency=currency, fee=fee, **common)]
    price = spot if spot is not None else (abs(total) / qty if total is not None else None)
    return [Transaction(kind=kind, asset=asset, quantity=qty, price=price, currency=currency, fee=fee, **common)]


COINBASE = Layout(
    name="coinbase",
    required={
        "time": ("Timestamp",),
        "type": ("Transaction Type",),
        "asset": ("Asset",),
        "quantity": ("Quantity Transacted",),
        "currency": ("Price Currency", "Spot Price Currency"),
        "price": ("Price at Transaction", "Spot Price at Transaction"),
    },
    optional={
        "id": ("ID",),
        "subtotal": ("Subtotal",),
        "total": ("Total (inclusive of fees and/or spread)", "Total (inclusive of fees)"),
        "fees": ("Fees and/or Spread", "Fees"),
        "notes": ("Notes",),
    },
    parse=_coinbase,
    fields={
        "price": "Price at Transaction",
        "quantity": "Quantity Transacted",
        "symbol": "Asset",
        "fee": "Fees and/or Spread",
    },
)


# --------------------------------------------------------------------------------------------------
# Kraken "Trades" export. Fields: Kraken's "How to interpret Trades history fields"
# (support.kraken.com/hc/en-us/articles/360001184886): txid, ordertxid, pair, time (UTC), type
# (buy|sell), ordertype, price, cost (= price x vol, fees excluded), fee (quote currency), vol, margin,
# misc, ledgers; newer exports add postxid, posstatus, cprice, ccost, cfee, cvol, cmargin, net, trades
# (BittyTax's kraken.py lists both headers). Kraken's asset codes (XXBT, ZUSD, XETH, XBT = BTC,
# XDG = DOGE) are normalised as BittyTax does.

_KRAKEN_ALIASES = {"XBT": "BTC", "XDG": "DOGE"}
_KRAKEN_QUOTES = (
    "ZUSD", "ZEUR", "ZGBP", "ZCAD", "ZJPY", "ZCHF", "ZAUD", "XXBT", "XETH", "PYUSD", "USDT", "USDC", "DAI",
    "USD", "EUR", "GBP", "CAD", "JPY", "CHF", "AUD", "AED", "XBT", "ETH", "DOT",
)  # fmt: skip


def kraken_asset(code: str) -> str:
    """Kraken's asset code -> the common symbol (``XXBT`` -> ``BTC``, ``ZUSD`` -> ``USD``, ``ETH.S`` -> ``ETH``)."""
    c = code.strip().upper().split(".")[0]
    if len(c) == 4 and c[0] in "XZ" and c not in ("ZEUS", "XTZ"):
        c = c[1:]
    return _KRAKEN_ALIASES.get(c, c)


def kraken_pair(pair: str) -> tuple[str, str]:
    p = pair.strip().upper()
    if "/" in p:
        base, quote = p.split("/", 1)
        return kraken_asset(base), kraken_asset(quote)
    for q in _KRAKEN_QUOTES:
        if p.endswith(q) and len(p) > len(q):
            return kraken_asset(p[: -len(q)]), kraken_asset(q)
    raise RowProblem("pair", f"cannot tell base and quote apart in pair {pair.strip()!r}")


def _kraken(cells: dict[str, str], row: int) -> list[Transaction]:
    side = {"buy": Kind.BUY, "sell": Kind.SELL}.get(cells["type"].strip().lower())
    if side is None:
        raise RowProblem("type", f"must be buy or sell, got {cells['type'].strip()!r}")
    margin = _number(cells.get("margin", ""), "margin", allow_empty=True) or 0.0
    if margin:
        raise RowProblem(
            "margin", f"a margin trade ({margin:g} margin): leveraged positions are not part of the ledger"
        )
    base, quote = kraken_pair(cells["pair"])
    fee = _number(cells["fee"], "fee", allow_empty=True) or 0.0
    return _trade(
        time=_time(cells["time"], "time"), side=side, base=base, base_qty=_number(cells["vol"], "vol"), quote=quote,
        quote_amount=_number(cells["cost"], "cost"), fee=fee, fee_asset=quote if fee else None, row=row,
        venue="Kraken", external_id=cells["txid"].strip(),
    )  # fmt: skip


KRAKEN = Layout(
    name="kraken",
    required={r: (r,) for r in ("txid", "pair", "time", "type", "price", "cost", "fee", "vol")},
    optional={
        r: (r,)
        for r in (
            "ordertxid",
            "ordertype",
            "margin",
            "misc",
            "ledgers",
            "postxid",
            "posstatus",
            "cprice",
            "ccost",
            "cfee",
            "cvol",
            "cmargin",
            "net",
            "trades",
        )
    },  # fmt: skip
    parse=_kraken,
    fields={"price": "price", "quantity": "vol", "symbol": "pair", "fee": "fee", "amount": "cost"},
)


# --------------------------------------------------------------------------------------------------
# Binance Spot "Trade History" export. Layouts as parsed by BittyTax (binance.py): current
# "Date(UTC),Pair,Side,Price,Executed,Amount,Fee" where Executed, Amount and Fee carry their coin
# ("0.1800000000SOL", "19.8054BUSD", "0.0198054BUSD"), and legacy
# "Date(UTC),Market,Type,Price,Amount,Total,Fee,Fee Coin" with plain numbers. Times are UTC.

_BINANCE_QUOTES = (
    "FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USDP", "DAI", "BTC", "ETH", "BNB", "XRP", "TRX", "DOGE", "DOT",
    "SOL", "EUR", "GBP", "USD", "TRY", "BRL", "AUD", "RUB", "UAH", "ZAR", "JPY", "PLN", "RON", "ARS", "MXN",
    "IDRT", "BIDR", "NGN", "COP", "CZK",
)  # fmt: skip
_AMOUNT_COIN = re.compile(r"^\s*([\d,]*\.?\d+(?:[eE][-+]?\d+)?)\s*([A-Z][A-Z0-9]*)\s*$")


def _split_amount(text: str, column: str, candidates: tuple[str, ...] = ()) -> tuple[float, str | None]:
    """``"0.5BTC"`` -> ``(0.5, "BTC")``; a plain number -> ``(x, None)``. Known coins are tried first
    (a coin may start with a digit: ``1INCH``)."""
    t = text.strip().replace(",", "")
    for coin in candidates:
        if coin and t.upper().endswith(coin) and len(t) > len(coin):
            return _number(t[: -len(coin)], column), coin
    m = _AMOUNT_COIN.match(t.upper())
    if m:
        return _number(m.group(1), column), m.group(2)
    return _number(t, column), None


def binance_pair(pair: str, quote_hint: str | None = None) -> tuple[str, str]:
    p = pair.strip().upper().replace("/", "").replace("-", "")
    for q in ((quote_hint,) if quote_hint else ()) + _BINANCE_QUOTES:
        if p.endswith(q) and len(p) > len(q):
            return p[: -len(q)], q
    raise RowProblem("pair", f"cannot tell base and quote apart in pair {pair.strip()!r}")


def _binance(cells: dict[str, str], row: int) -> list[Transaction]:
    side_text = cells["side"].strip().upper()
    side = {"BUY": Kind.BUY, "SELL": Kind.SELL}.get(side_text)
    if side is None:
        raise RowProblem("side", f"must be BUY or SELL, got {cells['side'].strip()!r}")
    time = _time(cells["time"], "time")
    if "executed" in cells:  # current layout: amounts carry their coin
        amount, quote = _split_amount(cells["amount"], "Amount")
        base, quote = binance_pair(cells["pair"], quote)
        qty, _ = _split_amount(cells["executed"], "Executed", (base,))
        fee, fee_asset = _split_amount(cells["fee"], "Fee", (base, quote, "BNB"))
    else:  # legacy layout
        base, quote = binance_pair(cells["pair"])
        qty = _number(cells["amount"], "Amount")
        amount = _number(cells["total"], "Total")
        fee = _number(cells.get("fee", ""), "Fee", allow_empty=True) or 0.0
        fee_asset = cells.get("fee_coin", "").strip().upper() or None
    if fee and fee_asset is None:
        raise RowProblem("fee", f"names no coin: {cells['fee'].strip()!r}")
    return _trade(
        time=time, side=side, base=base, base_qty=qty, quote=quote, quote_amount=amount, fee=fee or 0.0,
        fee_asset=fee_asset if fee else None, row=row, venue="Binance",
    )  # fmt: skip


BINANCE = Layout(
    name="binance",
    required={
        "time": ("Date(UTC)",),
        "pair": ("Pair", "Market"),
        "side": ("Side", "Type"),
        "price": ("Price",),
        "amount": ("Amount",),
    },
    optional={"executed": ("Executed",), "total": ("Total",), "fee": ("Fee",), "fee_coin": ("Fee Coin",)},
    parse=_binance,
    fields={"price": "Price", "quantity": "Executed", "symbol": "Pair", "fee": "Fee", "amount": "Amount"},
)

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (OURS, COINBASE, KRAKEN, BINANCE)}


# --------------------------------------------------------------------------------------------------


def _find_header(lines: list[str], layouts: list[Layout]) -> tuple[int, str, Layout, list[str]] | None:
    for i, line in enumerate(lines[:HEADER_SEARCH_LINES]):
        if not line.strip():
            continue
        for delim in DELIMITERS:
            if delim not in line and delim != ",":
                continue
            header = [h.strip() for h in next(csv.reader([line], delimiter=delim))]
            for layout in layouts:
                if layout.match(header) is not None:
                    return i, delim, layout, header
    return None


def _canonical(tx: Transaction, layout: str) -> str:
    parts = [layout, tx.external_id] if tx.external_id else [layout]
    parts += [tx.time.isoformat(), tx.kind.value, tx.asset, repr(tx.quantity), repr(tx.price), tx.currency]
    parts += [repr(tx.fee), tx.fee_asset or "", repr(tx.fee_quantity), tx.venue]
    return "|".join(parts)


def parse_transactions(data: bytes | str, *, layout: str | None = None, max_rows: int | None = None) -> ImportResult:
    """Read a transactions file in any known layout (or only ``layout``), reporting every problem.

    Every record gets ``key``: a SHA-256 of its layout, source id or content, and its occurrence
    number among identical rows of the file, so a re-import of the same rows yields the same keys.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return ImportResult("", "", 0, 0, [], [RowError(0, "file", "is not UTF-8 text")], [])
    lines = data.lstrip("\ufeff").splitlines()
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r} (one of {', '.join(LAYOUTS)})")
    found = _find_header(lines, [LAYOUTS[layout]] if layout else list(LAYOUTS.values()))
    if found is None:
        first = next((line for line in lines if line.strip()), "")
        expected = "time,type,symbol,quantity,price_usd,fee_usd or a Coinbase, Kraken or Binance trade export"
        message = (
            f"header not recognised: expected {expected}; the file starts with {first[:80]!r}" if first else "is empty"
        )
        return ImportResult("", "", 0, 0, [], [RowError(1 if first else 0, "header", message)], [])
    index, delim, lay, header = found
    roles = lay.match(header)
    assert roles is not None
    unknown = [h for h in header if h and h not in set(roles.values())]
    result = _Rows(lay, roles, header, max_rows)
    result.read(csv.reader(io.StringIO("\n".join(lines[index + 1 :])), delimiter=delim), header_line=index + 1)
    if not result.rows and not result.errors:
        result.errors.append(RowError(index + 1, "file", "has a header but no rows"))
    return ImportResult(
        lay.name, delim, index + 1, result.rows, result.transactions, result.errors, unknown, result.skipped
    )


class _Rows:
    """The data rows of one file in one layout, read into records, errors and skipped rows."""

    def __init__(self, layout: Layout, roles: dict[str, str], header: list[str], max_rows: int | None) -> None:
        self.layout, self.roles, self.width, self.max_rows = layout, roles, len(header), max_rows
        self.column_of = {role: header.index(name) for role, name in roles.items()}
        self.transactions: list[Transaction] = []
        self.errors: list[RowError] = []
        self.skipped: list[tuple[int, str]] = []
        self.seen: dict[str, int] = {}
        self.rows = 0

    def read(self, reader, header_line: int) -> None:
        end = header_line
        for cells in reader:
            row, end = end + 1, header_line + reader.line_num  # a quoted cell may span lines
            if not any(c.strip() for c in cells):
                continue
            self.rows += 1
            if self.max_rows is not None and self.rows > self.max_rows:
                self.errors.append(RowError(row, "file", f"at most {self.max_rows} rows per import"))
                return
            if len(cells) != self.width:
                self.errors.append(RowError(row, "", f"has {len(cells)} cells, the header has {self.width}"))
                continue
            self.one(row, {role: cells[i] for role, i in self.column_of.items()})

    def one(self, row: int, values: dict[str, str]) -> None:
        lay = self.layout
        try:
            parsed = lay.parse(values, row)
        except RowProblem as exc:
            column = self.roles.get(exc.column) or lay.fields.get(exc.column) or exc.column
            self.errors.append(RowError(row, column, str(exc)))
            return
        if isinstance(parsed, str):
            self.skipped.append((row, parsed))
            return
        problems = [e for tx in parsed for e in check(tx)]
        if problems:
            self.errors.append(RowError(row, lay.fields.get(problems[0].field, problems[0].field), problems[0].message))
            return
        for leg, tx in enumerate(parsed):
            canonical = f"{_canonical(tx, lay.name)}|{leg}"
            n = self.seen.get(canonical, 0)
            self.seen[canonical] = n + 1
            key = hashlib.sha256(f"{canonical}#{n}".encode()).hexdigest()[:32]
            self.transactions.append(dataclasses.replace(tx, key=key))
