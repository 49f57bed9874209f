"""Every number and name the ledger is parameterised by, in one place."""

from __future__ import annotations

from assets.metrics.constants import ANNUALIZATION, DEFAULT_BENCHMARK

__all__ = [
    "ANNUALIZATION",
    "DEFAULT_BENCHMARK",
    "LEDGER_CURRENCY",
    "METHODS",
    "PERIODS",
    "FIAT",
    "MARKET_BENCHMARK",
    "DUST",
]

#: The warehouse keeps USD; every ledger runs in USD unless converted to a base currency first.
LEDGER_CURRENCY: str = "USD"

#: Cost-basis methods: which lots a disposal consumes.
METHODS: tuple[str, ...] = ("fifo", "lifo", "hifo", "average")

#: Return periods reported: key -> trailing calendar days (None: "ytd" and "all" are dated, not counted).
PERIODS: dict[str, int | None] = {"1d": 1, "7d": 7, "30d": 30, "90d": 90, "ytd": None, "1y": 365, "all": None}

#: Benchmark name of the equal-weighted (daily rebalanced) index of every column of the price file.
MARKET_BENCHMARK: str = "MARKET"

#: Fiat currencies (the ones CoinGecko quotes): a trade quoted in one of these moves cash; a trade
#: quoted in anything else is an exchange of two coins (two ledger legs).
FIAT: frozenset[str] = frozenset(
    {
        "USD", "EUR", "GBP", "JPY", "AUD", "CAD", "CHF", "CNY", "HKD", "SGD", "NZD", "SEK", "NOK", "DKK",
        "PLN", "CZK", "HUF", "TRY", "ZAR", "BRL", "MXN", "ARS", "CLP", "INR", "IDR", "KRW", "MYR", "PHP",
        "THB", "TWD", "VND", "AED", "SAR", "ILS", "KWD", "BHD", "NGN", "PKR", "BDT", "LKR", "MMK", "RUB",
        "UAH", "GEL", "VEF",
    }
)  # fmt: skip

#: Relative tolerance below which a quantity difference is float noise (selling "everything" held in
#: lots of 0.1 + 0.2 must not fail on 0.30000000000000004 vs 0.3).
DUST: float = 1e-9
