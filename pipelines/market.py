"""The stable entry API the orchestration layer calls: curated, validated polars frames.

Every ``fetch_*`` picks its source from the argument or ``CRYPTO_RISK_MARKET_SOURCE``
(``coingecko`` | ``simulated``, default ``simulated``). With ``coingecko``, market data comes from
CoinGecko, wallets from Etherscan and news from Alpha Vantage; with ``simulated`` everything
comes from the offline simulated market. Clients are built from the environment unless given,
sharing cache and rate-limit state through Redis or the warehouse when configured.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from pipelines import simulated
from pipelines.alphavantage import helpers as av
from pipelines.coingecko import helpers as cg
from pipelines.contracts import PriceFrame, empty, validate
from pipelines.etherscan import helpers as es
from pipelines.http import store_from_env
from pipelines.parsing import utc
from pipelines.settings import market_source
from pipelines.simulated.settings import UNIVERSE, SimulatedSettings
from warehouse.seed import TOP_ASSETS
from warehouse.settings import configured_url

COINGECKO_IDS: dict[str, str] = {a.symbol: a.coingecko_id for a in UNIVERSE} | {s: cid for s, cid, *_ in TOP_ASSETS}


def coingecko_ids(symbols: Sequence[str]) -> dict[str, str]:
    """CoinGecko ids for our symbols; ``ValueError`` names the ones we cannot map."""
    wanted = [s.upper() for s in symbols]
    unknown = [s for s in wanted if s not in COINGECKO_IDS]
    if unknown:
        raise ValueError(f"no CoinGecko id known for symbol(s) {', '.join(unknown)}")
    return {COINGECKO_IDS[s]: s for s in wanted}


def _coingecko(client: cg.CoinGeckoClient | None) -> cg.CoinGeckoClient:
    return client or cg.CoinGeckoClient(store=store_from_env(configured_url()))


def fetch_prices(source: str | None, symbols: Sequence[str] | None, start: dt.datetime | dt.date,
                 end: dt.datetime | dt.date, *, interval: str = "1d",
                 client: cg.CoinGeckoClient | None = None) -> pl.DataFrame:
    """PriceFrame (symbol, time, price, market_cap, volume_24h, source) for [start, end), USD.

    ``interval`` "1d" gives one row per asset and UTC day (the day's last price, stamped at
    midnight); simulated data also offers "1h" and "5m". ``symbols`` None = the simulated universe.
    """
    if market_source(source) == "simulated":
        return simulated.prices(symbols, start, end, interval=interval, seed=SimulatedSettings().seed)
    if interval != "1d":
        raise ValueError("CoinGecko history is fetched daily here (interval='1d')")
    start, end = utc(start), utc(end)
    client = _coingecko(client)
    frames = []
    for coin_id, symbol in coingecko_ids(symbols or [a.symbol for a in UNIVERSE]).items():
        points = cg.parse_market_chart(client.market_chart_range(coin_id, start, end), symbol)
        frames.append(cg.daily_close(points))
    frame = pl.concat(frames) if frames else empty(PriceFrame)
    frame = frame.filter((pl.col("time") >= start) & (pl.col("time") < end))
    return validate(frame, PriceFrame, provider="coingecko", endpoint="coins/market_chart/range")


def fetch_latest_prices(source: str | None = None, symbols: Sequence[str] | None = None, *,
                        client: cg.CoinGeckoClient | None = None) -> pl.DataFrame:
    """PriceFrame of current prices (``/simple/price``; simulated: the 5-minute point now)."""
    if market_source(source) == "simulated":
        snap = simulated.markets(symbols=list(symbols) if symbols else None, seed=SimulatedSettings().seed)
        return cg.prices_from_markets(snap)
    ids = coingecko_ids(symbols or [a.symbol for a in UNIVERSE])
    return cg.parse_simple_price(_coingecko(client).simple_price(list(ids)), ids)


def fetch_markets(source: str | None = None, *, top: int = 100, at: dt.datetime | None = None,
                  client: cg.CoinGeckoClient | None = None) -> pl.DataFrame:
    """MarketFrame: the top ``top`` coins by market cap (``at`` only for simulated data)."""
    if market_source(source) == "simulated":
        return simulated.markets(at, seed=SimulatedSettings().seed).head(top)
    client = _coingecko(client)
    return cg.parse_markets([row for page in client.markets_pages(top=top) for row in page])


def fetch_trending(source: str | None = None, *, at: dt.datetime | None = None,
                   client: cg.CoinGeckoClient | None = None) -> pl.DataFrame:
    """TrendingFrame (``/search/trending`` or the simulated biggest movers)."""
    if market_source(source) == "simulated":
        return simulated.trending(at, seed=SimulatedSettings().seed)
    return cg.parse_trending(_coingecko(client).trending())


def fetch_global(source: str | None = None, *, at: dt.datetime | None = None,
                 client: cg.CoinGeckoClient | None = None) -> pl.DataFrame:
    """GlobalFrame: total cap, volume, BTC/ETH dominance."""
    if market_source(source) == "simulated":
        return simulated.global_market(at, seed=SimulatedSettings().seed)
    return cg.parse_global(_coingecko(client).global_market())


def fetch_wallets(addresses: Sequence[str], *, source: str | None = None, start: dt.datetime | dt.date | None = None,
                  end: dt.datetime | dt.date | None = None,
                  client: es.EtherscanClient | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(WalletBalanceFrame, WalletTransactionFrame) for ``addresses``: native and ERC-20 balances
    now, transactions in [start, end) (default: all). Real data comes from Etherscan."""
    end = utc(end) if end else dt.datetime.now(dt.UTC)
    start = utc(start) if start else dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
    seed = SimulatedSettings().seed
    if market_source(source) == "simulated":
        return simulated.wallet_balances(list(addresses), seed=seed), simulated.wallet_transactions(list(addresses), start, end, seed=seed)
    client = client or es.EtherscanClient(store=store_from_env(configured_url()))
    frames = []
    for address in addresses:
        for kind, pages in (("normal", client.transactions(address)), ("erc20", client.token_transfers(address))):
            frames.append(es.parse_transactions([r for p in pages for r in p], address, kind,
                                                chain_id=client.settings.chain_id))
    history = pl.concat(frames)
    native = es.parse_balances(client.balances(list(addresses)), chain_id=client.settings.chain_id)
    balances = pl.concat([native, es.token_balances(history)])
    return balances, history.filter((pl.col("time") >= start) & (pl.col("time") < end))


def fetch_news(symbols: Sequence[str], start: dt.datetime | dt.date, end: dt.datetime | dt.date, *,
               source: str | None = None, client: av.AlphaVantageClient | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(NewsArticleFrame, NewsSentimentFrame) for ``symbols`` published in [start, end)."""
    start, end = utc(start), utc(end)
    if market_source(source) == "simulated":
        return simulated.news(start, end, symbols=list(symbols), seed=SimulatedSettings().seed)
    client = client or av.AlphaVantageClient(store=store_from_env(configured_url()))
    articles, sentiment = av.parse_news(client.news_sentiment([f"CRYPTO:{s.upper()}" for s in symbols], time_from=start))
    articles = articles.filter(pl.col("published_at") < end)
    wanted = {s.upper() for s in symbols}
    sentiment = sentiment.filter(pl.col("published_at") < end, pl.col("symbol").is_in(wanted))
    return articles, sentiment
