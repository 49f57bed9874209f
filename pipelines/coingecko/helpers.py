"""CoinGecko v3: the client (paths, parameters, pagination, auth, plan limits) and its answers as
msgspec Structs, plus the pure parsers from those to warehouse-shaped frames.

Every answer is decoded from bytes into a Struct (a missing or mistyped field is a
``MalformedResponse`` naming its JSON path, a body cut short a ``TruncatedResponse``) before it
may be cached; see ``pipelines.http.client``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from typing import Any

import msgspec
import polars as pl

from pipelines.coingecko import settings as s
from pipelines.coingecko.settings import CoinGeckoSettings
from pipelines.decoding import decode
from pipelines.errors import HistoryLimit, MalformedResponse
from pipelines.http import Endpoint, Policy, ProviderClient, ProviderHttp, StateStore
from pipelines.prices import POINT_SCHEMA, UTC_US, Coin, dedupe, restamp_midnights
from pipelines.times import utc

SOURCE = "coingecko"

# --- the answers --------------------------------------------------------------------------------


class MarketChart(msgspec.Struct):
    """``/coins/{id}/market_chart/range``: three series of ``[ms, value]`` sharing timestamps."""

    prices: list[tuple[float, float | None]]
    market_caps: list[tuple[float, float | None]]
    total_volumes: list[tuple[float, float | None]]

    @property
    def sound(self) -> bool:
        """Every price positive and finite: only such an answer may be cached."""
        return all(p is not None and math.isfinite(p) and p > 0 for _, p in self.prices)


class MarketRow(msgspec.Struct):
    """One ``/coins/markets`` row (the fields we use; the rest of the row is ignored)."""

    id: str
    symbol: str
    name: str
    current_price: float | None = None
    market_cap: float | None = None
    market_cap_rank: int | None = None
    total_volume: float | None = None
    price_change_percentage_24h: float | None = None
    circulating_supply: float | None = None
    ath: float | None = None
    last_updated: dt.datetime | None = None


class ListedCoin(msgspec.Struct):
    """One ``/coins/list?include_platform=true`` entry: contract address per platform."""

    id: str
    symbol: str
    name: str
    platforms: dict[str, str | None] = {}


class TrendingItem(msgspec.Struct):
    id: str
    symbol: str
    name: str
    market_cap_rank: int | None = None
    price_btc: float | None = None
    score: float | None = None


class TrendingEntry(msgspec.Struct):
    item: TrendingItem


class Trending(msgspec.Struct):
    coins: list[TrendingEntry]


class GlobalData(msgspec.Struct):
    total_market_cap: dict[str, float]
    total_volume: dict[str, float]
    market_cap_percentage: dict[str, float]
    updated_at: int
    market_cap_change_percentage_24h_usd: float | None = None
    active_cryptocurrencies: int | None = None


class Global(msgspec.Struct):
    data: GlobalData


def _decoder(endpoint: Endpoint, type_: type) -> Any:
    return lambda content: decode(content, type_, provider=s.PROVIDER, endpoint=endpoint.name, strict=True)


def _checked_chart(coin_id: str):
    decode = _decoder(s.MARKET_CHART_RANGE, MarketChart)

    def check(content: bytes) -> MarketChart:
        chart = decode(content)
        times: dict[float, float | None] = {}
        for i, (ms, price) in enumerate(chart.prices):
            if ms in times and times[ms] != price:
                raise MalformedResponse(s.PROVIDER, s.MARKET_CHART_RANGE.name,
                                        f"{coin_id}: two different prices at {int(ms)} ms", field=f"prices[{i}]")
            times[ms] = price
        return chart

    return check


# --- the client -----------------------------------------------------------------------------------


class CoinGeckoClient(ProviderClient):
    """The real CoinGecko API (public, Demo or Pro) behind the shared resilience layer, held to
    its plan's per-minute, per-month and history limits."""

    def __init__(self, settings: CoinGeckoSettings | None = None, *, store: StateStore | None = None,
                 policy: Policy | None = None, clock=None, **http_options: Any) -> None:
        self.settings = settings or CoinGeckoSettings()
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.http = ProviderHttp(
            s.PROVIDER,
            self.settings.base_url,
            policy or self.settings.policy(),
            headers=self.settings.headers,
            store=store,
            monthly_limit=self.settings.monthly_limit,
            clock=clock,
            **http_options,
        )

    def ping(self) -> Any:
        return self.http.get(s.PING, use_cache=False)

    def earliest(self) -> dt.datetime | None:
        """The oldest instant the plan serves history for (None: all of it)."""
        days = self.settings.history_days
        return None if days is None else self._clock() - dt.timedelta(days=days)

    def check_history(self, start: dt.datetime) -> None:
        """Refuse, before any call, a range older than the plan serves (``HistoryLimit``)."""
        earliest = self.earliest()
        if earliest is not None and start < earliest:
            raise HistoryLimit(
                s.PROVIDER, s.MARKET_CHART_RANGE.name,
                f"the {self.settings.plan} plan serves the past {self.settings.history_days} days only "
                f"(from {earliest:%Y-%m-%d}); the range starts {start:%Y-%m-%d}: backfill from {earliest:%Y-%m-%d} "
                "or use a Pro key (COINGECKO_PLAN=pro)")

    def markets(self, ids: Sequence[str], vs_currency: str = "usd") -> Iterator[list[MarketRow]]:
        """``/coins/markets`` for ``ids``, 250 per call (the API's page size). The same ids in the
        same order give the same URL, so the price tick and the market snapshot share one call."""
        ids = sorted(set(ids))
        for i in range(0, len(ids), s.MARKETS_PAGE_SIZE):
            chunk = ids[i: i + s.MARKETS_PAGE_SIZE]
            params = {"vs_currency": vs_currency, "ids": ",".join(chunk), "order": "market_cap_desc",
                      "per_page": s.MARKETS_PAGE_SIZE, "page": 1}
            yield self.http.get(s.COINS_MARKETS, params, decode=_decoder(s.COINS_MARKETS, list[MarketRow]))

    def top_markets(self, top: int, vs_currency: str = "usd", *,
                    per_page: int = s.MARKETS_PAGE_SIZE) -> Iterator[list[MarketRow]]:
        """The top ``top`` coins by market cap, a page of up to 250 at a time."""
        per_page = min(s.MARKETS_PAGE_SIZE, per_page, top)
        page, seen = 1, 0
        while seen < top:
            params = {"vs_currency": vs_currency, "order": "market_cap_desc", "per_page": per_page, "page": page}
            rows = self.http.get(s.COINS_MARKETS, params, decode=_decoder(s.COINS_MARKETS, list[MarketRow]))
            yield rows[: top - seen]
            seen += len(rows)
            if len(rows) < per_page:
                return
            page += 1

    def coins_list(self) -> list[ListedCoin]:
        return self.http.get(s.COINS_LIST, {"include_platform": "true"}, decode=_decoder(s.COINS_LIST, list[ListedCoin]))

    def market_chart_range(self, coin_id: str, start: dt.datetime, end: dt.datetime,
                           vs_currency: str = "usd") -> MarketChart:
        """Points in [start, end] (both ends included, as the API does), at CoinGecko's automatic
        granularity: 5-minute for the last day, hourly up to 90 days, daily (00:00 UTC) beyond."""
        start, end = utc(start), utc(end)
        self.check_history(start)
        params = {"vs_currency": vs_currency, "from": int(start.timestamp()), "to": int(math.ceil(end.timestamp()))}
        return self.http.get(s.MARKET_CHART_RANGE, params, path=s.MARKET_CHART_RANGE.path.format(id=coin_id),
                             decode=_checked_chart(coin_id), cacheable=lambda chart: chart.sound)

    def trending(self) -> Trending:
        return self.http.get(s.TRENDING, decode=_decoder(s.TRENDING, Trending))

    def global_market(self) -> Global:
        return self.http.get(s.GLOBAL, decode=_decoder(s.GLOBAL, Global))


# --- parsers: answers -> warehouse-shaped frames ---------------------------------------------------


def chart_points(chart: MarketChart, coin: Coin) -> pl.DataFrame:
    """A chart's points as ``price_history`` rows of ``coin`` (POINT_SCHEMA), midnights restamped
    as the previous day's close, identical repeats collapsed. Prices are not screened here."""
    caps = {ms: v for ms, v in chart.market_caps if v is not None}
    volumes = {ms: v for ms, v in chart.total_volumes if v is not None}
    rows = [(ms, p) for ms, p in chart.prices if p is not None]
    frame = pl.DataFrame(
        {
            "asset_id": [coin.asset_id] * len(rows),
            "time": pl.Series([int(ms * 1000) for ms, _ in rows], dtype=pl.Int64).cast(UTC_US),
            "price": [p for _, p in rows],
            "market_cap": [caps.get(ms) for ms, _ in rows],
            "volume_24h": [volumes.get(ms) for ms, _ in rows],
            "source": [SOURCE] * len(rows),
        },
        schema=POINT_SCHEMA,
    )
    return dedupe(restamp_midnights(frame)).sort("time")


MARKET_SNAPSHOT_SCHEMA = {
    "asset_id": pl.Int32, "time": UTC_US, "price": pl.Float64, "market_cap": pl.Float64,
    "market_cap_rank": pl.Int32, "total_volume": pl.Float64, "price_change_pct_24h": pl.Float64,
    "circulating_supply": pl.Float64, "ath": pl.Float64, "source": pl.String,
}


def market_snapshot(rows: Sequence[MarketRow], coins: Sequence[Coin], *,
                    at: dt.datetime) -> tuple[pl.DataFrame, dict[str, str]]:
    """``/coins/markets`` rows of tracked ``coins`` -> (``market_snapshots`` rows, missing coin
    id -> reason). A row's time is its ``last_updated`` (the price's own time), never later than
    ``at``. Rows for coins we did not ask for are ignored; ids we asked for and did not get back
    are reported (CoinGecko leaves out ids it does not know)."""
    by_id = {c.coingecko_id: c for c in coins}
    out, missing = [], {}
    seen: set[str] = set()
    for row in rows:
        coin = by_id.get(row.id)
        if coin is None or row.id in seen:
            continue
        seen.add(row.id)
        if row.current_price is None:
            missing[row.id] = "no current price in /coins/markets"
            continue
        when = min(row.last_updated or at, at).astimezone(dt.UTC)
        out.append({
            "asset_id": coin.asset_id, "time": when, "price": row.current_price, "market_cap": row.market_cap,
            "market_cap_rank": row.market_cap_rank, "total_volume": row.total_volume,
            "price_change_pct_24h": row.price_change_percentage_24h, "circulating_supply": row.circulating_supply,
            "ath": row.ath, "source": SOURCE,
        })
    for coin_id in sorted(set(by_id) - seen):
        missing.setdefault(coin_id, "not in CoinGecko's /coins/markets answer (unknown or delisted id)")
    return pl.DataFrame(out, schema=MARKET_SNAPSHOT_SCHEMA), missing


def snapshot_points(snapshot: pl.DataFrame) -> pl.DataFrame:
    """The price points inside a market snapshot (POINT_SCHEMA)."""
    return snapshot.select("asset_id", "time", "price", "market_cap", pl.col("total_volume").alias("volume_24h"),
                           "source")


TRENDING_SCHEMA = {"time": UTC_US, "rank": pl.Int16, "coingecko_id": pl.String, "symbol": pl.String,
                   "name": pl.String, "market_cap_rank": pl.Int32, "price_btc": pl.Float64, "score": pl.Float64,
                   "source": pl.String}


def trending_rows(trending: Trending, *, at: dt.datetime) -> pl.DataFrame:
    """``/search/trending`` -> ``trending_coins`` rows; ``rank`` is the position (0 = top). The
    symbol and name are CoinGecko's labels for display only (identity is ``coingecko_id``)."""
    at = at.astimezone(dt.UTC).replace(second=0, microsecond=0)
    rows = [{"time": at, "rank": i, "coingecko_id": e.item.id, "symbol": e.item.symbol.upper()[:32],
             "name": e.item.name[:200], "market_cap_rank": e.item.market_cap_rank, "price_btc": e.item.price_btc,
             "score": e.item.score, "source": SOURCE} for i, e in enumerate(trending.coins)]
    return pl.DataFrame(rows, schema=TRENDING_SCHEMA)


GLOBAL_SCHEMA = {"time": UTC_US, "total_market_cap_usd": pl.Float64, "total_volume_usd": pl.Float64,
                 "btc_dominance_pct": pl.Float64, "eth_dominance_pct": pl.Float64,
                 "market_cap_change_pct_24h": pl.Float64, "active_cryptocurrencies": pl.Int32, "source": pl.String}


def global_row(answer: Global) -> pl.DataFrame:
    """``/global`` -> one ``global_market`` row at the provider's ``updated_at``."""
    d = answer.data
    if "usd" not in d.total_market_cap or "usd" not in d.total_volume:
        raise MalformedResponse(s.PROVIDER, s.GLOBAL.name, "no USD totals", field="data.total_market_cap.usd")
    row = {"time": dt.datetime.fromtimestamp(d.updated_at, dt.UTC), "total_market_cap_usd": d.total_market_cap["usd"],
           "total_volume_usd": d.total_volume["usd"], "btc_dominance_pct": d.market_cap_percentage.get("btc"),
           "eth_dominance_pct": d.market_cap_percentage.get("eth"),
           "market_cap_change_pct_24h": d.market_cap_change_percentage_24h_usd,
           "active_cryptocurrencies": d.active_cryptocurrencies, "source": SOURCE}
    return pl.DataFrame([row], schema=GLOBAL_SCHEMA)
