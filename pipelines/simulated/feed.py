"""The simulated market as a ``pipelines.feeds.MarketFeed``: the same frames the live feed
hands out, from the deterministic generator, with nothing to land in the raw dataset."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import polars as pl

from pipelines.coingecko import GLOBAL, POINTS, SNAPSHOTS, TRENDING
from pipelines.health import Health
from pipelines.prices import Coin
from pipelines.raw import Harvest
from pipelines.simulated import helpers
from pipelines.simulated.settings import UNIVERSE

_BY_ID = {a.coingecko_id: a.symbol for a in UNIVERSE}


def _known(coins: Sequence[Coin], harvest: Harvest) -> dict[str, Coin]:
    """Tracked coins the simulated market lists, by its symbol; the others are skipped, named."""
    out = {}
    for coin in coins:
        symbol = _BY_ID.get(coin.coingecko_id)
        if symbol is None:
            harvest.skip(coin.coingecko_id, "not listed by the simulated market")
        else:
            out[symbol] = coin
    return out


def _keyed(frame: pl.DataFrame, known: dict[str, Coin]) -> pl.DataFrame:
    ids = pl.DataFrame({"symbol": list(known), "asset_id": [c.asset_id for c in known.values()]},
                       schema={"symbol": pl.String, "asset_id": pl.Int32})
    return frame.join(ids, on="symbol", how="inner").drop("symbol")


class SimulatedFeed:
    source = helpers.PROVIDER

    def __init__(self, seed: int) -> None:
        self.seed = seed

    @contextmanager
    def history(self, coins: Sequence[Coin], start: dt.datetime, end: dt.datetime) -> Iterator[Harvest]:
        """Closed days' closes in [start, end), and the running day at 5-minute resolution up to now."""
        harvest = Harvest()
        known = _known(coins, harvest)
        if known:
            today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            closes = helpers.prices(list(known), start, min(end, today), interval="1d", seed=self.seed)
            frames = [closes]
            if end > today:
                frames.append(helpers.prices(list(known), max(start, today), end, interval="5m", seed=self.seed))
            points = pl.concat(frames).select("symbol", "time", "price", "market_cap", "volume_24h", "source")
            harvest.add(POINTS, _keyed(points, known).select("asset_id", "time", "price", "market_cap",
                                                              "volume_24h", "source"))
        yield harvest

    @contextmanager
    def tick(self, coins: Sequence[Coin], at: dt.datetime) -> Iterator[Harvest]:
        harvest = Harvest()
        known = _known(coins, harvest)
        if known:
            snap = _keyed(helpers.markets(at, symbols=list(known), seed=self.seed), known)
            snapshot = snap.select("asset_id", "time", "price", "market_cap", "market_cap_rank", "total_volume",
                                   "price_change_pct_24h", "circulating_supply", "ath", "source")
            harvest.add(SNAPSHOTS, snapshot)
            harvest.add(POINTS, snapshot.select("asset_id", "time", "price", "market_cap",
                                                pl.col("total_volume").alias("volume_24h"), "source"))
        yield harvest

    @contextmanager
    def trending(self, at: dt.datetime) -> Iterator[Harvest]:
        harvest = Harvest()
        harvest.add(TRENDING, helpers.trending(at, seed=self.seed))
        yield harvest

    @contextmanager
    def global_market(self, at: dt.datetime) -> Iterator[Harvest]:
        harvest = Harvest()
        harvest.add(GLOBAL, helpers.global_market(at, seed=self.seed))
        yield harvest

    def health(self) -> Health:
        from pipelines.health import probe_simulated

        return probe_simulated()

    def quota(self):
        return None


#: History handed out at a wallet's first sync.
FIRST_SYNC = dt.timedelta(days=365)


class SimulatedWallets:
    """Simulated wallets: balances (native and tokens) and their transfers, deterministic."""

    source = helpers.PROVIDER
    derives_token_balances = False

    def __init__(self, seed: int) -> None:
        self.seed = seed

    @contextmanager
    def sync(self, wallets, at: dt.datetime) -> Iterator[Harvest]:
        from pipelines.etherscan import BALANCES, TRANSACTIONS

        harvest = Harvest()
        addresses = sorted({w.address for w in wallets})
        if addresses:
            since = min((w.last_synced_at or at - FIRST_SYNC for w in wallets), default=at - FIRST_SYNC)
            harvest.add(BALANCES, helpers.wallet_balances(addresses, at, seed=self.seed))
            harvest.add(TRANSACTIONS, helpers.wallet_transactions(addresses, since, at, seed=self.seed))
        yield harvest

    def health(self) -> Health:
        from pipelines.health import probe_simulated

        return probe_simulated()


class SimulatedNews:
    """Simulated headlines whose sentiment follows the simulated moves (labelled simulated)."""

    source = helpers.PROVIDER

    def __init__(self, seed: int) -> None:
        self.seed = seed

    @contextmanager
    def news(self, symbols, start: dt.datetime, end: dt.datetime) -> Iterator[Harvest]:
        from pipelines.alphavantage import ARTICLES, SENTIMENT

        harvest = Harvest()
        known = [s for s in symbols if s in helpers.SYMBOLS]
        articles, sentiment = helpers.news(start, end, symbols=known or None, seed=self.seed)
        harvest.add(ARTICLES, articles)
        harvest.add(SENTIMENT, sentiment)
        yield harvest

    def health(self) -> Health:
        from pipelines.health import probe_simulated

        return probe_simulated()
