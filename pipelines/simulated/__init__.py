"""The offline simulated market (``CRYPTO_RISK_MARKET_SOURCE=simulated``): deterministic, seeded,
labelled ``source='simulated'`` in every frame. See ``helpers`` for the model."""

from pipelines.simulated.helpers import (
    SYMBOLS,
    UnknownSymbols,
    global_market,
    markets,
    news,
    prices,
    trending,
    wallet_address,
    wallet_balances,
    wallet_transactions,
)
from pipelines.simulated.settings import UNIVERSE

__all__ = [
    "SYMBOLS",
    "UNIVERSE",
    "UnknownSymbols",
    "global_market",
    "markets",
    "news",
    "prices",
    "trending",
    "wallet_address",
    "wallet_balances",
    "wallet_transactions",
]
