"""Alpha Vantage: client and parsers.

Alpha Vantage sends throttling and key problems as HTTP 200 bodies: ``{"Note": ...}`` (per-minute
limit, worth a retry after a minute), ``{"Information": ...}`` (daily limit: no retry helps today;
or a premium endpoint: a refusal) and ``{"Error Message": ...}`` (bad request or key).
Time series come in two field layouts (``"4. close"`` since 2024, ``"4b. close (USD)"`` before);
both are read.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import Any

import polars as pl

from pipelines.alphavantage import settings as s
from pipelines.alphavantage.settings import AlphaVantageSettings
from pipelines.contracts import UTC_US, NewsArticleFrame, NewsSentimentFrame, PriceFrame, schema, validate
from pipelines.errors import ApiError, RateLimited
from pipelines.http import Endpoint, Policy, ProviderClient, ProviderHttp, StateStore
from pipelines.parsing import Reader, utc

SOURCE = "alphavantage"
NEWS_TIME_FORMAT = "%Y%m%dT%H%M%S"


def check_body(endpoint: Endpoint, data: Any) -> None:
    if not isinstance(data, dict):
        return
    if "Note" in data:
        raise RateLimited(s.PROVIDER, endpoint.name, str(data["Note"]), retry_after=60.0)
    if "Information" in data:
        text = str(data["Information"])
        lowered = text.lower()
        if "premium" in lowered and "rate limit" not in lowered:
            raise ApiError(s.PROVIDER, endpoint.name, text)
        if "rate limit" in lowered or "per day" in lowered or "requests per" in lowered:
            raise RateLimited(s.PROVIDER, endpoint.name, text, retryable=False)
        raise ApiError(s.PROVIDER, endpoint.name, text)
    if "Error Message" in data:
        raise ApiError(s.PROVIDER, endpoint.name, str(data["Error Message"]))


class AlphaVantageClient(ProviderClient):
    """The real Alpha Vantage API behind the shared resilience layer."""

    def __init__(self, settings: AlphaVantageSettings | None = None, *, store: StateStore | None = None,
                 policy: Policy | None = None, **http_options: Any) -> None:
        self.settings = settings or AlphaVantageSettings()
        self.http = ProviderHttp(
            s.PROVIDER,
            self.settings.base_url,
            policy or self.settings.policy(),
            store=store,
            check_body=check_body,
            secret_params=frozenset({"apikey"}),
            **http_options,
        )

    def _call(self, endpoint: Endpoint, *, use_cache: bool = True, **params: Any) -> dict:
        if not self.settings.api_key:
            raise ApiError(s.PROVIDER, endpoint.name, "ALPHAVANTAGE_API_KEY is not set")
        body = self.http.get(endpoint, {"function": endpoint.name, **params, "apikey": self.settings.api_key},
                             use_cache=use_cache)
        return Reader(s.PROVIDER, endpoint.name).obj(body)

    def news_sentiment(self, tickers: Sequence[str], *, time_from: dt.datetime | None = None,
                       limit: int = 1000) -> dict:
        params: dict[str, Any] = {"tickers": ",".join(tickers), "sort": "EARLIEST", "limit": limit}
        if time_from is not None:
            params["time_from"] = utc(time_from).strftime("%Y%m%dT%H%M")
        return self._call(s.NEWS_SENTIMENT, **params)

    def digital_currency_daily(self, symbol: str, market: str = "USD") -> dict:
        return self._call(s.DIGITAL_CURRENCY_DAILY, symbol=symbol.upper(), market=market.upper())

    def exchange_rate(self, from_currency: str, to_currency: str = "USD", *, use_cache: bool = True) -> dict:
        return self._call(s.CURRENCY_EXCHANGE_RATE, from_currency=from_currency.upper(),
                          to_currency=to_currency.upper(), use_cache=use_cache)


# --- parsers ---------------------------------------------------------------------------------------

_LABELS = {"bearish": "Bearish", "somewhat-bearish": "Somewhat-Bearish", "neutral": "Neutral",
           "somewhat-bullish": "Somewhat-Bullish", "somewhat_bullish": "Somewhat-Bullish", "bullish": "Bullish"}


def _label(raw: str | None) -> str | None:
    return _LABELS.get(raw.lower(), raw) if raw else None


def parse_news(data: Any) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``NEWS_SENTIMENT`` -> (NewsArticleFrame, NewsSentimentFrame).

    Only ``CRYPTO:<SYMBOL>`` tickers become per-asset sentiment; equities and forex tickers stay in
    the raw data. ``time_published`` is read as UTC.
    """
    endpoint = s.NEWS_SENTIMENT.name
    r = Reader(s.PROVIDER, endpoint)
    feed = r.arr(r.get(r.obj(data), "feed"), "feed")
    articles, sentiment = [], []
    for i, item in enumerate(feed):
        p = f"feed[{i}]"
        item = r.obj(item, p)
        url = r.str_(item, "url", f"{p}.url")
        published = r.strptime(r.str_(item, "time_published", f"{p}.time_published"), NEWS_TIME_FORMAT,
                               f"{p}.time_published")
        topics = item.get("topics")
        articles.append({
            "url": url,
            "title": r.str_(item, "title", f"{p}.title"),
            "summary": r.str_(item, "summary", f"{p}.summary", optional=True),
            "source": r.str_(item, "source", f"{p}.source", optional=True),
            "published_at": published,
            "overall_score": r.num(item, "overall_sentiment_score", f"{p}.overall_sentiment_score", optional=True),
            "overall_label": _label(r.str_(item, "overall_sentiment_label", optional=True)),
            "topics": json.dumps(topics) if topics is not None else None,
            "provider": SOURCE,
        })
        for j, ticker in enumerate(r.arr(item.get("ticker_sentiment", []), f"{p}.ticker_sentiment")):
            q = f"{p}.ticker_sentiment[{j}]"
            ticker = r.obj(ticker, q)
            name = r.str_(ticker, "ticker", f"{q}.ticker")
            if not name.startswith("CRYPTO:"):
                continue
            sentiment.append({
                "url": url,
                "symbol": name.removeprefix("CRYPTO:").upper(),
                "published_at": published,
                "relevance": r.num(ticker, "relevance_score", f"{q}.relevance_score"),
                "score": r.num(ticker, "ticker_sentiment_score", f"{q}.ticker_sentiment_score"),
                "label": _label(r.str_(ticker, "ticker_sentiment_label", optional=True)),
            })
    article_frame = validate(pl.DataFrame(articles, schema=schema(NewsArticleFrame)), NewsArticleFrame,
                             provider=s.PROVIDER, endpoint=endpoint)
    sentiment_frame = validate(pl.DataFrame(sentiment, schema=schema(NewsSentimentFrame)), NewsSentimentFrame,
                               provider=s.PROVIDER, endpoint=endpoint)
    return article_frame, sentiment_frame


_FIELD = re.compile(r"^\d+[a-z]?\. (open|high|low|close|price|volume|market cap)(?: \(([A-Z]+)\))?$")
_SERIES_KEY = re.compile(r"^Time Series")


def parse_time_series(data: Any, endpoint: str = s.DIGITAL_CURRENCY_DAILY.name) -> pl.DataFrame:
    """Any crypto time series (daily or intraday, 2024+ or legacy layout) -> long OHLCV candles.

    Columns: symbol, time, currency, open, high, low, close, volume (in coin units). Legacy answers
    quote the market currency and USD side by side: both come out, one row per currency.
    A lone ``"price"`` (legacy intraday) fills open/high/low/close alike.
    """
    r = Reader(s.PROVIDER, endpoint)
    body = r.obj(data)
    meta = r.obj(r.get(body, "Meta Data"), "Meta Data")
    symbol = next((v for k, v in meta.items() if k.endswith("Digital Currency Code")), None)
    market = next((v for k, v in meta.items() if k.endswith("Market Code")), None)
    if not symbol or not market:
        raise r.error("Meta Data", "no 'Digital Currency Code' / 'Market Code'")
    key = next((k for k in body if _SERIES_KEY.match(k)), None)
    if key is None:
        raise r.error("Time Series", f"missing (keys: {', '.join(body)})")
    series = r.obj(body[key], key)
    rows = []
    for stamp, point in series.items():
        point = r.obj(point, f"{key}.{stamp}")
        time = r.strptime(stamp, "%Y-%m-%d %H:%M:%S" if " " in stamp else "%Y-%m-%d", f"{key}.{stamp}")
        by_currency: dict[str, dict[str, float | None]] = {}
        volume = None
        for name, raw in point.items():
            match = _FIELD.match(name)
            if not match:
                continue
            what, currency = match.group(1), match.group(2) or market
            value = r.as_num(raw, f"{key}.{stamp}.{name}")
            if what == "volume":
                volume = value
            elif what != "market cap":
                by_currency.setdefault(currency, {})[what] = value
        if not by_currency:
            raise r.error(f"{key}.{stamp}", f"no price fields (got {', '.join(point)})")
        for currency, values in by_currency.items():
            if "price" in values:
                values = {k: values["price"] for k in ("open", "high", "low", "close")}
            missing = [k for k in ("open", "high", "low", "close") if values.get(k) is None]
            if missing:
                raise r.error(f"{key}.{stamp}", f"missing {', '.join(missing)} ({currency})")
            rows.append({"symbol": symbol.upper(), "time": time, "currency": currency, **values, "volume": volume})
    return pl.DataFrame(rows, schema={"symbol": pl.String, "time": UTC_US, "currency": pl.String,
                                      "open": pl.Float64, "high": pl.Float64, "low": pl.Float64,
                                      "close": pl.Float64, "volume": pl.Float64}).sort("time")


def usd_prices(candles: pl.DataFrame, endpoint: str = s.DIGITAL_CURRENCY_DAILY.name) -> pl.DataFrame:
    """Daily USD closes as a PriceFrame (volume converted to USD at the close). Non-USD series are refused."""
    usd = candles.filter(pl.col("currency") == "USD")
    if candles.height and not usd.height:
        markets = ", ".join(sorted(set(candles.get_column("currency"))))
        raise ApiError(s.PROVIDER, endpoint, f"series is quoted in {markets}, not USD: request market=USD")
    frame = usd.select(
        "symbol",
        "time",
        pl.col("close").alias("price"),
        pl.lit(None, pl.Float64).alias("market_cap"),
        (pl.col("volume") * pl.col("close")).alias("volume_24h"),
        pl.lit(SOURCE).alias("source"),
    )
    return validate(frame, PriceFrame, provider=s.PROVIDER, endpoint=endpoint)


def parse_exchange_rate(data: Any) -> pl.DataFrame:
    """``CURRENCY_EXCHANGE_RATE`` -> one row: from, to, rate, bid, ask (null when sent as "-"), time."""
    endpoint = s.CURRENCY_EXCHANGE_RATE.name
    r = Reader(s.PROVIDER, endpoint)
    key = "Realtime Currency Exchange Rate"
    body = r.obj(r.get(r.obj(data), key), key)

    def field(suffix: str) -> str:
        name = next((k for k in body if k.split(". ", 1)[-1] == suffix), None)
        if name is None:
            raise r.error(f"{key}.{suffix}", "missing")
        return name

    rate = r.num(body, field("Exchange Rate"), f"{key}.Exchange Rate")
    if rate is None or rate <= 0:
        raise r.error(f"{key}.Exchange Rate", f"must be positive, got {rate!r}")
    bid = next((k for k in body if k.endswith("Bid Price")), None)
    ask = next((k for k in body if k.endswith("Ask Price")), None)
    row = {
        "from_currency": r.str_(body, field("From_Currency Code")),
        "to_currency": r.str_(body, field("To_Currency Code")),
        "rate": rate,
        "bid": r.num(body, bid, optional=True) if bid else None,
        "ask": r.num(body, ask, optional=True) if ask else None,
        "time": r.strptime(r.str_(body, field("Last Refreshed")), "%Y-%m-%d %H:%M:%S", f"{key}.Last Refreshed"),
    }
    return pl.DataFrame([row], schema={"from_currency": pl.String, "to_currency": pl.String, "rate": pl.Float64,
                                       "bid": pl.Float64, "ask": pl.Float64, "time": UTC_US})
