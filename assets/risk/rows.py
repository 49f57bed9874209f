"""Shaping between warehouse frames and the risk engine (pure: polars, numpy, assets.metrics).

The risk assets read long ``asset_id, time, close`` frames, call :mod:`assets.metrics`, and write
the frames built here into ``risk_metrics``, ``portfolio_risk_metrics`` and
``correlation_matrices``. Keeping this out of the asset functions keeps those thin and lets the
shaping be tested without Dagster.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from assets.metrics import PriceMatrix, analyze, series_metrics
from assets.metrics.constants import DEFAULT_BENCHMARK
from assets.metrics.engine import backtest_record, benchmarks
from assets.metrics.report import _stress
from assets.metrics.returns import simple_returns
from warehouse.models import METRIC_COLUMNS

UTC_US = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class Universe:
    """Daily closes of the assets that can be analysed as of a day, and why the others cannot."""

    prices: PriceMatrix
    asset_ids: tuple[int, ...]
    skipped: dict[str, str]


def universe(closes: pl.DataFrame, symbols: dict[int, str], as_of: dt.date) -> Universe | None:
    """The price matrix of every asset with a close on ``as_of`` and no gap since its first close.

    ``closes`` is the long frame of ``warehouse.queries.prices.daily_closes``; rows after
    ``as_of`` are ignored. None when no asset has a close on ``as_of``.
    """
    frame = closes.with_columns(pl.col("time").dt.date().alias("date")).filter(pl.col("date") <= as_of)
    if frame.height == 0:
        return None
    wide = frame.pivot(on="asset_id", index="date", values="close").sort("date")
    dates = wide.get_column("date")
    skipped: dict[str, str] = {}
    keep: list[str] = []
    for col in wide.columns[1:]:
        series = wide.get_column(col)
        name = symbols.get(int(col), col)
        if dates[-1] != as_of or series[-1] is None:
            skipped[name] = f"no close on {as_of.isoformat()}"
            continue
        first = series.is_not_null().arg_max()
        if series[first:].null_count():
            skipped[name] = "missing daily closes after it started trading"
            continue
        keep.append(col)
    if not keep or wide.height < 2:
        return None  # nothing priced on the day, or no return yet
    prices = PriceMatrix.build(
        dates.to_numpy().astype("datetime64[D]"),
        [symbols.get(int(c), c) for c in keep],
        wide.select(keep).to_numpy(),
    )
    return Universe(prices, tuple(int(c) for c in keep), skipped)


def _json(value) -> dict:
    """A JSON-safe copy (refuses NaN) for a jsonb column; frames carry it as a polars Object."""
    return json.loads(json.dumps(value, allow_nan=False, default=str))


JSONB = pl.Object


def asset_metric_rows(u: Universe, time: dt.datetime, window: int) -> pl.DataFrame:
    """One ``risk_metrics`` row per asset of the universe, stamped ``time``."""
    prices = u.prices
    returns = simple_returns(prices.values)
    btc, market = benchmarks(prices, returns, DEFAULT_BENCHMARK)
    table = series_metrics(returns, prices.dates[1:], prices.symbols, window=window, btc=btc, market=market)
    records = [table.record(i) for i in range(len(prices.symbols))]
    return pl.DataFrame(
        {
            "asset_id": pl.Series(u.asset_ids, dtype=pl.Int32),
            "time": pl.Series([time] * len(records), dtype=UTC_US),
            "window_days": pl.Series([window] * len(records), dtype=pl.Int32),
            **{c: pl.Series([r[c] for r in records], dtype=pl.Float64) for c in METRIC_COLUMNS},
            "null_reasons": pl.Series(
                [_json({k: v for k, v in r["null_reasons"].items() if k in METRIC_COLUMNS}) for r in records],
                dtype=JSONB,
            ),
        }
    )


def quantities(u: Universe, holdings: pl.DataFrame, portfolio_ids: Sequence[int]) -> tuple[np.ndarray, dict[int, list[str]]]:
    """``(K, N)`` quantities aligned with the universe; per portfolio, holdings left out (no usable prices)."""
    column = {s: j for j, s in enumerate(u.prices.symbols)}
    q = np.zeros((len(portfolio_ids), len(column)))
    row = {p: i for i, p in enumerate(portfolio_ids)}
    left_out: dict[int, list[str]] = {}
    for r in holdings.filter(pl.col("symbol").is_not_null() & (pl.col("quantity") > 0)).iter_rows(named=True):
        j = column.get(r["symbol"])
        if j is None:
            left_out.setdefault(r["portfolio_id"], []).append(r["symbol"])
        elif r["portfolio_id"] in row:
            q[row[r["portfolio_id"]], j] += r["quantity"]
    return q, left_out


def portfolio_rows(
    u: Universe, holdings: pl.DataFrame, portfolio_ids: Sequence[int], time: dt.datetime, window: int
) -> pl.DataFrame:
    """``portfolio_risk_metrics`` rows: the full metric set, score with components, contributions,
    stress results and the VaR backtest."""
    q, left_out = quantities(u, holdings, portfolio_ids)
    analysis = analyze(u.prices, q, portfolio_names=[str(p) for p in portfolio_ids], window=window)
    symbols = u.prices.symbols
    rows = []
    for i, pid in enumerate(portfolio_ids):
        rec = analysis.portfolios.record(i)
        held = [j for j in range(len(symbols)) if q[i, j] > 0]
        reasons = {k: v for k, v in rec["null_reasons"].items() if k in (*METRIC_COLUMNS, "hhi", "risk_score")}
        if left_out.get(pid):
            reasons["holdings"] = f"left out for lack of usable prices: {', '.join(sorted(left_out[pid]))}"
        value = float(analysis.values[-1, i])
        rows.append(
            {
                "portfolio_id": pid,
                "time": time,
                "window_days": window,
                "value_usd": value if np.isfinite(value) else None,
                **{c: rec[c] for c in METRIC_COLUMNS},
                "hhi": rec["hhi"],
                "effective_holdings": rec["effective_n"],
                "risk_score": None if rec["risk_score"] is None else round(rec["risk_score"], 2),
                "score_components": _json(analysis.score.explain(i) if rec["risk_score"] is not None else {}),
                "contributions": _json(_contributions(analysis, i, held)),
                "stress": _json(_stress(analysis, i, held)),
                "backtest": _json({f"var_{round(lvl * 100)}": backtest_record(bt, i) for lvl, bt in analysis.backtests.items()}),
                "null_reasons": _json(reasons),
            }
        )
    schema = {
        "portfolio_id": pl.Int64,
        "time": UTC_US,
        "window_days": pl.Int32,
        "value_usd": pl.Float64,
        **{c: pl.Float64 for c in METRIC_COLUMNS},
        "hhi": pl.Float64,
        "effective_holdings": pl.Float64,
        "risk_score": pl.Float64,
        "score_components": JSONB,
        "contributions": JSONB,
        "stress": JSONB,
        "backtest": JSONB,
        "null_reasons": JSONB,
    }
    return pl.DataFrame({k: pl.Series([r[k] for r in rows], dtype=t) for k, t in schema.items()})


def _num(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _contributions(analysis, i: int, held: list[int]) -> dict:
    symbols = analysis.prices.symbols
    return {
        "null_reason": analysis.contribution_reasons[i],
        "holdings": {
            symbols[j]: {
                "weight": _num(analysis.weights[i, j]),
                "volatility": _num(analysis.volatility_contribution[i, j]),
                "component_var_95": _num(analysis.component_var_95[i, j]),
                "component_var_99": _num(analysis.component_var_99[i, j]),
            }
            for j in held
        },
    }


def _corr_row(portfolio_id, time, window, symbols, matrix: np.ndarray) -> dict:
    return {
        "portfolio_id": portfolio_id,
        "time": time,
        "window_days": window,
        "symbols": list(symbols),
        "matrix": [[_num(v) for v in row] for row in matrix],
    }


def correlation_rows(u: Universe, corr: np.ndarray, holdings: pl.DataFrame, time: dt.datetime, window: int) -> list[dict]:
    """The universe's matrix and, per portfolio with priced holdings, the sub-matrix of its assets."""
    symbols = u.prices.symbols
    column = {s: j for j, s in enumerate(symbols)}
    out = [_corr_row(None, time, window, symbols, corr)]
    positions = holdings.filter(pl.col("symbol").is_not_null() & (pl.col("quantity") > 0))
    for (pid,), group in positions.group_by("portfolio_id", maintain_order=True):
        held = sorted({column[s] for s in group["symbol"] if s in column})
        if held:
            out.append(_corr_row(pid, time, window, [symbols[j] for j in held], corr[np.ix_(held, held)]))
    return out
