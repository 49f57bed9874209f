"""Alpha Vantage dlt source: crypto news sentiment (a dlt cursor on ``time_published``) and daily
digital-currency prices (a cursor on the date), landing raw in the dataset ``raw`` (append).

Raw tables: ``alphavantage_news`` (feed items as sent), ``alphavantage_daily`` (one row per
symbol, market and day, fields as sent). Mind the free tier: 25 calls a day, one per resource
per run.
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
DAILY_TABLE = "alphavantage_daily"
ARTICLES = "news_articles"  # Harvest frame names
SENTIMENT = "news_sentiment"
DAILY = "points_by_symbol"


def _news(client: AlphaVantageClient, tickers: Sequence[str], start: dt.datetime, harvest: Harvest) -> DltResource:
    @dlt.resource(name="news", table_name=NEWS_TABLE, write_disposition="append")
    def news(
        published: dlt.sources.incremental[str] = dlt.sources.incremental(
            "time_published", initial_value=start.strftime(helpers.NEWS_TIME_FORMAT)),
    ) -> Iterator[list[dict]]:
        """Articles mentioning ``tickers`` (e.g. ``CRYPTO:BTC``) published since the last loaded one."""
        since = dt.datetime.strptime(published.last_value, helpers.NEWS_TIME_FORMAT).replace(tzinfo=dt.UTC)
        body = client.news_sentiment(tickers, time_from=max(since, start))
        feed = list(body.get("feed", []))
        articles, sentiment = helpers.parse_news({"feed": feed})
        harvest.add(ARTICLES, articles)
        harvest.add(SENTIMENT, sentiment)
        yield feed

    return news


def _daily(client: AlphaVantageClient, symbol: str, market: str, start: dt.date, harvest: Harvest) -> DltResource:
    def daily(
        day: dlt.sources.incremental[str] = dlt.sources.incremental("date", initial_value=start.isoformat()),
    ) -> Iterator[list[dict]]:
        """Daily candles after the last loaded day (the API always answers the full history)."""
        body = client.digital_currency_daily(symbol, market)
        harvest.add(DAILY, helpers.usd_prices(helpers.parse_time_series(body)))
        key = next((k for k in body if k.startswith("Time Series")), None)
        series = body.get(key, {}) if key else {}
        yield [{"symbol": symbol.upper(), "market": market.upper(), "date": d, **fields}
               for d, fields in sorted(series.items()) if d >= day.last_value]

    return dlt.resource(daily, name=f"daily_{symbol.lower()}_{market.lower()}", table_name=DAILY_TABLE,
                        write_disposition="append")


@dlt.source(name="alphavantage", max_table_nesting=0)
def alphavantage_source(client: AlphaVantageClient, harvest: Harvest, *, tickers: Sequence[str] = (),
                        daily: Sequence[tuple[str, str]] = (), start: dt.datetime | None = None) -> list[DltResource]:
    """News for ``tickers`` and daily prices for ``daily`` (symbol, market) pairs since ``start``."""
    start = start or dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    resources = [_news(client, tickers, start, harvest)] if tickers else []
    resources += [_daily(client, sym, market, start.date(), harvest) for sym, market in daily]
    return resources


__all__ = ["AlphaVantageClient", "alphavantage_source"]
