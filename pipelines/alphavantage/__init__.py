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
        published: dlt.sources.incremental[str] = dlt.sources.incremental(
            "time_published", initial_value=start.strftime(helpers.NEWS_TIME_FORMAT)),
    ) -> Iterator[list[dict]]:
        """Articles mentioning ``tickers`` (e.g. ``CRYPTO:BTC``) published since the last loaded one
        (the API's ``time_from`` is to the minute: the boundary article comes again and is upserted
        by URL, unchanged)."""
        since = dt.datetime.strptime(published.last_value, helpers.NEWS_TIME_FORMAT).replace(tzinfo=dt.UTC)
        feed = list(client.news_sentiment(tickers, time_from=max(since, start)).get("feed", []))
        articles, sentiment = helpers.parse_news({"feed": feed})
        harvest.add(ARTICLES, articles)
        harvest.add(SENTIMENT, sentiment)
        yield feed

    return news


@dlt.source(name="alphavantage", max_table_nesting=0)
def alphavantage_source(client: AlphaVantageClient, harvest: Harvest, *, tickers: Sequence[str] = (),
                        start: dt.datetime | None = None) -> list[DltResource]:
    """News for ``tickers`` published since ``start`` (default: 30 days ago)."""
    start = start or dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    return [_news(client, tickers, start, harvest)] if tickers else []


__all__ = ["AlphaVantageClient", "alphavantage_source"]
