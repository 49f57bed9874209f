"""The coins the platform tracks, identified by what nobody else chooses: our ``crypto_assets.id``
and CoinGecko's id. Tickers are labels, never keys."""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import crypto_assets


class Coin(NamedTuple):
    asset_id: int
    coingecko_id: str
    symbol: str


def tracked_coins(conn: Connection) -> list[Coin]:
    """Every active asset, in id order: the universe the price feeds fetch."""
    a = crypto_assets.c
    query = sa.select(a.id, a.coingecko_id, a.symbol).where(a.is_active).order_by(a.id)
    return [Coin(*row) for row in conn.execute(query)]


_RANKS = sa.text("""
    UPDATE crypto_assets a SET market_cap_rank = r.rank, updated_at = now()
    FROM unnest(CAST(:ids AS integer[]), CAST(:ranks AS integer[])) AS r(id, rank)
    WHERE a.id = r.id AND a.market_cap_rank IS DISTINCT FROM r.rank
""")


def update_ranks(conn: Connection, ranks: dict[int, int | None]) -> int:
    """Set each asset's market-cap rank (asset id -> rank) from the newest market snapshot."""
    if not ranks:
        return 0
    return conn.execute(_RANKS, {"ids": list(ranks), "ranks": list(ranks.values())}).rowcount
