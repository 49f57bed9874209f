"""Etherscan as a ``pipelines.feeds.WalletFeed``: one dlt run syncs every linked wallet of every
chain (one client per ``chainid``, one key), landing raw rows in the ``raw`` dataset."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from pipelines.etherscan import by_chain, etherscan_source
from pipelines.etherscan.helpers import EtherscanClient
from pipelines.etherscan.settings import EtherscanSettings
from pipelines.health import Health, probe_etherscan
from pipelines.http import StateStore, store_from_env
from pipelines.raw import Harvest, landing
from warehouse.queries.wallets import WalletRef
from warehouse.settings import DatabaseUrl


class EtherscanFeed:
    source = "etherscan"
    derives_token_balances = True

    def __init__(self, url: DatabaseUrl, *, api_key: str = "", base_url: str = "", calls_per_second: float = 0.0,
                 store: StateStore | None = None, **client_options) -> None:
        self.url = url
        base = EtherscanSettings()
        self.settings = dataclasses.replace(base, api_key=api_key or base.api_key, base_url=base_url or base.base_url,
                                            calls_per_second=calls_per_second or base.calls_per_second)
        self._store = store if store is not None else store_from_env(url)
        self._options = client_options
        self._clients: dict[int, EtherscanClient] = {}

    def client(self, chain_id: int) -> EtherscanClient:
        if chain_id not in self._clients:
            self._clients[chain_id] = EtherscanClient(dataclasses.replace(self.settings, chain_id=chain_id),
                                                      store=self._store, **self._options)
        return self._clients[chain_id]

    def sync(self, wallets: Sequence[WalletRef], at: dt.datetime):
        addresses = by_chain(wallets)
        harvest = Harvest()
        source = etherscan_source({c: self.client(c) for c in addresses}, addresses, harvest, at=at)
        return landing("etherscan", self.url, source, harvest)

    def health(self) -> Health:
        return probe_etherscan(self.client(self.settings.chain_id))
