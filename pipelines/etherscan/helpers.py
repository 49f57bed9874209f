"""Etherscan API V2: client and parsers to wallet frames.

Etherscan answers errors with HTTP 200 and ``{"status": "0", "message": "NOTOK", "result": <text>}``;
those are raised (rate limits as ``RateLimited``, so they are retried). ``status "0"`` with
``"No transactions found"`` (or another "No ... found") is an empty result, not an error.
Amounts arrive as integer strings in the token's smallest unit; frames carry whole tokens as
exact decimals.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import polars as pl

from pipelines.contracts import WalletBalanceFrame, WalletTransactionFrame, schema, validate
from pipelines.errors import ApiError, RateLimited
from pipelines.etherscan import settings as s
from pipelines.etherscan.settings import EtherscanSettings
from pipelines.http import Endpoint, Policy, ProviderClient, ProviderHttp, StateStore
from pipelines.parsing import Reader, utc

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


class EtherscanClient(ProviderClient):
    """The real Etherscan API V2 (``chainid`` on every call) behind the shared resilience layer."""

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
        r = Reader(s.PROVIDER, endpoint.name)
        return r.get(r.obj(body), "result")

    def balance(self, address: str) -> str:
        return self._call(s.BALANCE, "account", "balance", address=address.lower(), tag="latest")

    def balances(self, addresses: Sequence[str]) -> list[dict]:
        """``balancemulti`` in chunks of 20 addresses (the API's limit)."""
        out: list[dict] = []
        for i in range(0, len(addresses), 20):
            chunk = ",".join(a.lower() for a in addresses[i : i + 20])
            out += Reader(s.PROVIDER, s.BALANCE_MULTI.name).arr(
                self._call(s.BALANCE_MULTI, "account", "balancemulti", address=chunk, tag="latest"), "result")
        return out

    def ethprice(self, *, use_cache: bool = True) -> dict:
        return self._call(s.ETHPRICE, "stats", "ethprice", use_cache=use_cache)

    def _pages(self, endpoint: Endpoint, action: str, address: str, start_block: int,
               page_size: int, **extra: Any) -> Iterator[list[dict]]:
        """Pages in ascending block order from ``start_block`` until a short page.

        Past the 10,000-row window the query restarts at the last block seen; the rows of that
        block already yielded come first again (same order) and are skipped.
        """
        r = Reader(s.PROVIDER, endpoint.name)
        page, block, skip = 1, start_block, 0
        while True:
            rows = r.arr(self._call(endpoint, "account", action, address=address.lower(), startblock=block,
                                    endblock=99_999_999, page=page, offset=page_size, sort="asc", **extra),
                         "result")
            yield rows[skip:] if page == 1 else rows
            if len(rows) < page_size:
                return
            if (page + 1) * page_size > s.MAX_WINDOW_ROWS:
                block = int(r.num(rows[-1], "blockNumber", "result[-1].blockNumber"))
                skip = sum(1 for row in rows if int(row["blockNumber"]) == block)
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


def _units(raw: Decimal, decimals: int) -> Decimal:
    return raw.scaleb(-decimals)


def parse_balances(result: Any, *, chain_id: int = 1, at: dt.datetime | None = None,
                   address: str | None = None) -> pl.DataFrame:
    """``balance`` (a wei string, with ``address``) or ``balancemulti`` rows -> WalletBalanceFrame (native coin)."""
    endpoint = s.BALANCE.name if isinstance(result, str) else s.BALANCE_MULTI.name
    r = Reader(s.PROVIDER, endpoint)
    at = utc(at or dt.datetime.now(dt.UTC))
    if isinstance(result, str):
        if address is None:
            raise ValueError("parse_balances needs the address for a single-balance result")
        entries = [{"account": address, "balance": result}]
    else:
        entries = r.arr(result, "result")
    rows = []
    for i, entry in enumerate(entries):
        entry = r.obj(entry, f"result[{i}]")
        rows.append({
            "chain_id": chain_id,
            "address": r.str_(entry, "account", f"result[{i}].account").lower(),
            "token_address": "",
            "symbol": NATIVE_SYMBOL.get(chain_id, "ETH"),
            "balance": _units(r.decimal(entry, "balance", f"result[{i}].balance"), NATIVE_DECIMALS),
            "time": at,
            "source": SOURCE,
        })
    return validate(pl.DataFrame(rows, schema=schema(WalletBalanceFrame)), WalletBalanceFrame,
                    provider=s.PROVIDER, endpoint=endpoint)


def parse_transactions(rows: Any, address: str, kind: str, *, chain_id: int = 1) -> pl.DataFrame:
    """``txlist`` / ``txlistinternal`` / ``tokentx`` rows -> WalletTransactionFrame.

    Older ``tokentx`` answers carry no ``logIndex``: the position of a transfer among the
    answer's transfers of the same transaction stands in, so two transfers never collide.
    """
    endpoint = {"normal": s.TXLIST, "internal": s.TXLIST_INTERNAL, "erc20": s.TOKENTX}[kind].name
    r = Reader(s.PROVIDER, endpoint)
    address = address.lower()
    ordinal: dict[str, int] = defaultdict(int)
    out = []
    for i, row in enumerate(r.arr(rows, "result")):
        row = r.obj(row, f"result[{i}]")
        p = f"result[{i}]"
        # txlistinternal by transaction hash omits "hash": the wallet query always has it.
        tx_hash = r.str_(row, "hash", f"{p}.hash")
        decimals = r.int_(row, "tokenDecimal", f"{p}.tokenDecimal") if kind == "erc20" else NATIVE_DECIMALS
        index = log_index(row, kind, ordinal, r, p)
        gas_used = row.get("gasUsed")
        out.append({
            "chain_id": chain_id,
            "address": address,
            "tx_hash": tx_hash,
            "kind": kind,
            "log_index": index,
            "block_number": r.int_(row, "blockNumber", f"{p}.blockNumber"),
            "time": r.epoch(r.get(row, "timeStamp", f"{p}.timeStamp"), f"{p}.timeStamp"),
            "from_address": r.str_(row, "from", f"{p}.from").lower(),
            "to_address": (r.str_(row, "to", f"{p}.to", optional=True) or "").lower(),
            "value": _units(r.decimal(row, "value", f"{p}.value"), decimals),
            "token_address": (r.str_(row, "contractAddress", f"{p}.contractAddress", optional=True) or "").lower()
            if kind == "erc20" else "",
            "token_symbol": r.str_(row, "tokenSymbol", optional=True) if kind == "erc20" else None,
            "token_decimals": decimals if kind == "erc20" else None,
            "gas_used": int(gas_used) if gas_used not in (None, "") else None,
            "is_error": str(row.get("isError", "0")) == "1",
        })
    out = _drop_unrepresentable(out, endpoint)
    return validate(pl.DataFrame(out, schema=schema(WalletTransactionFrame)), WalletTransactionFrame,
                    provider=s.PROVIDER, endpoint=endpoint)


def log_index(row: dict, kind: str, ordinal: dict[str, int], r: Reader, path: str) -> int:
    """``logIndex`` (token transfers) or ``traceId`` (internal calls) when sent, else the row's
    position among the answer's rows of the same transaction; -1 for a normal transaction."""
    field = {"erc20": "logIndex", "internal": "traceId"}.get(kind)
    tx_hash = str(row.get("hash", ""))
    position = ordinal[tx_hash]
    ordinal[tx_hash] += 1
    if field is None:
        return -1
    if row.get(field) not in (None, ""):
        return int(r.int_(row, field, f"{path}.{field}"))
    return position


def _drop_unrepresentable(rows: list[dict], endpoint: str) -> list[dict]:
    """Leave out tokens with amounts beyond numeric(38, 18) (spam tokens with absurd supplies).

    All transfers of such a token go, not just the oversized ones: a partial history would make
    its derived balance wrong. The warning names the token so the omission is visible.
    """
    too_big = {(r["token_address"], r["kind"]) for r in rows if r["value"] >= MAX_AMOUNT}
    if not too_big:
        return rows
    for token, kind in sorted(too_big):
        count = sum(1 for r in rows if (r["token_address"], r["kind"]) == (token, kind))
        log.warning("%s %s: left out %d %s transfer(s) of token %r: amounts exceed 10^20 whole tokens",
                    s.PROVIDER, endpoint, count, kind, token or "native")
    return [r for r in rows if (r["token_address"], r["kind"]) not in too_big]


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
