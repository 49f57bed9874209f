"""CoinGecko v3: the client (paths, parameters, pagination, auth) and parsers from its JSON to
curated frames. Parsers are pure: JSON in, validated polars frame out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import polars as pl

from pipelines.coingecko import settings as s
from pipelines.coingecko.settings import CoinGeckoSettings
from pipelines.contracts import UTC_US, GlobalFrame, MarketFrame, PriceFrame, TrendingFrame, schema, validate
from pipelines.errors import ApiError
from pipelines.http import Policy, ProviderClient, ProviderHttp, StateStore
from pipelines.parsing import Reader, utc

SOURCE = "coingecko"


class CoinGeckoClient(ProviderClient):
    """The real CoinGecko API (public, Demo or Pro) behind the shared resilience layer."""

    def __init__(self, settings: CoinGeckoSettings | None = None, *, store: StateStore | None = None,
                 policy: Policy | None = None, **http_options: Any) -> None:
        self.settings = settings or CoinGeckoSettings()
        self.http = ProviderHttp(
            s.PROVIDER,
            self.settings.base_url,
            policy or self.settings.policy(),
            headers=self.settings.headers,
            store=store,
            **http_options,
        )

    def ping(self) -> Any:
        return self.http.get(s.PING, use_cache=False)

    def simple_price(self, ids: Sequence[str], vs_currency: str = "usd") -> dict:
        params = {
            "ids": ",".join(ids),
            "vs_currencies": vs_currency,
            "include_market_cap": "true",
            "include_24hr_vol": "true",
            "include_last_updated_at": "true",
        }
        return self.http.get(s.SIMPLE_PRICE, params)

    def markets_pages(self, vs_currency: str = "usd", *, ids: Sequence[str] | None = None, top: int = 100,
                      per_page: int = s.MARKETS_PAGE_SIZE) -> Iterator[list[dict]]:
        """Pages of ``/coins/markets`` by market cap until ``top`` coins (or the list) are exhausted."""
        per_page = min(per_page, s.MARKETS_PAGE_SIZE, top)
        page, seen = 1, 0
        while seen < top:
            params: dict[str, Any] = {"vs_currency": vs_currency, "order": "market_cap_desc",
                                      "per_page": per_page, "page": page}
            if ids:
                params["ids"] = ",".join(ids)
            rows = Reader(s.PROVIDER, s.COINS_MARKETS.name).arr(self.http.get(s.COINS_MARKETS, params))
            yield rows[: top - seen]
            seen += len(rows)
            if len(rows) < per_page:
                return
            page += 1

    def market_chart_range(self, coin_id: str, start: dt.datetime, end: dt.datetime, vs_currency: str = "usd") -> dict:
        params = {"vs_currency": vs_currency, "from": int(utc(start).timestamp()), "to": int(utc(end).timestamp())}
        return self.http.get(s.MARKET_CHART_RANGE, params, path=s.MARKET_CHART_RANGE.path.format(id=coin_id))

    def ohlc(self, coin_id: str, days: int | str = 30, vs_currency: str = "usd") -> list:
        data = self.http.get(s.OHLC, {"vs_currency": vs_currency, "days": days}, path=s.OHLC.path.format(id=coin_id))
        return Reader(s.PROVIDER, s.OHLC.name).arr(data)

    def trending(self) -> dict:
        return self.http.get(s.TRENDING)

    def global_market(self) -> dict:
        return self.http.get(s.GLOBAL)


# --- parsers ---------------------------------------------------------------------------------------


def parse_simple_price(data: Any, symbols: Mapping[str, str], vs_currency: str = "usd",
                       *, at: dt.datetime | None = None) -> pl.DataFrame:
    """``/simple/price`` -> PriceFrame. ``symbols`` maps CoinGecko ids to our symbols.

    CoinGecko silently drops ids it does not know (a known quirk), so the frame may hold fewer
    assets than asked for. A coin present without the currency means the currency is unknown.
    """
    r = Reader(s.PROVIDER, s.SIMPLE_PRICE.name)
    body = r.obj(data)
    at = utc(at or dt.datetime.now(dt.UTC))
    rows = []
    for coin_id, quote in body.items():
        quote = r.obj(quote, coin_id)
        if vs_currency not in quote:
            raise ApiError(s.PROVIDER, s.SIMPLE_PRICE.name,
                           f"no {vs_currency!r} price for {coin_id!r} (unknown vs_currency?)")
        updated = quote.get("last_updated_at")
        rows.append({
            "symbol": symbols.get(coin_id, coin_id).upper(),
            "time": r.epoch(updated, f"{coin_id}.last_updated_at") if updated is not None else at,
            "price": r.num(quote, vs_currency, f"{coin_id}.{vs_currency}"),
            "market_cap": r.num(quote, f"{vs_currency}_market_cap", optional=True),
            "volume_24h": r.num(quote, f"{vs_currency}_24h_vol", optional=True),
            "source": SOURCE,
        })
    return validate(pl.DataFrame(rows, schema=schema(PriceFrame)), PriceFrame, provider=s.PROVIDER,
                    endpoint=s.SIMPLE_PRICE.name)


def parse_markets(rows: Any) -> pl.DataFrame:
    """``/coins/markets`` rows -> MarketFrame (one snapshot per coin at its ``last_updated``)."""
    r = Reader(s.PROVIDER, s.COINS_MARKETS.name)
    out = []
    for i, row in enumerate(r.arr(rows)):
        row = r.obj(row, f"[{i}]")
        out.append({
            "symbol": r.str_(row, "symbol", f"[{i}].symbol").upper(),
            "coingecko_id": r.str_(row, "id", f"[{i}].id"),
            "name": r.str_(row, "name", f"[{i}].name"),
            "time": r.iso_time(row, "last_updated", f"[{i}].last_updated"),
            "price": r.num(row, "current_price", f"[{i}].current_price"),
            "market_cap": r.num(row, "market_cap", f"[{i}].market_cap", optional=True),
            "market_cap_rank": r.int_(row, "market_cap_rank", f"[{i}].market_cap_rank", optional=True),
            "total_volume": r.num(row, "total_volume", f"[{i}].total_volume", optional=True),
            "price_change_pct_24h": r.num(row, "price_change_percentage_24h", optional=True),
            "circulating_supply": r.num(row, "circulating_supply", optional=True),
            "ath": r.num(row, "ath", optional=True),
            "source": SOURCE,
        })
    return validate(pl.DataFrame(out, schema=schema(MarketFrame)), MarketFrame, provider=s.PROVIDER,
                    endpoint=s.COINS_MARKETS.name)


def prices_from_markets(markets: pl.DataFrame) -> pl.DataFrame:
    """The price updates inside a market snapshot (PriceFrame)."""
    return markets.select("symbol", "time", "price", "market_cap", pl.col("total_volume").alias("volume_24h"), "source")


def parse_market_chart(data: Any, symbol: str) -> pl.DataFrame:
    """``/coins/{id}/market_chart[/range]`` -> PriceFrame for ``symbol``.

    The three series share timestamps (ms); caps and volumes are joined onto prices by time.
    """
    r = Reader(s.PROVIDER, s.MARKET_CHART_RANGE.name)
    body = r.obj(data)
    series: dict[str, dict[int, float]] = {}
    for name in ("prices", "market_caps", "total_volumes"):
        points = r.arr(r.get(body, name), name)
        values: dict[int, float] = {}
        for i, point in enumerate(points):
            if not isinstance(point, list) or len(point) != 2:
                raise r.error(f"{name}[{i}]", f"expected [ms, value], got {point!r}")
            ms = int(r.as_num(point[0], f"{name}[{i}][0]"))
            value = r.as_num(point[1], f"{name}[{i}][1]", optional=name != "prices")
            if value is not None:
                values[ms] = value
        series[name] = values
    times = sorted(series["prices"])
    frame = pl.DataFrame(
        {
            "symbol": [symbol.upper()] * len(times),
            "time": pl.Series([t * 1000 for t in times], dtype=pl.Int64).cast(UTC_US),
            "price": [series["prices"][t] for t in times],
            "market_cap": [series["market_caps"].get(t) for t in times],
            "volume_24h": [series["total_volumes"].get(t) for t in times],
            "source": [SOURCE] * len(times),
        },
        schema=schema(PriceFrame),
    )
    return validate(frame, PriceFrame, provider=s.PROVIDER, endpoint=s.MARKET_CHART_RANGE.name)


def parse_ohlc(data: Any, symbol: str) -> pl.DataFrame:
    """``/coins/{id}/ohlc`` -> candles (symbol, time, open, high, low, close); time is the candle's close."""
    r = Reader(s.PROVIDER, s.OHLC.name)
    rows = []
    for i, candle in enumerate(r.arr(data)):
        if not isinstance(candle, list) or len(candle) != 5:
            raise r.error(f"[{i}]", f"expected [ms, open, high, low, close], got {candle!r}")
        values = [r.as_num(v, f"[{i}][{j}]") for j, v in enumerate(candle)]
        rows.append({"symbol": symbol.upper(), "time": r.epoch(values[0], f"[{i}][0]", millis=True),
                     "open": values[1], "high": values[2], "low": values[3], "close": values[4]})
    frame = pl.DataFrame(rows, schema={"symbol": pl.String, "time": UTC_US, "open": pl.Float64, "high": pl.Float64,
                                       "low": pl.Float64, "close": pl.Float64})
    bad = frame.filter((pl.min_horizontal("open", "high", "low", "close") <= 0) | (pl.col("high") < pl.col("low")))
    if bad.height:
        raise r.error("[*]", f"{bad.height} candle(s) with non-positive prices or high < low: {bad.head(3).to_dicts()}")
    return frame


def parse_trending(data: Any, *, at: dt.datetime | None = None) -> pl.DataFrame:
    """``/search/trending`` -> TrendingFrame; ``rank`` is the position in the list (0 = top)."""
    r = Reader(s.PROVIDER, s.TRENDING.name)
    coins = r.arr(r.get(r.obj(data), "coins"), "coins")
    at = utc(at or dt.datetime.now(dt.UTC)).replace(second=0, microsecond=0)
    rows = []
    for i, entry in enumerate(coins):
        item = r.obj(r.get(r.obj(entry, f"coins[{i}]"), "item", f"coins[{i}].item"), f"coins[{i}].item")
        p = f"coins[{i}].item"
        rows.append({
            "time": at,
            "rank": i,
            "coingecko_id": r.str_(item, "id", f"{p}.id"),
            "symbol": r.str_(item, "symbol", f"{p}.symbol").upper(),
            "name": r.str_(item, "name", f"{p}.name"),
            "market_cap_rank": r.int_(item, "market_cap_rank", f"{p}.market_cap_rank", optional=True),
            "price_btc": r.num(item, "price_btc", f"{p}.price_btc", optional=True),
            "score": r.num(item, "score", f"{p}.score", optional=True),
            "source": SOURCE,
        })
    return validate(pl.DataFrame(rows, schema=schema(TrendingFrame)), TrendingFrame, provider=s.PROVIDER,
                    endpoint=s.TRENDING.name)


def parse_global(data: Any) -> pl.DataFrame:
    """``/global`` -> GlobalFrame (one row, at the provider's ``updated_at``)."""
    r = Reader(s.PROVIDER, s.GLOBAL.name)
    body = r.obj(r.get(r.obj(data), "data"), "data")
    caps = r.obj(r.get(body, "total_market_cap", "data.total_market_cap"), "data.total_market_cap")
    volumes = r.obj(r.get(body, "total_volume", "data.total_volume"), "data.total_volume")
    shares = r.obj(r.get(body, "market_cap_percentage", "data.market_cap_percentage"), "data.market_cap_percentage")
    row = {
        "time": r.epoch(r.get(body, "updated_at", "data.updated_at"), "data.updated_at"),
        "total_market_cap_usd": r.num(caps, "usd", "data.total_market_cap.usd"),
        "total_volume_usd": r.num(volumes, "usd", "data.total_volume.usd"),
        "btc_dominance_pct": r.num(shares, "btc", "data.market_cap_percentage.btc", optional=True),
        "eth_dominance_pct": r.num(shares, "eth", "data.market_cap_percentage.eth", optional=True),
        "market_cap_change_pct_24h": r.num(body, "market_cap_change_percentage_24h_usd", optional=True),
        "active_cryptocurrencies": r.int_(body, "active_cryptocurrencies", "data.active_cryptocurrencies", optional=True),
        "source": SOURCE,
    }
    return validate(pl.DataFrame([row], schema=schema(GlobalFrame)), GlobalFrame, provider=s.PROVIDER,
                    endpoint=s.GLOBAL.name)


def daily_close(prices: pl.DataFrame) -> pl.DataFrame:
    """One row per asset and UTC day: the day's last observation, stamped at midnight UTC."""
    return (
        prices.sort("time")
        .group_by("symbol", pl.col("time").dt.truncate("1d").alias("day"), maintain_order=True)
        .last()
        .drop("time")
        .rename({"day": "time"})
        .select(prices.columns)
        .sort("symbol", "time")
    )
