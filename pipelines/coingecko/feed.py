"""CoinGecko as a ``pipelines.feeds.MarketFeed``: every fetch goes through the dlt source into the
``raw`` dataset and hands its curated frames to the caller (``pipelines.raw.landing``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from pipelines.coingecko import coingecko_source
from pipelines.coingecko.helpers import CoinGeckoClient
from pipelines.coingecko.settings import CoinGeckoSettings
from pipelines.health import Health, probe_coingecko
from pipelines.http import StateStore, store_from_env
from pipelines.http.client import QuotaStatus
from pipelines.prices import Coin
from pipelines.raw import Harvest, landing
from warehouse.settings import DatabaseUrl


class CoinGeckoFeed:
    source = "coingecko"

    def __init__(self, settings: CoinGeckoSettings, url: DatabaseUrl, *, store: StateStore | None = None,
                 **client_options) -> None:
        self.url = url
        self.client = CoinGeckoClient(settings, store=store if store is not None else store_from_env(url),
                                      **client_options)

    @contextmanager
    def _run(self, workload: str, **resources) -> Iterator[Harvest]:
        harvest = Harvest()
        source = coingecko_source(self.client, harvest, **resources)
        with landing(f"coingecko_{workload}", self.url, source, harvest) as fetched:
            yield fetched

    def history(self, coins: Sequence[Coin], start: dt.datetime, end: dt.datetime):
        return self._run("prices", coins=coins, history=(start, end))

    def tick(self, coins: Sequence[Coin], at: dt.datetime):
        return self._run("markets", coins=coins, markets=True, at=at)

    def trending(self, at: dt.datetime):
        return self._run("trending", trending=True, at=at)

    def global_market(self, at: dt.datetime):
        return self._run("global", global_market=True, at=at)

    def health(self) -> Health:
        return probe_coingecko(self.client)

    def quota(self) -> QuotaStatus:
        return self.client.http.quota_status()
