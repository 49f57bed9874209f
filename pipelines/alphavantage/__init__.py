"""Alpha Vantage dlt source: crypto news sentiment with a dlt cursor on ``time_published``,
landing raw in the dataset ``raw`` (append) as ``alphavantage_news`` (feed items as sent).
Mind the free tier: 25 calls a day, one per run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

import dlt
from dlt.extract.resource import DltResource

from pipelines.alphavantage import helpers
from pipelines.alphavantage.helpers import AlphaVantageClient
from pipelines.raw import Harvest

NEWS_TABLE = "alphavantage_news"
ARTICLES = "news_articles"  # Harvest frame names
SENTIMENT = "news_sentiment"


def _news(client: AlphaVantageClient, tickers: Sequence[str], start: dt.datetime, harvest: Harvest) -> DltResource:
    @dlt.resource(name="news", table_name=NEWS_TABLE, write_disposition="append", primary_key="url")
    def news(
        # An item without a time lands raw too; parse_news leaves it out of the curated tables.
        published: dlt.sources.incremental[str] = dlt.sources.incremental(
            "time_published", initial_value=start.strftime(helpers.NEWS_TIME_FORMAT), on_cursor_value_missing="include"),
    ) -> Iterator[list[dict]]:
        """Articles mentioning ``tickers`` (e.g. ``CRYPTO:BTC``) published since the last loaded one
        (the API's ``time_from`` is to the minute: the boundary article comes again and is upserted
        by URL, unchanged). An item without a URL (the table's key) cannot be stored, raw or
        curated; an item that fails validation lands raw but is left out of the curated tables;
        both are named in the run's skipped items."""
        since = dt.datetime.strptime(published.last_value, helpers.NEWS_TIME_FORMAT).replace(tzinfo=dt.UTC)
        feed = client.news_sentiment(tickers, time_from=max(since, start))["feed"]
        keyed = [item for item in feed if isinstance(item, dict) and isinstance(item.get("url"), str)]
        if len(keyed) < len(feed):
            harvest.skip("items without a url", f"{len(feed) - len(keyed)} of {len(feed)} feed item(s) left out")
        news = helpers.parse_news({"feed": keyed})
        for item in news.skipped:
            harvest.skip(item.url or f"feed[{item.index}]", f"{item.field}: {item.reason}" if item.field else item.reason)
        harvest.add(ARTICLES, news.articles)
        harvest.add(SENTIMENT, news.sentiment)
        yield keyed

    return news


@dlt.source(name="alphavantage", max_table_nesting=0)
def alphavantage_source(client: AlphaVantageClient, harvest: Harvest, *, tickers: Sequence[str] = (),
                        start: dt.datetime | None = None) -> list[DltResource]:
    """News for ``tickers`` published since ``start`` (default: 30 days ago)."""
    start = start or dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    return [_news(client, tickers, start, harvest)] if tickers else []


__all__ = ["AlphaVantageClient", "alphavantage_source"]
