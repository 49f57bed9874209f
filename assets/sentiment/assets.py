"""News sentiment: articles and per-asset sentiment scores."""

import datetime as dt

from dagster import MaterializeResult, asset

from assets.partitions import MARKET_DATA
from assets.resources import NewsDataResource, WarehouseResource
from pipelines import loads
from warehouse.queries.assets import tracked_coins

LOOKBACK = dt.timedelta(days=2)


@asset(pool=MARKET_DATA, group_name="sentiment", kinds={"postgres", "dlt"}, tags={"domain": "sentiment"})
def news_sentiment(warehouse: WarehouseResource, alphavantage: NewsDataResource) -> MaterializeResult:
    """Crypto news of the last two days (``news_articles``, by URL) with each article's per-asset
    sentiment in [-1, 1] and relevance in [0, 1] (``news_sentiment``); re-runs update in place.
    One provider call per run; an article that fails validation is skipped and named."""
    end = dt.datetime.now(dt.UTC)
    with warehouse.transaction() as conn:
        symbols = [c.symbol for c in tracked_coins(conn)]
    load = loads.load_news(warehouse.url, alphavantage.feed(warehouse.url), symbols, end - LOOKBACK, end)
    return MaterializeResult(metadata={
        "rows": load.articles + load.sentiment, "articles": load.articles, "sentiment_rows": load.sentiment,
        "window": f"[{(end - LOOKBACK).isoformat()}, {end.isoformat()})", "source": load.source,
        "skipped_symbols": ", ".join(load.untracked_symbols) or "none",
        "skipped_articles": "; ".join(f"{k}: {v}" for k, v in sorted(load.skipped.items()))[:2000] or "none",
        "raw_load_id": load.load_id or "none",
    })
