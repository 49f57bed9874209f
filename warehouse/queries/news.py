"""News articles (by URL) and their per-asset sentiment."""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse import reference, writes
from warehouse.models import crypto_assets


def write_news(conn: Connection, articles: pl.DataFrame, sentiment: pl.DataFrame) -> tuple[int, int, list[str]]:
    """Upsert articles by URL, then their sentiment rows (``url, symbol, ...``) for the assets
    we track; returns (articles, sentiment rows, symbols left out because we do not track them).

    The symbol here is the news provider's own key for a coin (Alpha Vantage's ``CRYPTO:BTC``),
    matched to the listed asset with that ticker.
    """
    ids = reference.upsert_articles(conn, articles)
    if sentiment.height == 0:
        return len(ids), 0, []
    keyed = sentiment.join(pl.DataFrame({"url": list(ids), "article_id": list(ids.values())},
                                        schema={"url": pl.String, "article_id": pl.Int64}), on="url", how="inner")
    symbols = sorted(set(keyed["symbol"].to_list()))
    found = dict(conn.execute(sa.select(crypto_assets.c.symbol, crypto_assets.c.id)
                              .where(crypto_assets.c.symbol.in_(symbols))).all())
    mapping = pl.DataFrame({"symbol": list(found), "asset_id": list(found.values())},
                           schema={"symbol": pl.String, "asset_id": pl.Int32})
    rows = keyed.join(mapping, on="symbol", how="inner").select(
        "article_id", "asset_id", "published_at", "relevance", "score", "label")
    written = writes.upsert_frame(conn, "news_sentiment", rows)
    return len(ids), written, sorted(set(symbols) - found.keys())
