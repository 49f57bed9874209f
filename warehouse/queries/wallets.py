"""Linked wallets: which to sync, what they hold (balances derived from their stored transfers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import wallet_transactions, wallets

BALANCE_SCHEMA = {"chain_id": pl.Int32, "address": pl.String, "token_address": pl.String, "symbol": pl.String,
                  "balance": pl.Decimal(38, 18), "time": pl.Datetime("us", "UTC"), "source": pl.String}


class WalletRef(NamedTuple):
    id: int
    portfolio_id: int
    chain_id: int
    address: str
    last_synced_at: dt.datetime | None


def linked_wallets(conn: Connection) -> list[WalletRef]:
    w = wallets.c
    query = sa.select(w.id, w.portfolio_id, w.chain_id, w.address, w.last_synced_at).order_by(w.id)
    return [WalletRef(*row) for row in conn.execute(query)]


def mark_synced(conn: Connection, wallet_ids: Sequence[int], at: dt.datetime) -> None:
    if wallet_ids:
        conn.execute(sa.update(wallets).where(wallets.c.id.in_(list(wallet_ids))).values(last_synced_at=at))


def token_balances(conn: Connection, chain_id: int, addresses: Sequence[str], at: dt.datetime,
                   source: str) -> pl.DataFrame:
    """ERC-20 balances of ``addresses`` from every stored transfer (in minus out), stamped ``at``.

    Exact only for a complete history (the first sync starts at block 0); a token whose derived
    balance is negative proves it is not (or the token rebases) and is left out, not reported wrong.
    """
    t = wallet_transactions.c
    signed = sa.case((t.to_address == t.address, t.value), else_=0) - sa.case((t.from_address == t.address, t.value), else_=0)
    found = conn.execute(
        sa.select(t.chain_id, t.address, t.token_address, sa.func.max(t.token_symbol), sa.func.sum(signed))
        .where(t.kind == "erc20", t.chain_id == chain_id, t.address.in_(list(addresses)), ~t.is_error)
        .group_by(t.chain_id, t.address, t.token_address)
    ).all()
    rows = [{"chain_id": c, "address": a, "token_address": tok, "symbol": sym or "", "balance": Decimal(bal),
             "time": at, "source": source} for c, a, tok, sym, bal in found if bal is not None and bal >= 0]
    return pl.DataFrame(rows, schema=BALANCE_SCHEMA)
