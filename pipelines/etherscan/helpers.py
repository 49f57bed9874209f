"""Etherscan API V2: client, response shapes (msgspec Structs) and parsers to wallet frames.

Etherscan answers errors with HTTP 200 and ``{"status": "0", "message": "NOTOK", "result": <text>}``;
those are raised (rate limits as ``RateLimited``, so they are retried). ``status "0"`` with
``"No transactions found"`` (or another "No ... found") is an empty result, not an error.
Numbers arrive as strings; amounts are integer strings in the token's smallest unit, and frames
carry whole tokens as exact decimals. A row that does not fit its shape refuses the wallet's
whole history, naming the wallet and the row's JSON path: a history with a row left out would
make the balances derived from it wrong.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

import msgspec
import polars as pl
from msgspec import Meta, Struct, field

from pipelines.contracts import UTC_US, WalletBalanceFrame, WalletTransactionFrame, schema, validate
from pipelines.decoding import Digits, Positive, decode
from pipelines.errors import ApiError, RateLimited
from pipelines.etherscan import settings as s
from pipelines.etherscan.settings import EtherscanSettings
from pipelines.http import Endpoint, Policy, ProviderClient, ProviderHttp, StateStore
from pipelines.times import utc

SOURCE = "etherscan"
log = logging.getLogger(__name__)
# wallet_* columns are numeric(38, 18): at most 20 digits before the point.
MAX_AMOUNT = Decimal(10) ** 20
NATIVE_DECIMALS = 18
NATIVE_SYMBOL = {1: "ETH", 10: "ETH", 8453: "ETH", 42161: "ETH", 56: "BNB", 137: "POL"}


def check_body(endpoint: Endpoint, data: Any) -> None:
    """Raise for Etherscan's HTTP-200 error envelopes; let data and empty results through."""
    if not isinstance(data, dict) or "status" not in data:
        return
    if str(data.get("status")) == "1":
        return
    message = str(data.get("message", ""))
    result = data.get("result")
    text = result if isinstance(result, str) else message
    if message.startswith("No ") and message.endswith("found"):
        return
    lowered = text.lower()
    if "rate limit" in lowered:
        # Per-second budget: a one-second pause restores it.
        raise RateLimited(s.PROVIDER, endpoint.name, f"{message}: {text}", retry_after=1.0)
    raise ApiError(s.PROVIDER, endpoint.name, f"{message}: {text}")



# --- response shapes ---------------------------------------------------------------------------------

R = TypeVar("R")
Amount = int | Digits  # in the smallest unit; a string, so that no float ever holds it
Count = int | Annotated[str, Meta(pattern=r"^[0-9]*$")]  # "" where it does not apply
Epoch = Annotated[int, Meta(ge=0, le=253_402_300_799)]  # seconds, up to 9999-12-31
# Internal calls: "0", or a path in the call tree ("0_1_1") from the newer API.
TraceId = int | Annotated[str, Meta(pattern=r"^([0-9]+(_[0-9]+)*)?$")]


class Envelope(Struct, Generic[R]):
    """Every answer: status "1" with data, or "0" with an error text or an empty result."""

    status: str | int
    result: R
    message: str = ""


class Balance(Struct):
    """A ``balancemulti`` row: the native balance in wei."""

    account: str
    balance: Amount


class EthPrice(Struct):
    """``stats/ethprice``."""

    ethbtc: Positive
    ethbtc_timestamp: Epoch
    ethusd: Positive
    ethusd_timestamp: Epoch


class Transaction(Struct, kw_only=True):
    """A ``txlist`` row; the fields ``txlistinternal`` and ``tokentx`` rows share.

    (``txlistinternal`` by transaction hash omits ``hash``; the wallet queries always send it.)
    """

    hash: str
    blockNumber: Annotated[int, Meta(ge=0)]
    timeStamp: Epoch
    from_: str = field(name="from")
    to: str | None = None  # "" for a contract creation
    value: Amount
    gasUsed: Count = ""
    isError: Count = "0"  # tokentx rows carry none


class InternalTransaction(Transaction, kw_only=True):
    traceId: TraceId = ""


class TokenTransfer(Transaction, kw_only=True):
    contractAddress: str
    tokenDecimal: Annotated[int, Meta(ge=0, le=255)]
    tokenSymbol: str | None = None
    logIndex: Count = ""  # older answers carry none


class _Block(Struct):
    blockNumber: Annotated[int, Meta(ge=0)]


class _Position(Struct):
    hash: str = ""
    logIndex: Count = ""
    traceId: TraceId = ""


ROWS: dict[str, type[Transaction]] = {"normal": Transaction, "internal": InternalTransaction, "erc20": TokenTransfer}
ENDPOINTS = {"normal": s.TXLIST, "internal": s.TXLIST_INTERNAL, "erc20": s.TOKENTX}


def decode_result(data: Any, type: type[R], endpoint: Endpoint, *, about: str = "") -> R:
    """The ``result`` of an answer as ``type``.

    ``data`` is either the result itself, decoded JSON (what the client methods return), or a
    whole response body as bytes: then the envelope is read first and its error texts raised
    like the client does, and only the result is decoded into ``type``.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        envelope = decode(data, Envelope[msgspec.Raw], provider=s.PROVIDER, endpoint=endpoint.name)
        if str(envelope.status) != "1":
            check_body(endpoint, {"status": envelope.status, "message": envelope.message,
                                  "result": msgspec.json.decode(envelope.result)})
        data = envelope.result
    return decode(data, type, provider=s.PROVIDER, endpoint=endpoint.name, path="result", about=about)


class EtherscanClient(ProviderClient):
    """The real Etherscan API V2 (``chainid`` on every call) behind the shared resilience layer.

    Methods return results as sent (dlt lands them raw), after checking their shapes.
    """

    def __init__(self, settings: EtherscanSettings | None = None, *, store: StateStore | None = None,
                 policy: Policy | None = None, **http_options: Any) -> None:
        self.settings = settings or EtherscanSettings()
        self.http = ProviderHttp(
            s.PROVIDER,
            self.settings.base_url,
            policy or self.settings.policy(),
            store=store,
            check_body=check_body,
            secret_params=frozenset({"apikey"}),
            **http_options,
        )

    def _call(self, endpoint: Endpoint, module: str, action: str, *, use_cache: bool = True, **params: Any) -> Any:
        query = {"chainid": self.settings.chain_id, "module": module, "action": action, **params}
        if self.settings.api_key:
            query["apikey"] = self.settings.api_key
        body = self.http.get(endpoint, query, use_cache=use_cache)
        return decode(body, Envelope[Any], provider=s.PROVIDER, endpoint=endpoint.name).result

    def balance(self, address: str) -> str:
        sent = self._call(s.BALANCE, "account", "balance", address=address.lower(), tag="latest")
        decode_result(sent, Digits, s.BALANCE, about=f"wallet {address.lower()}")
        return sent

    def balances(self, addresses: Sequence[str]) -> list[dict]:
        """``balancemulti`` in chunks of 20 addresses (the API's limit)."""
        out: list[dict] = []
        for i in range(0, len(addresses), 20):
            chunk = ",".join(a.lower() for a in addresses[i : i + 20])
            rows = self._call(s.BALANCE_MULTI, "account", "balancemulti", address=chunk, tag="latest")
            decode_result(rows, list[Balance], s.BALANCE_MULTI)
            out += rows
        return out

    def ethprice(self, *, use_cache: bool = True) -> dict:
        sent = self._call(s.ETHPRICE, "stats", "ethprice", use_cache=use_cache)
        decode_result(sent, EthPrice, s.ETHPRICE)
        return sent

    def _pages(self, endpoint: Endpoint, action: str, address: str, start_block: int,
               page_size: int, **extra: Any) -> Iterator[list[dict]]:
        """Pages in ascending block order from ``start_block`` until a short page.

        Past the 10,000-row window the query restarts at the last block seen; the rows of that
        block already yielded come first again (same order) and are skipped.
        """
        page, block, skip = 1, start_block, 0
        while True:
            rows = self._call(endpoint, "account", action, address=address.lower(), startblock=block,
                              endblock=99_999_999, page=page, offset=page_size, sort="asc", **extra)
            blocks = decode_result(rows, list[_Block], endpoint, about=f"wallet {address.lower()}")
            yield rows[skip:] if page == 1 else rows
            if len(rows) < page_size:
                return
            if (page + 1) * page_size > s.MAX_WINDOW_ROWS:
                block = blocks[-1].blockNumber
                skip = sum(1 for b in blocks if b.blockNumber == block)
                page = 1
                if skip == len(rows):
                    raise ApiError(s.PROVIDER, endpoint.name,
                                   f"block {block} alone holds more than {page_size} rows; use a larger page size")
            else:
                page += 1

    def transactions(self, address: str, *, start_block: int = 0, page_size: int = s.PAGE_SIZE) -> Iterator[list[dict]]:
        return self._pages(s.TXLIST, "txlist", address, start_block, page_size)

    def internal_transactions(self, address: str, *, start_block: int = 0,
                              page_size: int = s.PAGE_SIZE) -> Iterator[list[dict]]:
        return self._pages(s.TXLIST_INTERNAL, "txlistinternal", address, start_block, page_size)

    def token_transfers(self, address: str, *, start_block: int = 0, contract: str | None = None,
                        page_size: int = s.PAGE_SIZE) -> Iterator[list[dict]]:
        extra = {"contractaddress": contract.lower()} if contract else {}
        return self._pages(s.TOKENTX, "tokentx", address, start_block, page_size, **extra)


# --- parsers ---------------------------------------------------------------------------------------


def parse_balances(result: Any, *, chain_id: int = 1, at: dt.datetime | None = None,
                   address: str | None = None) -> pl.DataFrame:
    """``balance`` (a wei string, with ``address``) or ``balancemulti`` rows -> WalletBalanceFrame (native coin).

    Either the result (decoded JSON) or a whole response body (bytes).
    """
    endpoint = s.BALANCE if isinstance(result, str) or address is not None else s.BALANCE_MULTI
    at = utc(at or dt.datetime.now(dt.UTC))
    entries = decode_result(result, Digits | list[Balance], endpoint)
    if isinstance(entries, str):
        if address is None:
            raise ValueError("parse_balances needs the address for a single-balance result")
        entries = [Balance(account=address, balance=entries)]
    frame = pl.DataFrame({
        "chain_id": [chain_id] * len(entries),
        "address": [e.account.lower() for e in entries],
        "token_address": [""] * len(entries),
        "symbol": [NATIVE_SYMBOL.get(chain_id, "ETH")] * len(entries),
        "balance": [Decimal(e.balance).scaleb(-NATIVE_DECIMALS) for e in entries],
        "time": [at] * len(entries),
        "source": [SOURCE] * len(entries),
    }, schema=schema(WalletBalanceFrame))
    return validate(frame, WalletBalanceFrame, provider=s.PROVIDER, endpoint=endpoint.name)


def parse_transactions(rows: Any, address: str, kind: str, *, chain_id: int = 1) -> pl.DataFrame:
    """``txlist`` / ``txlistinternal`` / ``tokentx`` rows -> WalletTransactionFrame.

    ``rows`` is the wallet's history: decoded rows (extra keys ignored), or one response body as
    bytes. A row that does not fit its shape refuses the whole history (``MalformedResponse``
    naming the wallet and e.g. ``result[3].blockNumber``).
    """
    endpoint = ENDPOINTS[kind]
    wallet = address.lower()
    txs = decode_result(rows, list[ROWS[kind]], endpoint, about=f"wallet {wallet}, whose {kind} history is refused whole")
    ordinal: dict[str, int] = defaultdict(int)
    erc20 = kind == "erc20"
    decimals = [t.tokenDecimal for t in txs] if erc20 else [NATIVE_DECIMALS] * len(txs)
    columns: dict[str, list] = {
        "tx_hash": [t.hash for t in txs],
        "log_index": [_log_index(kind, t.hash, _sent_index(t), ordinal) for t in txs],
        "block_number": [t.blockNumber for t in txs],
        "time": [t.timeStamp for t in txs],
        "from_address": [t.from_.lower() for t in txs],
        "to_address": [(t.to or "").lower() for t in txs],
        "value": [Decimal(t.value).scaleb(-d) for t, d in zip(txs, decimals, strict=True)],
        "token_address": [t.contractAddress.lower() for t in txs] if erc20 else [""] * len(txs),
        "token_symbol": [t.tokenSymbol for t in txs] if erc20 else [None] * len(txs),
        "token_decimals": decimals if erc20 else [None] * len(txs),
        "gas_used": [int(t.gasUsed) if t.gasUsed != "" else None for t in txs],
        "is_error": [str(t.isError) == "1" for t in txs],
    }
    columns = _drop_unrepresentable(columns, kind, endpoint.name)
    types = schema(WalletTransactionFrame)
    frame = pl.DataFrame(columns, schema={**{k: types[k] for k in columns}, "time": pl.Int64}).select(
        pl.lit(chain_id, types["chain_id"]).alias("chain_id"),
        pl.lit(wallet).alias("address"),
        "tx_hash",
        pl.lit(kind).alias("kind"),
        "log_index",
        "block_number",
        pl.from_epoch("time", "s").dt.replace_time_zone("UTC").cast(UTC_US),
        *(name for name in types if name not in ("chain_id", "address", "tx_hash", "kind", "log_index",
                                                  "block_number", "time")),
    )
    return validate(frame, WalletTransactionFrame, provider=s.PROVIDER, endpoint=endpoint.name)


def log_index(row: Mapping[str, Any], kind: str, ordinal: dict[str, int], path: str = "result") -> int:
    """``logIndex`` (token transfers) or ``traceId`` (internal calls) when sent, else the row's
    position among the answer's rows of the same transaction; -1 for a normal transaction.

    ``ordinal`` counts the rows seen per transaction hash; pass one dict for all rows of an answer.
    """
    sent = decode(row, _Position, provider=s.PROVIDER, endpoint=ENDPOINTS[kind].name, path=path)
    return _log_index(kind, sent.hash, sent.logIndex if kind == "erc20" else sent.traceId, ordinal)


def _sent_index(tx: Transaction) -> int | str:
    if isinstance(tx, TokenTransfer):
        return tx.logIndex
    return tx.traceId if isinstance(tx, InternalTransaction) else ""


def _log_index(kind: str, tx_hash: str, sent: int | str, ordinal: dict[str, int]) -> int:
    position = ordinal[tx_hash]
    ordinal[tx_hash] += 1
    if kind == "normal":
        return -1
    if isinstance(sent, int):
        return sent
    # Not sent (older answers), or a call-tree path ("0_1_1"): the position stands in.
    return int(sent) if sent.isdigit() else position


def _drop_unrepresentable(columns: dict[str, list], kind: str, endpoint: str) -> dict[str, list]:
    """Leave out tokens with amounts beyond numeric(38, 18) (spam tokens with absurd supplies).

    All transfers of such a token go, not just the oversized ones: a partial history would make
    its derived balance wrong. The warning names the token so the omission is visible.
    """
    tokens = columns["token_address"]
    too_big = {token for token, value in zip(tokens, columns["value"], strict=True) if value >= MAX_AMOUNT}
    if not too_big:
        return columns
    for token in sorted(too_big):
        log.warning("%s %s: left out %d %s transfer(s) of token %r: amounts exceed 10^20 whole tokens",
                    s.PROVIDER, endpoint, tokens.count(token), kind, token or "native")
    keep = [token not in too_big for token in tokens]
    return {name: [v for v, k in zip(values, keep, strict=True) if k] for name, values in columns.items()}


def token_balances(transfers: pl.DataFrame, *, at: dt.datetime | None = None) -> pl.DataFrame:
    """ERC-20 balances derived from a wallet's complete transfer history (in minus out).

    Only exact when the history is complete; a token whose derived balance is negative proves
    the history is not (or the token rebases) and is left out rather than reported wrong.
    """
    at = utc(at or dt.datetime.now(dt.UTC))
    erc20 = transfers.filter(pl.col("kind") == "erc20")
    totals: dict[tuple[int, str, str], list] = {}
    for row in erc20.iter_rows(named=True):
        key = (row["chain_id"], row["address"], row["token_address"])
        entry = totals.setdefault(key, [row["token_symbol"] or "", Decimal(0)])
        if row["to_address"] == row["address"]:
            entry[1] += row["value"]
        if row["from_address"] == row["address"]:
            entry[1] -= row["value"]
    rows = [
        {"chain_id": chain, "address": addr, "token_address": token, "symbol": symbol, "balance": balance,
         "time": at, "source": SOURCE}
        for (chain, addr, token), (symbol, balance) in sorted(totals.items())
        if balance >= 0
    ]
    return validate(pl.DataFrame(rows, schema=schema(WalletBalanceFrame)), WalletBalanceFrame,
                    provider=s.PROVIDER, endpoint=s.TOKENTX.name)
