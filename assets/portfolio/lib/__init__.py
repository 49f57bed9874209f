"""The portfolio as a ledger: pure computation (stdlib, numpy, scipy, polars; no framework, no database).

Transactions (:mod:`.transactions`) run through lots under a cost-basis method (:mod:`.lots`,
:mod:`.ledger`) into positions, realized and unrealized P&L and external flows; the ledger is valued
daily (:mod:`.valuation`) for time- and money-weighted returns (:mod:`.returns`), a benchmark
comparison (:mod:`.benchmark`) and ex-post risk on the time-weighted index (:mod:`.expost`).
Exchange exports are parsed by :mod:`.imports`; :mod:`.currency` converts quotes and base
currencies; :func:`pnl_statement` builds the ``crypto-risk pnl`` document.
"""

from assets.portfolio.lib.benchmark import Comparison, benchmark_returns, compare
from assets.portfolio.lib.currency import (
    RateSeries,
    convert_prices,
    convert_transactions,
    convert_values,
    price_rate,
    to_ledger_currency,
)
from assets.portfolio.lib.expost import ExPostRisk, ex_post_risk
from assets.portfolio.lib.ledger import Disposal, Ledger, Position, run_ledger
from assets.portfolio.lib.lots import Lot, new_pool
from assets.portfolio.lib.returns import PeriodReturns, daily_twr, link, period_returns, xirr
from assets.portfolio.lib.statement import pnl_statement
from assets.portfolio.lib.transactions import Kind, LedgerError, RowError, Transaction
from assets.portfolio.lib.valuation import DailySeries, daily_series

__all__ = [
    "Comparison",
    "DailySeries",
    "Disposal",
    "ExPostRisk",
    "Kind",
    "Ledger",
    "LedgerError",
    "Lot",
    "PeriodReturns",
    "Position",
    "RateSeries",
    "RowError",
    "Transaction",
    "benchmark_returns",
    "compare",
    "convert_prices",
    "convert_transactions",
    "convert_values",
    "daily_series",
    "daily_twr",
    "ex_post_risk",
    "link",
    "new_pool",
    "period_returns",
    "pnl_statement",
    "price_rate",
    "run_ledger",
    "to_ledger_currency",
    "xirr",
]
