"""The P&L statement (the ``crypto-risk pnl`` document): positions, cost basis, P&L, returns, benchmark, risk.

Keys follow the ledger issue's contract (fractions, not percent); every null figure has its reason
under the ``null_reasons`` of the object holding it (dotted paths for nested figures). Totals:
``total_pnl = realized_pnl + unrealized_pnl + income``; ``net_flows = inflows - outflows`` (money the
owner put in, net). Cash the ledger holds is a position named by its currency.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from assets.metrics.prices import PriceMatrix
from assets.portfolio.lib.benchmark import benchmark_returns, compare
from assets.portfolio.lib.constants import ANNUALIZATION, DEFAULT_BENCHMARK, LEDGER_CURRENCY, PERIODS
from assets.portfolio.lib.currency import (
    RateSeries,
    convert_prices,
    convert_transactions,
    price_rate,
    to_ledger_currency,
)
from assets.portfolio.lib.expost import MEASURES, ExPostRisk, ex_post_risk
from assets.portfolio.lib.ledger import Ledger, Position, run_ledger
from assets.portfolio.lib.returns import PeriodReturns, daily_twr, period_returns
from assets.portfolio.lib.transactions import LedgerError, Transaction
from assets.portfolio.lib.valuation import DailySeries, daily_series

#: Periods whose ex-post risk is reported.
RISK_PERIODS = ("1y", "all")


def _num(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _rows(rows: list[int]) -> str:
    rows = sorted(set(rows))
    shown = ", ".join(str(r) for r in rows[:5])
    return shown + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")


def _position(pos: Position, price: float, as_of) -> dict:
    q = pos.quantity
    mv = 0.0 if q == 0 else q * price
    cost = pos.cost_basis
    reasons: dict[str, str] = {}
    if q > 0 and not math.isfinite(price):
        reasons["market_value"] = reasons["unrealized_pnl"] = f"the price file has no {pos.asset} close on {as_of}"
    if not math.isfinite(cost):
        why = (
            f"cost basis unknown: coins of row {_rows(pos.unknown_cost_rows)} entered the ledger without a price "
            "(an opening balance or a transfer in from outside; give its price_usd)"
        )
        reasons["cost_basis"] = why
        reasons.setdefault("unrealized_pnl", why)
    if not math.isfinite(pos.realized):
        reasons["realized_pnl"] = (
            f"coins whose cost basis is unknown (row {_rows(pos.realized_unknown_rows)}) were disposed of"
        )
    return {
        "quantity": q,
        "price": _num(price),
        "market_value": _num(mv),
        "cost_basis": _num(cost),
        "realized_pnl": _num(pos.realized),
        "unrealized_pnl": _num(mv - cost),
        "income": _num(pos.income),
        "in_transit": pos.in_transit,
        "lots": [
            {
                "acquired": lot.acquired.isoformat(),
                "quantity": lot.quantity,
                "cost_basis": _num(lot.cost),
                "row": lot.row,
            }
            for lot in pos.lots()
        ],
        "null_reasons": reasons,
    }


def _cash_position(ledger: Ledger) -> dict:
    return {
        "quantity": ledger.cash,
        "price": 1.0,
        "market_value": ledger.cash,
        "cost_basis": ledger.cash,
        "realized_pnl": ledger.cash_realized,
        "unrealized_pnl": 0.0,
        "income": 0.0,
        "in_transit": 0.0,
        "lots": [],
        "null_reasons": {},
    }


def _sum(positions: dict, key: str, reasons: dict, what: str) -> float | None:
    values = [p[key] for p in positions.values()]
    missing = [sym for sym, p in positions.items() if p[key] is None]
    if missing:
        reasons[key] = f"{what} of {', '.join(missing)} is unknown: {positions[missing[0]]['null_reasons'][key]}"
        return None
    return math.fsum(values)


def _risk_record(risk: ExPostRisk) -> tuple[dict, dict]:
    rec = {
        "days": risk.days,
        "volatility": _num(risk.volatility),
        "max_drawdown": _num(risk.max_drawdown),
        "drawdown_days": _num(risk.drawdown_days),
        "longest_drawdown_days": _num(risk.longest_drawdown_days),
        "peak": risk.peak.isoformat() if risk.peak else None,
        "trough": risk.trough.isoformat() if risk.trough else None,
        "recovery": risk.recovery.isoformat() if risk.recovery else None,
    }
    return rec, risk.reasons


def pnl_statement(
    transactions: Iterable[Transaction],
    prices: PriceMatrix,
    *,
    method: str = "fifo",
    benchmark: str = DEFAULT_BENCHMARK,
    rates: RateSeries | None = None,
) -> dict:
    """Run the ledger on ``transactions`` against daily ``prices`` and build the document.

    Parameters
    ----------
    transactions
        Records whose prices are in USD, another fiat with a column in ``prices``, or a coin.
    prices
        Daily closes in USD; the last date is ``as_of``.
    method
        Cost-basis method.
    benchmark
        A price column or ``"MARKET"`` (equal-weighted index of every column); any other name
        gives null benchmark figures with that reason.
    rates
        Base-currency rates per USD; without them the document is in USD.

    Raises
    ------
    LedgerError
        Every row at fault (nothing is computed).
    ValueError
        Transactions after the last price, or a base currency without rates for the days needed.
    """
    txs, errors = to_ledger_currency(transactions, price_rate(prices))
    if errors:
        raise LedgerError(errors)
    currency = LEDGER_CURRENCY
    if rates is not None:
        txs, prices, currency = convert_transactions(txs, rates), convert_prices(prices, rates), rates.currency
    mark = price_rate(prices, currency)
    ledger = run_ledger(txs, method, mark=mark, currency=currency)
    series = daily_series(ledger, prices)
    return _document(ledger, series, prices, benchmark)


def _document(ledger: Ledger, series: DailySeries, prices: PriceMatrix, benchmark: str) -> dict:
    daily = daily_twr(series.value, series.inflow, series.outflow, series.inflow_end)
    day_reasons = dict(series.reasons)
    for t in np.flatnonzero(np.isnan(daily)):
        day_reasons.setdefault(int(t), f"value appeared in an empty portfolio on {series.dates[t]} (nothing invested)")
    periods: dict[str, PeriodReturns] = {
        k: period_returns(
            k, series.dates, series.value, series.inflow, series.outflow, series.inflow_end, daily, day_reasons
        )
        for k in PERIODS
    }
    positions = _positions(ledger, series)
    reasons: dict[str, str] = {}
    portfolio = _totals(ledger, series, positions, reasons)
    portfolio.update(_returns(periods, reasons))
    portfolio["benchmark"] = _benchmark(prices, benchmark, series, periods, daily, day_reasons, reasons)
    portfolio["ex_post_risk"] = _ex_post(series, periods, daily, reasons)
    portfolio["null_reasons"] = reasons
    return {
        "method": ledger.method,
        "as_of": series.as_of.isoformat(),
        "currency": ledger.currency,
        "annualization": ANNUALIZATION,
        "first_transaction": ledger.first_day.isoformat(),
        "transactions": ledger.transactions,
        "positions": positions,
        "portfolio": portfolio,
    }


def _positions(ledger: Ledger, series: DailySeries) -> dict:
    positions = {
        asset: _position(pos, float(series.closes[-1, j]), series.as_of)
        for j, (asset, pos) in enumerate(ledger.positions.items())
    }
    if ledger.cash or ledger.cash_realized:
        positions[ledger.currency] = _cash_position(ledger)
    return positions


def _totals(ledger: Ledger, series: DailySeries, positions: dict, reasons: dict) -> dict:
    totals: dict = {
        "market_value": _sum(positions, "market_value", reasons, "the market value"),
        "cost_basis": _sum(positions, "cost_basis", reasons, "the cost basis"),
        "realized_pnl": _sum(positions, "realized_pnl", reasons, "the realized P&L"),
        "unrealized_pnl": _sum(positions, "unrealized_pnl", reasons, "the unrealized P&L"),
        "income": math.fsum(p["income"] for p in positions.values()),
        "cash": ledger.cash,
    }
    parts = [totals[k] for k in ("realized_pnl", "unrealized_pnl", "income")]
    totals["total_pnl"] = None if None in parts else math.fsum(parts)
    if totals["total_pnl"] is None:
        reasons["total_pnl"] = next(reasons[k] for k in ("realized_pnl", "unrealized_pnl") if k in reasons)
    inflows = float(np.sum(series.inflow) + np.sum(series.inflow_end))
    outflows = float(np.sum(series.outflow))
    totals.update(inflows=_num(inflows), outflows=_num(outflows), net_flows=_num(inflows - outflows))
    for key in ("inflows", "outflows", "net_flows"):
        if totals[key] is None:
            reasons[key] = next(iter(series.reasons.values()), "a flow has no value")
    return totals


def _returns(periods: dict[str, PeriodReturns], reasons: dict) -> dict:
    out: dict = {}
    for out_key, attr in (("twr", "twr"), ("mwr", "mwr"), ("simple_return", "simple")):
        out[out_key] = {}
        for k, pr in periods.items():
            out[out_key][k] = _num(getattr(pr, attr))
            if out[out_key][k] is None:
                reasons[f"{out_key}.{k}"] = pr.reasons.get(attr, "not computable")
    everything = periods["all"]
    out["twr_annualized"] = {"all": _num(everything.twr_annualized)}
    out["mwr_annualized"] = _num(everything.mwr_annualized)
    short = f"the ledger covers {everything.days} days, not over a year: annualizing would extrapolate"
    for key, value, base in (
        ("twr_annualized.all", everything.twr_annualized, "twr.all"),
        ("mwr_annualized", everything.mwr_annualized, "mwr.all"),
    ):
        if not math.isfinite(value):
            reasons[key] = short if everything.days <= ANNUALIZATION else reasons.get(base, "not computable")
    out["periods"] = {
        k: {"start": pr.start.isoformat() if pr.start else None, "days": pr.days} for k, pr in periods.items()
    }
    return out


def _benchmark(prices, benchmark: str, series: DailySeries, periods, daily, day_reasons, reasons: dict) -> dict:
    rb, b_reasons = benchmark_returns(prices, benchmark, series.dates)
    bench: dict = {"symbol": benchmark, "twr": {}}
    for k, pr in periods.items():
        if pr.start is None:
            bench["twr"][k] = None
            reasons[f"benchmark.twr.{k}"] = pr.reasons["twr"]
            continue
        c = compare(daily, rb, day_reasons, b_reasons, len(series.dates) - pr.days)
        bench["twr"][k] = _num(c.twr_benchmark)
        if bench["twr"][k] is None:
            reasons[f"benchmark.twr.{k}"] = c.reasons.get("twr_benchmark") or next(iter(b_reasons.values()))
        if k != "all":
            continue
        bench["twr_all"] = bench["twr"][k]
        if bench["twr_all"] is None:
            reasons["benchmark.twr_all"] = reasons["benchmark.twr.all"]
        for key in ("excess_return", "tracking_error", "information_ratio", "up_capture", "down_capture"):
            bench[key] = _num(getattr(c, key))
            if bench[key] is None:
                reasons[f"benchmark.{key}"] = c.reasons.get(key, "not computable")
    return bench


def _ex_post(series: DailySeries, periods, daily, reasons: dict) -> dict:
    risk: dict = {"measures": MEASURES}
    for k in RISK_PERIODS:
        pr = periods[k]
        if pr.start is None:
            risk[k] = None
            reasons[f"ex_post_risk.{k}"] = pr.reasons["twr"]
            continue
        rec, why = _risk_record(ex_post_risk(daily[len(series.dates) - pr.days :], pr.start))
        risk[k] = rec
        reasons.update({f"ex_post_risk.{k}.{key}": text for key, text in why.items()})
    return risk
