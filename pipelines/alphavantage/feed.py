"""Alpha Vantage as a ``pipelines.feeds.NewsFeed``: one NEWS_SENTIMENT call per run (the free
tier allows 25 a day) through the dlt source into the ``raw`` dataset."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from pipelines.alphavantage import alphavantage_source
from pipelines.alphavantage.helpers import AlphaVantageClient
from pipelines.alphavantage.settings import AlphaVantageSettings
from pipelines.health import Health, probe_alphavantage
from pipelines.http import StateStore, store_from_env
from pipelines.raw import Harvest, landing
from warehouse.settings import DatabaseUrl

#: NEWS_SENTIMENT filters by all of its tickers at once; a handful keeps the feed relevant.
MAX_TICKERS = 10


class AlphaVantageFeed:
    source = "alphavantage"

    def __init__(self, url: DatabaseUrl, *, api_key: str = "", base_url: str = "", daily_limit: float = 0.0,
                 store: StateStore | None = None, **client_options) -> None:
        self.url = url
        base = AlphaVantageSettings()
        settings = dataclasses.replace(base, api_key=api_key or base.api_key, base_url=base_url or base.base_url,
                                       daily_limit=daily_limit or base.daily_limit)
        self.client = AlphaVantageClient(settings, store=store if store is not None else store_from_env(url),
                                         **client_options)

    def news(self, symbols: Sequence[str], start: dt.datetime, end: dt.datetime):
        harvest = Harvest()
        tickers = [f"CRYPTO:{s.upper()}" for s in list(symbols)[:MAX_TICKERS]]
        return landing("alphavantage", self.url, alphavantage_source(self.client, harvest, tickers=tickers, start=start),
                       harvest)

    def health(self) -> Health:
        return probe_alphavantage(self.client)
