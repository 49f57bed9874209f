"""Etherscan dlt source: native balances and, per tracked wallet, normal transactions and ERC-20
transfers with a block-number cursor each (a second run asks only for blocks after the last one).

Raw tables (dataset ``raw``): ``etherscan_balances``, ``etherscan_transactions`` (rows as sent
plus ``tracked_address``, ``kind`` and ``log_index``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence

import dlt
import polars as pl
import sqlalchemy as sa
from dlt.extract.resource import DltResource
from sqlalchemy.engine import Connection

from pipelines.contracts import WalletBalanceFrame, schema, validate
from pipelines.etherscan import helpers
from pipelines.etherscan import settings as s
from pipelines.etherscan.helpers import EtherscanClient
from pipelines.store import Written, write_table
from warehouse.models import wallet_transactions

BALANCES_TABLE = "etherscan_balances"
TRANSACTIONS_TABLE = "etherscan_transactions"
_KINDS = {"normal": "transactions", "erc20": "token_transfers"}


def _balances(client: EtherscanClient, addresses: Sequence[str]) -> DltResource:
    @dlt.resource(name="balances", table_name=BALANCES_TABLE, write_disposition="merge",
                  primary_key=("chain_id", "account", "fetched_at"))
    def balances() -> Iterator[list[dict]]:
        """Native balances (wei, as sent) of every tracked wallet."""
        at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        yield [{**row, "chain_id": client.settings.chain_id, "fetched_at": at} for row in client.balances(addresses)]

    return balances


def _history(client: EtherscanClient, address: str, kind: str) -> DltResource:
    address = address.lower()

    def rows(
        block: dlt.sources.incremental[int] = dlt.sources.incremental("blockNumber", initial_value=0),
    ) -> Iterator[list[dict]]:
        """Rows from the last loaded block on (that block again: its rows are deduplicated by key)."""
        fetch = getattr(client, _KINDS[kind])
        ordinal: dict[str, int] = defaultdict(int)
        for page in fetch(address, start_block=int(block.last_value or 0)):
            out = []
            for i, row in enumerate(page):
                out.append({**row, "blockNumber": int(row["blockNumber"]), "tracked_address": address,
                            "chain_id": client.settings.chain_id, "kind": kind,
                            "log_index": helpers.log_index(row, kind, ordinal, f"result[{i}]")})
            yield out

    return dlt.resource(rows, name=f"{_KINDS[kind]}_{address[:12]}", table_name=TRANSACTIONS_TABLE,
                        write_disposition="merge", primary_key=("chain_id", "tracked_address", "hash", "kind", "log_index"),
                        columns={"blockNumber": {"data_type": "bigint"}})


@dlt.source(name="etherscan", max_table_nesting=0)
def etherscan_source(client: EtherscanClient, addresses: Sequence[str], token_transfers: bool = True) -> list[DltResource]:
    """Balances and transaction histories of ``addresses`` on the client's chain."""
    resources = [_balances(client, addresses)]
    for address in addresses:
        resources.append(_history(client, address, "normal"))
        if token_transfers:
            resources.append(_history(client, address, "erc20"))
    return resources


def _token_balances(conn: Connection, addresses: list[str], chain_id: int, at: dt.datetime) -> pl.DataFrame:
    """ERC-20 balances from every stored transfer of the wallets (in minus out)."""
    t = wallet_transactions.c
    signed = sa.case((t.to_address == t.address, t.value), else_=0) - sa.case((t.from_address == t.address, t.value), else_=0)
    rows = conn.execute(
        sa.select(t.chain_id, t.address, t.token_address, sa.func.max(t.token_symbol), sa.func.sum(signed))
        .where(t.kind == "erc20", t.chain_id == chain_id, t.address.in_(addresses))
        .group_by(t.chain_id, t.address, t.token_address)
    ).all()
    frame = pl.DataFrame(
        [{"chain_id": c, "address": a, "token_address": tok, "symbol": sym or "", "balance": bal, "time": at,
          "source": helpers.SOURCE} for c, a, tok, sym, bal in rows if bal is not None and bal >= 0],
        schema=schema(WalletBalanceFrame),
    )
    return validate(frame, WalletBalanceFrame, provider=s.PROVIDER, endpoint=s.TOKENTX.name)


def curate(conn: Connection, records: dict[str, list[dict]]) -> list[Written]:
    """Raw Etherscan records -> wallet_transactions, native and derived token balances."""
    written: list[Written] = []
    groups: dict[tuple[int, str, str], list[dict]] = defaultdict(list)
    for row in records.get(TRANSACTIONS_TABLE, []):
        groups[(row["chain_id"], row["tracked_address"], row["kind"])].append(row)
    frames = [helpers.parse_transactions(rows, address, kind, chain_id=chain)
              for (chain, address, kind), rows in groups.items()]
    if frames:
        written.append(write_table(conn, "wallet_transactions", pl.concat(frames)))
    balances = records.get(BALANCES_TABLE, [])
    if balances:
        chain, at = balances[0]["chain_id"], balances[0]["fetched_at"]
        native = helpers.parse_balances(balances, chain_id=chain, at=at)
        tokens = _token_balances(conn, native.get_column("address").to_list(), chain, at)
        written.append(write_table(conn, "wallet_balances", pl.concat([native, tokens])))
    return written


__all__ = ["EtherscanClient", "curate", "etherscan_source"]
