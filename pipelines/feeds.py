"""The data feeds the Dagster assets call: one interface per kind of data, two implementations
each (the live providers, which load through their dlt sources, and the offline simulated
market). ``assets.resources`` picks one set, once, where the Definitions are built.

Every method is a context manager around one fetch: entering it does the network I/O (and, live,
extracts the raw rows), the body writes the curated frames of the yielded ``Harvest`` in one
short warehouse transaction, and leaving it lands the raw rows (``pipelines.raw``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from pipelines.health import Health
from pipelines.http.client import QuotaStatus
from pipelines.prices import Coin
from pipelines.raw import Harvest
from warehouse.queries.wallets import WalletRef


class MarketFeed(Protocol):
    """Prices, market snapshots, trending and global totals (frames named in ``pipelines.coingecko``)."""

    source: str

    def history(self, coins: Sequence[Coin], start: dt.datetime, end: dt.datetime) -> AbstractContextManager[Harvest]:
        """Price points of ``coins`` in [start, end] (closed days' closes included): frame ``points``."""

    def tick(self, coins: Sequence[Coin], at: dt.datetime) -> AbstractContextManager[Harvest]:
        """Current prices in one batched call: frames ``points`` and ``market_snapshots``."""

    def trending(self, at: dt.datetime) -> AbstractContextManager[Harvest]:
        """The trending list: frame ``trending_coins``."""

    def global_market(self, at: dt.datetime) -> AbstractContextManager[Harvest]:
        """Whole-market totals: frame ``global_market``."""

    def health(self) -> Health: ...

    def quota(self) -> QuotaStatus | None:
        """The month's call budget, when the provider has one."""


class WalletFeed(Protocol):
    """Linked wallets: each fetched once per run (balances and transfers in one pass)."""

    source: str
    #: Token balances are derived from the stored transfer history (complete from block 0) by the
    #: load, rather than handed out by the feed.
    derives_token_balances: bool

    def sync(self, wallets: Sequence[WalletRef], at: dt.datetime) -> AbstractContextManager[Harvest]:
        """Frames ``wallet_transactions`` (new transfers) and ``wallet_balances`` (native coin, and
        tokens when the feed knows them)."""

    def health(self) -> Health: ...


class NewsFeed(Protocol):
    """News articles with per-asset sentiment."""

    source: str

    def news(self, symbols: Sequence[str], start: dt.datetime, end: dt.datetime) -> AbstractContextManager[Harvest]:
        """Frames ``news_articles`` and ``news_sentiment`` (articles published in [start, end))."""

    def health(self) -> Health: ...
