"""Assets, price candles, the global market and trending coins (public market data, USD)."""

from __future__ import annotations

from datetime import datetime

import msgspec


class AssetOut(msgspec.Struct):
    id: int
    symbol: str
    name: str
    coingecko_id: str
    is_stablecoin: bool
    category: str | None
    market_cap_rank: int | None


class LatestPrice(msgspec.Struct):
    time: datetime
    price: float
    market_cap: float | None
    volume_24h: float | None


class Snapshot(msgspec.Struct):
    time: datetime
    price: float
    market_cap: float | None
    total_volume: float | None
    price_change_pct_24h: float | None
    circulating_supply: float | None
    ath: float | None


class AssetDetailOut(AssetOut):
    latest_price: LatestPrice | None = None
    snapshot: Snapshot | None = None


class CandleOut(msgspec.Struct):
    """One OHLCV bucket starting at ``time``; ``volume`` is the last 24h volume seen in it."""

    time: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float | None
    ticks: int


class GlobalMarketOut(msgspec.Struct):
    time: datetime
    total_market_cap_usd: float | None
    total_volume_usd: float | None
    btc_dominance_pct: float | None
    eth_dominance_pct: float | None
    market_cap_change_pct_24h: float | None
    active_cryptocurrencies: int | None
    source: str


class TopAssetOut(msgspec.Struct):
    symbol: str
    name: str
    time: datetime
    price: float
    market_cap: float | None
    market_cap_rank: int | None
    total_volume: float | None
    price_change_pct_24h: float | None


class MarketOverviewOut(msgspec.Struct):
    global_: GlobalMarketOut | None = msgspec.field(name="global")
    top_assets: list[TopAssetOut] = []


class TrendingOut(msgspec.Struct):
    time: datetime
    rank: int
    coingecko_id: str
    symbol: str
    name: str
    market_cap_rank: int | None
    price_btc: float | None
    score: float | None
