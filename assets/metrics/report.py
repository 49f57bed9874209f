"""The ``crypto-risk risk`` JSON document (ARCHITECTURE.md, "Contracts") for one set of holdings."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from assets.metrics.constants import (
    ANNUALIZATION,
    CORRELATION_DAYS,
    DEFAULT_BENCHMARK,
    DEFAULT_WINDOW,
    REGIME_MARGIN,
    WORST_WINDOW_DAYS,
)
from assets.metrics.engine import RiskAnalysis, analyze, backtest_record
from assets.metrics.prices import PriceMatrix

#: The correlation regime's rule, said in the report beside the label.
REGIME_RULE = (
    f"stressed when the holdings' value-weighted average pairwise correlation over the last {CORRELATION_DAYS} "
    f"days is at least {REGIME_MARGIN:.2f} above its average over the window, else calm"
)


def _num(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def holdings_vector(prices: PriceMatrix, holdings: Mapping[str, float] | None) -> np.ndarray:
    """Quantities aligned with ``prices.symbols``.

    Without holdings: an equal-value portfolio of every asset trading on ``as_of`` (one unit of
    value each), so the portfolio section is always about something a user can name.

    Raises
    ------
    KeyError
        A holding symbol that is not a price column.
    ValueError
        A negative or non-finite quantity, a holding without a price on ``as_of``, or no holdings.
    """
    p_last = prices.values[-1]
    if holdings is None:
        return np.where(np.isnan(p_last), 0.0, 1.0 / np.where(np.isnan(p_last), 1.0, p_last))
    q = np.zeros(len(prices.symbols))
    for sym, qty in holdings.items():
        j = prices.column(sym)
        try:
            qty = float(qty)
        except (TypeError, ValueError):
            raise ValueError(f"quantity of {sym!r} is not a number: {qty!r}") from None
        if not np.isfinite(qty) or qty < 0:
            raise ValueError(f"quantity of {sym!r} must be a finite number >= 0, got {qty!r}")
        q[j] = qty
    if not (q > 0).any():
        raise ValueError("holdings hold nothing: every quantity is 0")
    return q


def risk_report(
    prices: PriceMatrix,
    holdings: Mapping[str, float] | None = None,
    *,
    benchmark: str = DEFAULT_BENCHMARK,
    window: int = DEFAULT_WINDOW,
    risk_free_annual: float = 0.0,
    caps=None,
) -> dict:
    """The risk document of one portfolio over a universe of assets.

    Returns
    -------
    dict
        ``{"as_of", "window", "annualization", "benchmark", "risk_free_rate", "holdings", "assets":
        {SYM: METRICS}, "portfolio": METRICS + {"hhi", "effective_n", "risk_score",
        "risk_score_components", "contributions", "var_backtest", "stress"}, "correlation":
        {"symbols", "matrix"}, "tail_dependence": {...}, "spearman": {...}}`` with the model keys
        in every metric set and ``"backtest"`` (per model and level) and ``"correlation_regime"``
        in the portfolio; every null metric has its reason under ``null_reasons``.
    """
    q = holdings_vector(prices, holdings)
    analysis = analyze(
        prices,
        q,
        portfolio_names=("portfolio",),
        window=window,
        risk_free_annual=risk_free_annual,
        benchmark=benchmark,
        caps=caps,
        models=True,
    )
    return report_from_analysis(analysis, risk_free_annual=risk_free_annual, benchmark=benchmark)


def report_from_analysis(
    analysis: RiskAnalysis, i: int = 0, *, risk_free_annual: float = 0.0, benchmark: str = DEFAULT_BENCHMARK
) -> dict:
    """The document for portfolio ``i`` of an :class:`~assets.metrics.engine.RiskAnalysis`."""
    prices = analysis.prices
    symbols = prices.symbols
    q = analysis.quantities[i]
    held = [j for j in range(len(symbols)) if q[j] > 0]
    portfolio = analysis.portfolios.record(i)
    portfolio["risk_score"] = None if portfolio["risk_score"] is None else round(portfolio["risk_score"], 2)
    portfolio["risk_score_components"] = analysis.score.explain(i) if portfolio["risk_score"] is not None else None
    portfolio["value"] = _num(analysis.values[-1, i])
    reason = analysis.contribution_reasons[i]
    portfolio["contributions"] = {
        "null_reason": reason,
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
    portfolio["var_backtest"] = {
        f"var_{round(lvl * 100)}": backtest_record(bt, i) for lvl, bt in analysis.backtests.items()
    }
    portfolio["stress"] = _stress(analysis, i, held)
    corr = analysis.correlation
    extended = _model_sections(analysis, i, portfolio)
    return {
        "as_of": prices.as_of.isoformat(),
        "window": analysis.window,
        "annualization": ANNUALIZATION,
        "benchmark": benchmark,
        "risk_free_rate": risk_free_annual,
        "holdings": {symbols[j]: float(q[j]) for j in held},
        "assets": analysis.assets.records(),
        "portfolio": portfolio,
        "correlation": _matrix(symbols, corr),
        **extended,
    }


def _matrix(symbols, matrix: np.ndarray) -> dict:
    return {"symbols": list(symbols), "matrix": [[_num(v) for v in row] for row in matrix]}


def _model_sections(analysis: RiskAnalysis, i: int, portfolio: dict) -> dict:
    """With ``models=True``: the per-model backtests and the correlation regime into the portfolio,
    and the tail-dependence and Spearman matrices beside the correlation."""
    models = analysis.models
    if models is None:
        return {}
    portfolio["backtest"] = {
        model: {f"var_{round(lvl * 100)}": bt.record(i) for lvl, bt in by_level.items()}
        for model, by_level in models.backtests.items()
    }
    portfolio["correlation_regime"] = {
        "label": models.regime[i],
        "average_correlation_30d": _num(models.regime_recent[i]),
        "average_correlation_window": _num(models.regime_usual[i]),
        "rule": REGIME_RULE,
        "null_reason": models.regime_reasons[i],
    }
    symbols = analysis.prices.symbols
    return {"tail_dependence": _matrix(symbols, models.tail_dependence), "spearman": _matrix(symbols, models.spearman)}


def _stress(analysis: RiskAnalysis, i: int, held: list[int]) -> dict:
    value = float(analysis.values[-1, i])
    out: dict = {}
    for s, scenario in enumerate(analysis.scenarios):
        ret = _num(analysis.scenario_returns[s, i])
        unknown = [
            scenario.null_reasons[analysis.prices.symbols[j]]
            for j in held
            if analysis.prices.symbols[j] in scenario.null_reasons
        ]
        out[scenario.name] = {
            "description": scenario.description,
            "portfolio_return": ret,
            "pnl": None if ret is None else ret * value,
            "asset_moves": {analysis.prices.symbols[j]: _num(scenario.moves[j]) for j in held},
            "null_reason": None if ret is not None else (unknown[0] if unknown else "not computable"),
        }
    for days in WORST_WINDOW_DAYS:
        worst, start = analysis.worst[days]
        ret = _num(worst[i])
        st = int(start[i])
        out[f"worst_{days}d_in_history"] = {
            "description": f"worst {days}-day change of the current holdings over the stored prices",
            "portfolio_return": ret,
            "pnl": None if ret is None else ret * value,
            "start": prices_date(analysis, st),
            "end": prices_date(analysis, st + days) if st >= 0 else None,
            "null_reason": None if ret is not None else f"fewer than {days + 1} days with every holding priced",
        }
    return out


def prices_date(analysis: RiskAnalysis, row: int) -> str | None:
    if row < 0:
        return None
    return analysis.prices.date_of(row).isoformat()
