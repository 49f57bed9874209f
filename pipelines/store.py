"""Curated frames into the warehouse, through ``warehouse.writes`` (validated COPY upserts).

Each ``write_*`` takes a connection inside the caller's transaction, maps symbols to asset ids,
and returns a ``Written`` count. Rows for symbols not in ``crypto_assets`` are left out and
named in ``Written.skipped_symbols`` (a top-100 list always holds coins we do not track) —
except in ``write_markets``, which first adds the listed coins to ``crypto_assets``.
Price writes also publish one ``price_updates`` outbox event in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse import outbox, reference, writes
from warehouse.models import crypto_assets


@dataclass
class Written:
    table: str
    rows: int = 0
    skipped_symbols: list[str] = field(default_factory=list)


def _with_asset_ids(conn: Connection, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    symbols = frame.get_column("symbol").unique().to_list()
    found = dict(conn.execute(sa.select(crypto_assets.c.symbol, crypto_assets.c.id)
                              .where(crypto_assets.c.symbol.in_(symbols))).all())
    skipped = sorted(set(symbols) - found.keys())
    mapping = pl.DataFrame({"symbol": list(found), "asset_id": list(found.values())},
                           schema={"symbol": pl.String, "asset_id": pl.Int32})
    return frame.join(mapping, on="symbol", how="inner").drop("symbol"), skipped


def write_prices(conn: Connection, frame: pl.DataFrame, *, publish: bool = True) -> Written:
    """A PriceFrame into ``price_history`` (insert new, update changed rows)."""
    rows, skipped = _with_asset_ids(conn, frame)
    written = writes.upsert_frame(conn, "price_history", rows.select(
        "asset_id", "time", "price", "market_cap", "volume_24h", "source"))
    if publish and written:
        times = frame.get_column("time")
        outbox.publish(conn, "price_updates", {
            "rows": written,
            "source": frame.get_column("source")[0],
            "symbols": sorted(set(frame.get_column("symbol")) - set(skipped))[:200],
            "start": times.min().isoformat(),
            "end": times.max().isoformat(),
        })
    return Written("price_history", written, skipped)


def write_markets(conn: Connection, frame: pl.DataFrame) -> list[Written]:
    """A MarketFrame: refreshes ``crypto_assets`` (names, ranks, new coins), then
    ``market_snapshots`` and the snapshot's prices in ``price_history``."""
    clashes = reference.upsert_assets(conn, frame.select("symbol", "coingecko_id", "name", "market_cap_rank"))
    snapshot, skipped = _with_asset_ids(conn, frame.filter(~pl.col("symbol").is_in(clashes)))
    written = writes.upsert_frame(conn, "market_snapshots", snapshot.drop("coingecko_id", "name"))
    prices = frame.filter(~pl.col("symbol").is_in(clashes)).select(
        "symbol", "time", "price", "market_cap", pl.col("total_volume").alias("volume_24h"), "source")
    return [Written("market_snapshots", written, sorted(set(skipped) | set(clashes))), write_prices(conn, prices)]


def write_table(conn: Connection, table: str, frame: pl.DataFrame) -> Written:
    """Frames whose columns already are the table's: trending_coins, global_market, wallet_*."""
    return Written(table, writes.upsert_frame(conn, table, frame))


def write_news(conn: Connection, articles: pl.DataFrame, sentiment: pl.DataFrame) -> list[Written]:
    """Articles by URL, then per-asset sentiment joined to their ids."""
    ids = reference.upsert_articles(conn, articles)
    keyed = sentiment.join(pl.DataFrame({"url": list(ids), "article_id": list(ids.values())},
                                        schema={"url": pl.String, "article_id": pl.Int64}), on="url", how="inner")
    rows, skipped = _with_asset_ids(conn, keyed.drop("url"))
    written = writes.upsert_frame(conn, "news_sentiment", rows.select(
        "article_id", "asset_id", "published_at", "relevance", "score", "label"))
    return [Written("news_articles", len(ids)), Written("news_sentiment", written, skipped)]
