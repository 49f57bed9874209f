"""News sentiment: articles and per-asset sentiment scores."""

import datetime as dt

from dagster import MaterializeResult, asset

from assets.partitions import MARKET_DATA
from assets.resources import AlphaVantageResource, WarehouseResource
from pipelines.store import write_news
from warehouse import outbox

LOOKBACK = dt.timedelta(days=2)


@asset(pool=MARKET_DATA, group_name="sentiment", kinds={"postgres"}, tags={"domain": "sentiment"})
def news_sentiment(warehouse: WarehouseResource, alphavantage: AlphaVantageResource) -> MaterializeResult:
    """Crypto news of the last two days (``news_articles``, by URL) with each article's per-asset
    sentiment in [-1, 1] and relevance in [0, 1] (``news_sentiment``); re-runs update in place."""
    client = alphavantage.client(warehouse.url)
    end = dt.datetime.now(dt.UTC)
    with warehouse.transaction() as conn:
        articles, sentiment = client.news(warehouse.symbols(conn), end - LOOKBACK, end)
        written = write_news(conn, articles, sentiment)
        outbox.publish(conn, "price_updates", {"type": "news_sentiment", "articles": articles.height})
    return MaterializeResult(metadata={
        "rows": sum(w.rows for w in written), "window": f"[{(end - LOOKBACK).isoformat()}, {end.isoformat()})",
        "nulls": int(articles.null_count().sum_horizontal()[0]), "source": client.source,
        "skipped_symbols": ", ".join(sorted({s for w in written for s in w.skipped_symbols})) or "none",
    })
