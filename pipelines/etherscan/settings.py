"""Etherscan API V2 settings (one key for every chain, chosen by ``chainid``), read when constructed."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.http import Endpoint, Policy
from pipelines.settings import env_float, env_int, env_str

PROVIDER = "etherscan"
BASE_URL = "https://api.etherscan.io/v2/api"
CALLS_PER_SECOND = 5.0  # free tier
PAGE_SIZE = 1000
# Etherscan serves at most page * offset <= 10,000 rows per query; past that we move startblock on.
MAX_WINDOW_ROWS = 10_000

BALANCE = Endpoint("account/balance", "", ttl_s=5 * 60, shape="object", required=("result",))
BALANCE_MULTI = Endpoint("account/balancemulti", "", ttl_s=5 * 60, shape="object", required=("result",))
TXLIST = Endpoint("account/txlist", "", ttl_s=5 * 60, shape="object", required=("result",))
TXLIST_INTERNAL = Endpoint("account/txlistinternal", "", ttl_s=5 * 60, shape="object", required=("result",))
TOKENTX = Endpoint("account/tokentx", "", ttl_s=5 * 60, shape="object", required=("result",))
ETHPRICE = Endpoint("stats/ethprice", "", ttl_s=5 * 60, shape="object", required=("result",))


@dataclass(frozen=True)
class EtherscanSettings:
    api_key: str = field(default_factory=lambda: env_str("ETHERSCAN_API_KEY"), repr=False)
    base_url: str = field(default_factory=lambda: env_str("ETHERSCAN_BASE_URL", BASE_URL) or BASE_URL)
    chain_id: int = field(default_factory=lambda: env_int("ETHERSCAN_CHAIN_ID", 1))
    calls_per_second: float = field(default_factory=lambda: env_float("ETHERSCAN_CALLS_PER_SECOND", CALLS_PER_SECOND))

    def policy(self, **overrides: float) -> Policy:
        return Policy(rate_per_s=self.calls_per_second, burst=self.calls_per_second, **overrides)
