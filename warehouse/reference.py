"""Upserts for the tables keyed by a natural key rather than their identity primary key:
``crypto_assets`` (by ``coingecko_id``) and ``news_articles`` (by ``url``).

``writes.upsert_frame`` conflicts on the primary key, which for these tables is a generated id
the caller cannot know. Volumes are small (hundreds of rows), so a multi-row INSERT ... ON
CONFLICT with bound parameters is enough.
"""

from __future__ import annotations

import json

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from warehouse.models import crypto_assets, news_articles
from warehouse.writes import BatchRejected

_ASSET_COLUMNS = ("symbol", "coingecko_id", "name", "market_cap_rank")
_ARTICLE_COLUMNS = ("url", "title", "summary", "source", "published_at", "overall_score", "overall_label",
                    "topics", "provider")


def upsert_assets(conn: Connection, frame: pl.DataFrame) -> list[str]:
    """Add unknown coins to ``crypto_assets`` and refresh names and ranks of known ones.

    Returns the symbols left out because another coin already holds them (symbols are unique
    here, CoinGecko lists look-alike tokens under the same ticker).
    """
    missing = [c for c in ("symbol", "coingecko_id", "name") if c not in frame.columns]
    if missing:
        raise BatchRejected("crypto_assets", f"missing column(s) {', '.join(missing)}")
    rows = frame.select([c for c in _ASSET_COLUMNS if c in frame.columns]).unique("coingecko_id").to_dicts()
    if not rows:
        return []
    taken = dict(conn.execute(
        sa.select(crypto_assets.c.symbol, crypto_assets.c.coingecko_id)
        .where(crypto_assets.c.symbol.in_([r["symbol"].upper() for r in rows]))
    ).all())
    clean, clashes = [], []
    seen: set[str] = set()
    for row in rows:
        symbol = row["symbol"].upper()
        if taken.get(symbol, row["coingecko_id"]) != row["coingecko_id"] or symbol in seen:
            clashes.append(symbol)
            continue
        seen.add(symbol)
        clean.append({**row, "symbol": symbol})
    if clean:
        stmt = insert(crypto_assets).values(clean)
        update = {c: stmt.excluded[c] for c in ("name", "market_cap_rank") if c in clean[0]}
        conn.execute(stmt.on_conflict_do_update(index_elements=["coingecko_id"],
                                                set_={**update, "updated_at": sa.func.now()}))
    return sorted(set(clashes))


def upsert_articles(conn: Connection, frame: pl.DataFrame) -> dict[str, int]:
    """Insert or refresh ``news_articles`` by URL; return every URL's ``id``."""
    if frame.height == 0:
        return {}
    rows = frame.select([c for c in _ARTICLE_COLUMNS if c in frame.columns]).to_dicts()
    for row in rows:
        if isinstance(row.get("topics"), str):
            row["topics"] = json.loads(row["topics"])  # JSON text in the frame, a document in jsonb
    stmt = insert(news_articles).values(rows)
    update = {c: stmt.excluded[c] for c in rows[0] if c != "url"}
    result = conn.execute(
        stmt.on_conflict_do_update(index_elements=["url"], set_=update).returning(news_articles.c.url, news_articles.c.id)
    )
    return dict(result.all())
