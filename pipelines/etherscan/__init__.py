"""Etherscan dlt source: each tracked wallet of one chain fetched once per run, in one pass:
native balances (``balancemulti``, 20 addresses a call) and, per wallet, normal transactions and
ERC-20 transfers from the block after the last loaded one (a dlt cursor per wallet, kept in the
resource's state in the raw dataset, so it only moves when a run's rows are loaded).

Raw tables (dataset ``raw``, append): ``etherscan_balances`` and ``etherscan_transactions``
(rows as sent plus ``tracked_address``, ``chain_id``, ``kind`` and ``log_index``).

A wallet whose answer fails validation is skipped (``Harvest.skipped``, by address) and its
cursor stays; a failure of the provider as a whole (bad key, rate limit that outlasts the
retries, breaker open) raises and the run writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence

import dlt
import polars as pl
from dlt.extract.resource import DltResource

from pipelines.errors import ApiError, CircuitOpen, ProviderError, QuotaExhausted, RateLimited
from pipelines.etherscan import helpers
from pipelines.etherscan import settings as s
from pipelines.etherscan.helpers import EtherscanClient
from pipelines.raw import Harvest

BALANCES_TABLE = "etherscan_balances"
TRANSACTIONS_TABLE = "etherscan_transactions"
TRANSACTIONS = "wallet_transactions"  # Harvest frame names
BALANCES = "wallet_balances"
_KINDS = {"normal": "transactions", "erc20": "token_transfers"}


def wallet_level(exc: ProviderError) -> bool:
    """Does this error concern one wallet's data (skip it) rather than the provider (fail the run)?"""
    return not isinstance(exc, QuotaExhausted | CircuitOpen | RateLimited | ApiError)


def _balances(client: EtherscanClient, addresses: Sequence[str], at: dt.datetime, harvest: Harvest) -> DltResource:
    @dlt.resource(name=f"balances_{client.settings.chain_id}", table_name=BALANCES_TABLE, write_disposition="append")
    def balances() -> Iterator[list[dict]]:
        """Native balances (wei, as sent) of every tracked wallet."""
        rows = client.balances(addresses)
        harvest.add(BALANCES, helpers.parse_balances(rows, chain_id=client.settings.chain_id, at=at))
        yield [{**row, "chain_id": client.settings.chain_id, "fetched_at": at} for row in rows]

    return balances


def _history(client: EtherscanClient, addresses: Sequence[str], harvest: Harvest) -> DltResource:
    @dlt.resource(name=f"history_{client.settings.chain_id}", table_name=TRANSACTIONS_TABLE,
                  write_disposition="append", columns={"blockNumber": {"data_type": "bigint"}})
    def history() -> Iterator[list[dict]]:
        """Each wallet's rows from its last loaded block on (that block again: its rows are
        deduplicated by key in the curated table)."""
        cursors = dlt.current.resource_state().setdefault("next_block", {})
        chain = client.settings.chain_id
        for address in addresses:
            start = int(cursors.get(address, 0))
            try:
                raw, frames = [], []
                for kind in _KINDS:
                    rows = [row for page in getattr(client, _KINDS[kind])(address, start_block=start) for row in page]
                    frames.append(helpers.parse_transactions(rows, address, kind, chain_id=chain))
                    raw += [{**row, "tracked_address": address, "chain_id": chain, "kind": kind} for row in rows]
            except ProviderError as exc:
                if not wallet_level(exc):
                    raise
                harvest.skip(address, str(exc))
                continue
            found = pl.concat(frames)
            harvest.add(TRANSACTIONS, found)
            if found.height:
                cursors[address] = int(found["block_number"].max())
            if raw:
                yield raw

    return history


@dlt.source(name="etherscan", max_table_nesting=0)
def etherscan_source(clients: dict[int, EtherscanClient], addresses: dict[int, Sequence[str]], harvest: Harvest, *,
                     at: dt.datetime | None = None) -> list[DltResource]:
    """Balances and new transactions of ``addresses[chain]`` through ``clients[chain]`` (Etherscan
    API V2 serves every chain with one key: a client differs only in its ``chainid``)."""
    at = at or dt.datetime.now(dt.UTC).replace(microsecond=0)
    resources = []
    for chain, found in sorted(addresses.items()):
        wanted = sorted({a.lower() for a in found})
        resources += [_balances(clients[chain], wanted, at, harvest), _history(clients[chain], wanted, harvest)]
    return resources


def by_chain(wallets) -> dict[int, list[str]]:
    """Addresses of ``wallets`` (anything with ``chain_id`` and ``address``) per chain."""
    chains: dict[int, set[str]] = defaultdict(set)
    for w in wallets:
        chains[w.chain_id].add(w.address.lower())
    return {chain: sorted(found) for chain, found in sorted(chains.items())}


__all__ = ["BALANCES", "TRANSACTIONS", "EtherscanClient", "by_chain", "etherscan_source", "s"]
