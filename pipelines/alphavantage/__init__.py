"""Alpha Vantage dlt source: crypto news sentiment (cursor on ``time_published``) and daily
digital-currency prices (cursor on the date), both landing raw in dataset ``raw``.

Raw tables: ``alphavantage_news`` (feed items as sent), ``alphavantage_daily`` (one row per
symbol, market and day, fields as sent).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence

import dlt
import polars as pl
from dlt.extract.resource import DltResource
from sqlalchemy.engine import Connection

from pipelines.alphavantage import helpers
from pipelines.alphavantage.helpers import AlphaVantageClient
from pipelines.store import Written, write_news, write_prices

NEWS_TABLE = "alphavantage_news"
DAILY_TABLE = "alphavantage_daily"
log = logging.getLogger(__name__)


def _news(client: AlphaVantageClient, tickers: Sequence[str], start: dt.datetime) -> DltResource:
    @dlt.resource(name="news", table_name=NEWS_TABLE, write_disposition="merge", primary_key="url")
    def news(
        # An item without a time lands raw too; parse_news leaves it out of the curated tables.
        published: dlt.sources.incremental[str] = dlt.sources.incremental(
            "time_published", initial_value=start.strftime(helpers.NEWS_TIME_FORMAT), on_cursor_value_missing="include"),
    ) -> Iterator[list[dict]]:
        """Articles mentioning ``tickers`` (e.g. ``CRYPTO:BTC``) published since the last loaded one.

        Items without a URL (the table's key) cannot be stored, raw or curated: they are logged and left out.
        """
        since = dt.datetime.strptime(published.last_value, helpers.NEWS_TIME_FORMAT).replace(tzinfo=dt.UTC)
        feed = client.news_sentiment(tickers, time_from=since)["feed"]
        keyed = [item for item in feed if isinstance(item, dict) and isinstance(item.get("url"), str)]
        if len(keyed) < len(feed):
            log.warning("%s: left out %d of %d feed item(s) without a URL", NEWS_TABLE, len(feed) - len(keyed), len(feed))
        yield keyed

    return news


def _daily(client: AlphaVantageClient, symbol: str, market: str, start: dt.date) -> DltResource:
    def daily(
        day: dlt.sources.incremental[str] = dlt.sources.incremental("date", initial_value=start.isoformat()),
    ) -> Iterator[list[dict]]:
        """Daily candles after the last loaded day (the API always answers the full history)."""
        body = client.digital_currency_daily(symbol, market)
        key = next((k for k in body if k.startswith("Time Series")), None)
        series = body.get(key, {}) if key else {}
        yield [{"symbol": symbol.upper(), "market": market.upper(), "date": d, **fields}
               for d, fields in sorted(series.items()) if d >= day.last_value]

    return dlt.resource(daily, name=f"daily_{symbol.lower()}_{market.lower()}", table_name=DAILY_TABLE,
                        write_disposition="merge", primary_key=("symbol", "market", "date"))


@dlt.source(name="alphavantage", max_table_nesting=0)
def alphavantage_source(client: AlphaVantageClient, tickers: Sequence[str] = ("CRYPTO:BTC", "CRYPTO:ETH"),
                        daily: Sequence[tuple[str, str]] = (), start: dt.datetime | None = None) -> list[DltResource]:
    """News for ``tickers`` and daily prices for ``daily`` (symbol, market) pairs since ``start``.

    Mind the free tier: 25 calls a day, one per resource per run.
    """
    start = start or dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    resources = [_news(client, tickers, start)] if tickers else []
    resources += [_daily(client, sym, market, start.date()) for sym, market in daily]
    return resources


def curate(conn: Connection, records: dict[str, list[dict]]) -> list[Written]:
    """Raw Alpha Vantage records -> news_articles + news_sentiment, and USD daily closes -> price_history."""
    written: list[Written] = []
    if records.get(NEWS_TABLE):
        articles, sentiment = helpers.parse_news({"feed": records[NEWS_TABLE]})
        written += write_news(conn, articles, sentiment)
    rows = records.get(DAILY_TABLE, [])
    frames = []
    for (symbol, market) in sorted({(r["symbol"], r["market"]) for r in rows}):
        series = {r["date"]: {k: v for k, v in r.items() if k not in ("symbol", "market", "date")}
                  for r in rows if (r["symbol"], r["market"]) == (symbol, market)}
        body = {"Meta Data": {"2. Digital Currency Code": symbol, "4. Market Code": market},
                "Time Series (Digital Currency Daily)": series}
        frames.append(helpers.usd_prices(helpers.parse_time_series(body)))
    if frames:
        written.append(write_prices(conn, pl.concat(frames)))
    return written


__all__ = ["AlphaVantageClient", "alphavantage_source", "curate"]
