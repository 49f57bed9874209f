"""Alpha Vantage: client, response shapes (msgspec Structs) and parsers.

Alpha Vantage sends throttling and key problems as HTTP 200 bodies: ``{"Note": ...}`` (per-minute
limit, worth a retry after a minute), ``{"Information": ...}`` (daily limit: no retry helps today;
or a premium endpoint: a refusal) and ``{"Error Message": ...}`` (bad request or key).
Time series come in two field layouts (``"4. close"`` since 2024, ``"4b. close (USD)"`` before);
both are read. Numbers arrive as strings. A news item that does not fit its shape is left out
of the frames and reported (``News.skipped``); the other articles land.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, TypeVar

import msgspec
import polars as pl
from msgspec import Meta, Struct, field

from pipelines.alphavantage import settings as s
from pipelines.alphavantage.settings import AlphaVantageSettings
from pipelines.contracts import (
    FUTURE_SLACK,
    SYMBOL_PATTERN,
    UTC_US,
    NewsArticleFrame,
    NewsSentimentFrame,
    PriceFrame,
    schema,
    validate,
)
from pipelines.decoding import NonNegative, Positive, decode
from pipelines.errors import ApiError, MalformedResponse, RateLimited
from pipelines.http import Endpoint, Policy, ProviderClient, ProviderHttp, StateStore
from pipelines.times import utc

SOURCE = "alphavantage"
NEWS_TIME_FORMAT = "%Y%m%dT%H%M%S"
log = logging.getLogger(__name__)


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
    """The real Alpha Vantage API behind the shared resilience layer; methods return bodies as sent."""

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
        return decode(body, dict[str, Any], provider=s.PROVIDER, endpoint=endpoint.name)

    def news_sentiment(self, tickers: Sequence[str], *, time_from: dt.datetime | None = None,
                       limit: int = 1000) -> dict:
        params: dict[str, Any] = {"tickers": ",".join(tickers), "sort": "EARLIEST", "limit": limit}
        if time_from is not None:
            params["time_from"] = utc(time_from).strftime("%Y%m%dT%H%M")
        body = self._call(s.NEWS_SENTIMENT, **params)
        _decode(body, _Feed[Any], s.NEWS_SENTIMENT.name)  # items are checked one by one when parsed
        return body

    def digital_currency_daily(self, symbol: str, market: str = "USD") -> dict:
        body = self._call(s.DIGITAL_CURRENCY_DAILY, symbol=symbol.upper(), market=market.upper())
        series_parts(body, s.DIGITAL_CURRENCY_DAILY.name)  # points are checked when parsed
        return body

    def exchange_rate(self, from_currency: str, to_currency: str = "USD", *, use_cache: bool = True) -> dict:
        return self._call(s.CURRENCY_EXCHANGE_RATE, from_currency=from_currency.upper(),
                          to_currency=to_currency.upper(), use_cache=use_cache)


# --- response shapes ---------------------------------------------------------------------------------

B = TypeVar("B")  # msgspec.Raw for a body read from bytes, Any for decoded JSON
Score = Annotated[float, Meta(ge=-1, le=1)]
Relevance = Annotated[float, Meta(ge=0, le=1)]


class TickerSentiment(Struct):
    ticker: str
    relevance_score: Relevance
    ticker_sentiment_score: Score
    ticker_sentiment_label: str | None = None


class NewsItem(Struct):
    """One ``NEWS_SENTIMENT`` feed item (fields we do not use are ignored)."""

    url: Annotated[str, Meta(pattern=r"^https?://")]
    title: str
    time_published: Annotated[str, Meta(pattern=r"^[0-9]{8}T[0-9]{6}$")]
    summary: str | None = None
    source: str | None = None
    overall_sentiment_score: Score | None = None
    overall_sentiment_label: str | None = None
    topics: list[Any] | None = None
    ticker_sentiment: list[TickerSentiment] = []


class _Feed(Struct, Generic[B]):
    feed: list[B]


class _Url(Struct):
    url: Any = None


class SeriesMeta(Struct):
    """``Meta Data`` of every crypto time series (daily, intraday; both layouts)."""

    symbol: Annotated[str, Meta(pattern=r"^[A-Za-z0-9.]{1,15}$")] = field(name="2. Digital Currency Code")
    market: Annotated[str, Meta(pattern=r"^[A-Z0-9]{2,10}$")] = field(name="4. Market Code")


class Candle(Struct):
    """A point of the 2024+ layout (``DIGITAL_CURRENCY_DAILY``, ``CRYPTO_INTRADAY``), in the market currency."""

    open: Positive = field(name="1. open")
    high: Positive = field(name="2. high")
    low: Positive = field(name="3. low")
    close: Positive = field(name="4. close")
    volume: NonNegative | None = field(name="5. volume", default=None)


_OHLC = ("open", "high", "low", "close")


@functools.cache
def legacy_candle(market: str) -> type[Struct]:
    """A point of the legacy daily layout: ``"1a. open (<market>)"`` beside ``"1b. open (USD)"``."""
    fields: list[tuple] = []
    for n, what in enumerate(_OHLC, 1):
        fields.append((f"{what}_market", Positive, field(name=f"{n}a. {what} ({market})")))
        fields.append((f"{what}_usd", Positive, field(name=f"{n}b. {what} (USD)")))
    fields.append(("volume", NonNegative | None, field(name="5. volume", default=None)))
    return msgspec.defstruct(f"LegacyCandle{market}", fields)


@functools.cache
def legacy_price(market: str) -> type[Struct]:
    """A point of the legacy intraday layout: one price, ``"1a. price (<market>)"`` and ``"1b. price (USD)"``."""
    return msgspec.defstruct(f"LegacyPrice{market}", [
        ("price_market", Positive, field(name=f"1a. price ({market})")),
        ("price_usd", Positive, field(name="1b. price (USD)")),
        ("volume", NonNegative | None, field(name="2. volume", default=None)),
    ])


class ExchangeRate(Struct):
    """``Realtime Currency Exchange Rate``; bid and ask are sent as ``"-"`` for some pairs."""

    from_currency: str = field(name="1. From_Currency Code")
    to_currency: str = field(name="3. To_Currency Code")
    rate: Positive = field(name="5. Exchange Rate")
    refreshed: Annotated[str, Meta(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$")] = field(
        name="6. Last Refreshed")
    bid: Positive | Literal["-"] | None = field(name="8. Bid Price", default=None)
    ask: Positive | Literal["-"] | None = field(name="9. Ask Price", default=None)


class _ExchangeRateBody(Struct):
    rate: ExchangeRate = field(name="Realtime Currency Exchange Rate")


def _body_type(data: Any) -> Any:
    """Bodies read from bytes keep their parts raw, decoded one at a time (so one item can fail alone)."""
    return msgspec.Raw if isinstance(data, bytes | bytearray | memoryview) else Any


def _decode(data: Any, type: type, endpoint: str, path: str = "") -> Any:
    return decode(data, type, provider=s.PROVIDER, endpoint=endpoint, path=path)


# --- parsers ---------------------------------------------------------------------------------------

_LABELS = {"bearish": "Bearish", "somewhat-bearish": "Somewhat-Bearish", "neutral": "Neutral",
           "somewhat-bullish": "Somewhat-Bullish", "somewhat_bullish": "Somewhat-Bullish", "bullish": "Bullish"}


def _label(raw: str | None) -> str | None:
    return _LABELS.get(raw.lower(), raw) if raw else None


@dataclass(frozen=True)
class Skipped:
    """A feed item left out of the frames: its position, URL when it has one, and why."""

    index: int
    url: str | None
    field: str | None
    reason: str


@dataclass(frozen=True)
class News:
    """``parse_news``'s answer; unpacks as ``(articles, sentiment)``."""

    articles: pl.DataFrame
    sentiment: pl.DataFrame
    skipped: tuple[Skipped, ...] = ()

    def __iter__(self) -> Iterator[pl.DataFrame]:
        return iter((self.articles, self.sentiment))


def parse_news(data: Any) -> News:
    """``NEWS_SENTIMENT`` (decoded JSON or the body's bytes) -> (NewsArticleFrame, NewsSentimentFrame).

    Only ``CRYPTO:<SYMBOL>`` tickers become per-asset sentiment; equities and forex tickers stay in
    the raw data. ``time_published`` is read as UTC. An item that does not fit (a missing or
    mistyped field, a URL that is not http(s), a score out of range, a time in the future, the
    URL of an earlier item again) is left out with its sentiment rows and listed in ``skipped``;
    a body without a ``feed`` array is refused whole.
    """
    endpoint = s.NEWS_SENTIMENT.name
    feed = _decode(data, _Feed[_body_type(data)], endpoint).feed
    articles: list[dict] = []
    sentiment: list[dict] = []
    skipped: list[Skipped] = []
    seen: dict[str, int] = {}
    latest = dt.datetime.now(dt.UTC) + FUTURE_SLACK
    for i, raw in enumerate(feed):
        try:
            item = _decode(raw, NewsItem, endpoint, f"feed[{i}]")
            article, rows = _article(item, i, latest, seen)
        except MalformedResponse as exc:
            skipped.append(Skipped(i, _url(raw), exc.field, exc.reason))
            continue
        seen[item.url] = i
        articles.append(article)
        sentiment += rows
    if skipped:
        log.warning("%s %s: left out %d of %d article(s): %s", s.PROVIDER, endpoint, len(skipped), len(feed),
                    "; ".join(f"{k.field}: {k.reason}" for k in skipped[:10]))
    return News(
        validate(pl.DataFrame(articles, schema=schema(NewsArticleFrame)), NewsArticleFrame,
                 provider=s.PROVIDER, endpoint=endpoint),
        validate(pl.DataFrame(sentiment, schema=schema(NewsSentimentFrame)), NewsSentimentFrame,
                 provider=s.PROVIDER, endpoint=endpoint),
        tuple(skipped),
    )


def _article(item: NewsItem, i: int, latest: dt.datetime, seen: dict[str, int]) -> tuple[dict, list[dict]]:
    """The article row and its crypto sentiment rows, or ``MalformedResponse`` for what the
    frames' contracts would refuse (refused here, so that it costs this item only)."""
    p = f"feed[{i}]"

    def refuse(name: str, reason: str) -> MalformedResponse:
        return MalformedResponse(s.PROVIDER, s.NEWS_SENTIMENT.name, reason, field=f"{p}.{name}")

    if item.url in seen:
        raise refuse("url", f"same URL as feed[{seen[item.url]}]")
    try:
        published = dt.datetime.strptime(item.time_published, NEWS_TIME_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        raise refuse("time_published", f"not a time like {NEWS_TIME_FORMAT!r}") from None
    if published > latest:
        raise refuse("time_published", "in the future")
    rows: dict[str, dict] = {}
    for j, ticker in enumerate(item.ticker_sentiment):
        if not ticker.ticker.startswith("CRYPTO:"):
            continue
        symbol = ticker.ticker.removeprefix("CRYPTO:").upper()
        if not re.match(SYMBOL_PATTERN, symbol):
            raise refuse(f"ticker_sentiment[{j}].ticker", "not a crypto symbol")
        if symbol in rows:
            raise refuse(f"ticker_sentiment[{j}].ticker", f"{ticker.ticker} listed twice")
        rows[symbol] = {
            "url": item.url,
            "symbol": symbol,
            "published_at": published,
            "relevance": ticker.relevance_score,
            "score": ticker.ticker_sentiment_score,
            "label": _label(ticker.ticker_sentiment_label),
        }
    article = {
        "url": item.url,
        "title": item.title,
        "summary": item.summary,
        "source": item.source,
        "published_at": published,
        "overall_score": item.overall_sentiment_score,
        "overall_label": _label(item.overall_sentiment_label),
        "topics": json.dumps(item.topics) if item.topics is not None else None,
        "provider": SOURCE,
    }
    return article, list(rows.values())


def _url(raw: Any) -> str | None:
    try:
        url = _decode(raw, _Url, s.NEWS_SENTIMENT.name).url
    except MalformedResponse:
        return None
    return url if isinstance(url, str) else None


_SERIES_KEY = re.compile(r"^Time Series")


def parse_time_series(data: Any, endpoint: str = s.DIGITAL_CURRENCY_DAILY.name) -> pl.DataFrame:
    """Any crypto time series (daily or intraday, 2024+ or legacy layout) -> long OHLCV candles.

    ``data`` is decoded JSON or the body's bytes. Columns: symbol, time, currency, open, high,
    low, close, volume (in coin units). Legacy answers quote the market currency and USD side by
    side: both come out, one row per currency. A lone ``"price"`` (legacy intraday) fills
    open/high/low/close alike.
    """
    meta, key, series = series_parts(data, endpoint)
    symbol, market = meta.symbol.upper(), meta.market
    rows: list[dict] = []
    layout = None
    for stamp, raw in series.items():
        path = f"{key}.{stamp}"
        if layout is None:
            layout = _layout(_decode(raw, dict[str, Any], endpoint, path), market, endpoint, path)
        point = _decode(raw, layout, endpoint, path)
        try:
            time = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S" if " " in stamp else "%Y-%m-%d").replace(tzinfo=dt.UTC)
        except ValueError:
            raise MalformedResponse(s.PROVIDER, endpoint, "not a time like '2024-01-31' or '2024-01-31 23:55:00'",
                                    field=path) from None
        for currency, ohlc in _quotes(point, market):
            rows.append({"symbol": symbol, "time": time, "currency": currency, **ohlc, "volume": point.volume})
    return pl.DataFrame(rows, schema={"symbol": pl.String, "time": UTC_US, "currency": pl.String,
                                      "open": pl.Float64, "high": pl.Float64, "low": pl.Float64,
                                      "close": pl.Float64, "volume": pl.Float64}).sort("time", maintain_order=True)


def series_parts(data: Any, endpoint: str) -> tuple[SeriesMeta, str, dict[str, Any]]:
    """A time series body's ``Meta Data``, the name of its series (``Time Series ...``) and the
    series by time stamp, points not yet read (raw parts for a body read from bytes)."""
    part = _body_type(data)
    body = _decode(data, dict[str, part], endpoint)
    if "Meta Data" not in body:
        raise MalformedResponse(s.PROVIDER, endpoint, "missing", field="Meta Data")
    meta = _decode(body["Meta Data"], SeriesMeta, endpoint, "Meta Data")
    key = next((k for k in body if _SERIES_KEY.match(k)), None)
    if key is None:
        raise MalformedResponse(s.PROVIDER, endpoint, f"missing (keys: {', '.join(body)})", field="Time Series")
    return meta, key, _decode(body[key], dict[str, part], endpoint, key)


def _layout(point: dict[str, Any], market: str, endpoint: str, path: str) -> type[Struct]:
    """The point Struct of a series, told by its first point's field names."""
    if "1. open" in point:
        return Candle
    if f"1a. open ({market})" in point:
        return legacy_candle(market)
    if f"1a. price ({market})" in point:
        return legacy_price(market)
    raise MalformedResponse(s.PROVIDER, endpoint, f"no known price fields (got {', '.join(point)})", field=path)


def _quotes(point: Struct, market: str) -> list[tuple[str, dict[str, float]]]:
    """(currency, open/high/low/close) of one point: the market's, and USD's where the legacy layout adds them."""
    if isinstance(point, Candle):
        return [(market, {k: getattr(point, k) for k in _OHLC})]
    if hasattr(point, "price_market"):
        quotes = [(market, dict.fromkeys(_OHLC, point.price_market)), ("USD", dict.fromkeys(_OHLC, point.price_usd))]
    else:
        quotes = [(market, {k: getattr(point, f"{k}_market") for k in _OHLC}),
                  ("USD", {k: getattr(point, f"{k}_usd") for k in _OHLC})]
    # A USD market sends both columns in USD: one row.
    return quotes[1:] if market == "USD" else quotes


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
    """``CURRENCY_EXCHANGE_RATE`` (decoded JSON or the body's bytes) -> one row: from, to, rate,
    bid, ask (null when sent as "-"), time."""
    endpoint = s.CURRENCY_EXCHANGE_RATE.name
    quote = _decode(data, _ExchangeRateBody, endpoint).rate
    row = {
        "from_currency": quote.from_currency,
        "to_currency": quote.to_currency,
        "rate": quote.rate,
        "bid": None if quote.bid == "-" else quote.bid,
        "ask": None if quote.ask == "-" else quote.ask,
        "time": dt.datetime.strptime(quote.refreshed, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC),
    }
    return pl.DataFrame([row], schema={"from_currency": pl.String, "to_currency": pl.String, "rate": pl.Float64,
                                       "bid": pl.Float64, "ask": pl.Float64, "time": UTC_US})
