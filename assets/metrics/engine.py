"""The metric set of many series at once, and of assets and portfolios from a price matrix.

Everything here is vectorized over columns: 1,000 portfolios cost about as much numpy work as a
handful of loops over one. Values that cannot be computed are NaN with a reason (see
:class:`assets.metrics.table.MetricTable`), never a crash or an infinity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assets.metrics.backtest import BacktestResult, var_backtest
from assets.metrics.beta import beta
from assets.metrics.concentration import effective_number, herfindahl_index, value_weights
from assets.metrics.constants import (
    ANNUALIZATION,
    DEFAULT_BENCHMARK,
    DEFAULT_WINDOW,
    KUPIEC_SIGNIFICANCE,
    MIN_BACKTEST_DAYS,
    MIN_WINDOW,
    VAR_LEVELS,
    VOLATILITY_WINDOWS,
    WORST_WINDOW_DAYS,
)
from assets.metrics.contribution import component_var, volatility_contributions
from assets.metrics.correlation import correlation_matrix, covariance_matrix
from assets.metrics.drawdown import current_drawdown, max_drawdown, max_drawdown_duration
from assets.metrics.prices import PriceMatrix
from assets.metrics.ratios import sharpe_ratio
from assets.metrics.returns import daily_risk_free, market_index_returns, portfolio_values, simple_returns
from assets.metrics.score import RiskScore, risk_score
from assets.metrics.stress import (
    Scenario,
    apply_scenario,
    beta_shock,
    historical_replays,
    stablecoin_depeg,
    worst_windows,
)
from assets.metrics.table import MetricTable, TableBuilder
from assets.metrics.var import (
    conditional_value_at_risk,
    cornish_fisher_value_at_risk,
    parametric_value_at_risk,
    value_at_risk,
)
from assets.metrics.volatility import annual_volatility, downside_risk, roll_annual_volatility

#: Keys of every metric set (the ARCHITECTURE ``METRICS`` plus a few explanatory extras).
METRIC_KEYS: tuple[str, ...] = (
    *(f"volatility_{w}d" for w in VOLATILITY_WINDOWS),
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "max_drawdown_duration_days",
    "current_drawdown",
    "var_95",
    "var_99",
    "es_95",
    "es_99",
    "var_95_parametric",
    "var_99_parametric",
    "var_95_cornish_fisher",
    "var_99_cornish_fisher",
    "beta_btc",
    "beta_market",
)


@dataclass(frozen=True)
class Benchmark:
    """A factor series for betas: its daily returns (aligned with the series') and its name."""

    name: str
    returns: np.ndarray | None
    missing_reason: str | None = None


def _pct(level: float) -> int:
    return round(level * 100)


def series_metrics(
    returns: np.ndarray,
    return_dates: np.ndarray,
    names,
    *,
    window: int = DEFAULT_WINDOW,
    risk_free: float = 0.0,
    btc: Benchmark | None = None,
    market: Benchmark | None = None,
    late_notes=None,
) -> MetricTable:
    """Every metric of :data:`METRIC_KEYS` for each column of ``returns``.

    Parameters
    ----------
    returns : np.ndarray
        ``(T, M)`` daily simple returns, NaN before a series starts.
    return_dates : np.ndarray
        ``(T,)`` date of each return (the later price's date).
    names : sequence of str
        ``M`` series names.
    window : int
        Trailing returns used by every metric but the fixed-window volatilities.
    risk_free : float
        Daily risk-free rate (Sharpe's ``risk_free`` and Sortino's ``required_return``).
    btc, market : Benchmark, optional
        Factors of ``beta_btc`` and ``beta_market``.
    late_notes : sequence of str, optional
        Per series, what to say when it has NaN returns inside a window (default: when it started).

    Returns
    -------
    MetricTable
    """
    r = np.asarray(returns, dtype=np.float64)
    n, m = r.shape
    present = ~np.isnan(r)
    first = np.where(present.any(axis=0), np.argmax(present, axis=0), n)
    if late_notes is None:
        late_notes = [
            f"started trading on {_day(return_dates, f - 1) if f > 0 else _day(return_dates, 0)}"
            if f < n
            else "has no returns"
            for f in first
        ]
    late_notes = np.asarray(late_notes, dtype=object)
    tb = TableBuilder(names)

    for w in VOLATILITY_WINDOWS:
        short = f"needs {w} daily returns, {n} available"
        if n < w:
            tb.add(f"volatility_{w}d", np.nan, (True, short))
            continue
        late = first > n - w
        tb.add(f"volatility_{w}d", annual_volatility(r[-w:]), (late, _late(late_notes, f"the last {w} days")))

    window_keys = METRIC_KEYS[len(VOLATILITY_WINDOWS) :]
    if window < MIN_WINDOW or n < window:
        reason = (
            f"window of {window} returns is below the minimum of {MIN_WINDOW}"
            if window < MIN_WINDOW
            else f"needs {window} daily returns for the window, {n} available"
        )
        for key in window_keys:
            tb.add(key, np.nan, (True, reason))
        return tb.build()

    rw = r[-window:]
    late = first > n - window
    late_reason = (late, _late(late_notes, f"the {window}-day window"))
    with np.errstate(invalid="ignore"):
        constant = np.max(rw, axis=0) == np.min(rw, axis=0)
    zero_var = (constant, "zero variance: every return in the window is equal")
    tb.add("volatility", annual_volatility(rw), late_reason)
    tb.add("sharpe", sharpe_ratio(rw, risk_free), late_reason, zero_var)
    dd = np.atleast_1d(downside_risk(rw, risk_free))
    with np.errstate(divide="ignore", invalid="ignore"):
        sortino = np.mean(rw - risk_free, axis=0) * ANNUALIZATION / np.where(dd == 0, np.nan, dd)
    tb.add("sortino", sortino, late_reason, (dd == 0, "no return below the required return in the window"))
    tb.add("max_drawdown", max_drawdown(rw), late_reason)
    tb.add("max_drawdown_duration_days", max_drawdown_duration(rw), late_reason)
    tb.add("current_drawdown", current_drawdown(rw), late_reason)
    for level in VAR_LEVELS:
        p = _pct(level)
        tb.add(f"var_{p}", value_at_risk(rw, level), late_reason)
        tb.add(f"es_{p}", conditional_value_at_risk(rw, level), late_reason)
    for level in VAR_LEVELS:
        p = _pct(level)
        tb.add(f"var_{p}_parametric", parametric_value_at_risk(rw, level), late_reason)
    for level in VAR_LEVELS:
        p = _pct(level)
        tb.add(f"var_{p}_cornish_fisher", cornish_fisher_value_at_risk(rw, level), late_reason, zero_var)
    for key, bench in (("beta_btc", btc), ("beta_market", market)):
        values, why = _beta(rw, bench, window)
        tb.add(key, values, late_reason, (True, why) if why else (False, ""), zero_var)
    return tb.build()


def _beta(rw: np.ndarray, bench: Benchmark | None, window: int) -> tuple[np.ndarray, str | None]:
    m = rw.shape[1]
    if bench is None or bench.returns is None:
        why = (bench.missing_reason if bench else None) or "no benchmark given"
        return np.full(m, np.nan), why
    f = np.asarray(bench.returns, dtype=np.float64)[-window:]
    if np.isnan(f).any():
        return np.full(m, np.nan), f"benchmark {bench.name} has no returns over part of the {window}-day window"
    if np.max(f) == np.min(f):
        return np.full(m, np.nan), f"benchmark {bench.name} has zero variance over the window"
    return np.atleast_1d(beta(rw, f)), None


def _late(notes: np.ndarray, where: str) -> np.ndarray:
    return np.array([f"{note}, inside {where}" for note in notes], dtype=object)


def _day(dates: np.ndarray, i: int) -> str:
    return str(np.asarray(dates, dtype="datetime64[D]")[i])


@dataclass(frozen=True)
class RiskAnalysis:
    """Everything the risk engine computes for a universe of assets and a set of portfolios.

    Attributes
    ----------
    prices : PriceMatrix
    window : int
    quantities : np.ndarray
        ``(K, N)`` units held.
    portfolio_names : tuple[str, ...]
    assets, portfolios : MetricTable
        Metric sets; the portfolio table also carries ``hhi``, ``effective_n`` and ``risk_score``.
    score : RiskScore
    weights : np.ndarray
        ``(K, N)`` value weights on ``as_of``.
    values : np.ndarray
        ``(T, K)`` portfolio values over time.
    correlation : np.ndarray
        ``(N, N)`` Pearson correlation over the window (NaN for late or constant assets).
    volatility_contribution, component_var_95, component_var_99 : np.ndarray
        ``(K, N)``; NaN rows with ``contribution_reasons`` where not computable.
    contribution_reasons : list[str | None]
    backtests : dict[float, BacktestResult]
        Per VaR level, one value per portfolio.
    scenarios : list[Scenario]
    scenario_returns : np.ndarray
        ``(S, K)`` portfolio returns under each scenario.
    worst : dict[int, tuple[np.ndarray, np.ndarray]]
        Days -> (worst return, start row in ``values``) per portfolio.
    history : dict[int, np.ndarray] | None
        Days -> ``(T - 1, K)`` rolling annualized volatility of the portfolios (NaN before full).
    """

    prices: PriceMatrix
    window: int
    quantities: np.ndarray
    portfolio_names: tuple[str, ...]
    assets: MetricTable
    portfolios: MetricTable
    score: RiskScore
    weights: np.ndarray
    values: np.ndarray
    correlation: np.ndarray
    volatility_contribution: np.ndarray
    component_var_95: np.ndarray
    component_var_99: np.ndarray
    contribution_reasons: list[str | None]
    backtests: dict[float, BacktestResult]
    scenarios: list[Scenario]
    scenario_returns: np.ndarray
    worst: dict[int, tuple[np.ndarray, np.ndarray]]
    history: dict[int, np.ndarray] | None


def benchmarks(
    prices: PriceMatrix, asset_returns: np.ndarray, benchmark: str, caps=None
) -> tuple[Benchmark, Benchmark]:
    """The BTC-style benchmark column and the market index (cap-weighted with ``caps``, else equal)."""
    if benchmark in prices.symbols:
        btc = Benchmark(benchmark, asset_returns[:, prices.column(benchmark)])
    else:
        btc = Benchmark(benchmark, None, f"benchmark {benchmark} is not among the price columns")
    kind = "cap-weighted" if caps is not None else "equal-weighted"
    market = Benchmark(f"{kind} market index", market_index_returns(asset_returns, caps))
    return btc, market


def analyze(
    prices: PriceMatrix,
    quantities,
    *,
    portfolio_names=None,
    window: int = DEFAULT_WINDOW,
    risk_free_annual: float = 0.0,
    benchmark: str = DEFAULT_BENCHMARK,
    caps=None,
    history: bool = False,
) -> RiskAnalysis:
    """Run the full risk engine on a universe and ``K`` portfolios at once.

    Parameters
    ----------
    prices : PriceMatrix
        Validated daily closes (``N`` assets).
    quantities : array-like
        ``(N,)`` or ``(K, N)`` units held (>= 0), current holdings held through the history.
    window : int
        Trailing returns for every window metric, the correlation, contributions and backtest lookback.
    risk_free_annual : float
        Annual risk-free rate; converted with :func:`assets.metrics.returns.daily_risk_free`.
    benchmark : str
        Symbol of ``beta_btc`` and of the shock scenario.
    caps : np.ndarray, optional
        ``(T, N)`` market caps for a cap-weighted ``beta_market`` index.
    history : bool
        Also compute rolling 30/90/365-day volatility series of the portfolios.

    Raises
    ------
    ValueError
        On quantities of the wrong shape, negative or non-finite.
    """
    q = np.atleast_2d(np.asarray(quantities, dtype=np.float64))
    n_assets = len(prices.symbols)
    if q.shape[1] != n_assets:
        raise ValueError(f"quantities have {q.shape[1]} columns, prices {n_assets} symbols")
    if not np.isfinite(q).all() or (q < 0).any():
        raise ValueError("quantities must be finite and >= 0 (long-only holdings)")
    names = tuple(portfolio_names) if portfolio_names is not None else tuple(f"p{i}" for i in range(q.shape[0]))
    rf = daily_risk_free(risk_free_annual)
    p = prices.values
    ret_dates = prices.dates[1:]
    ar = simple_returns(p)
    btc, market = benchmarks(prices, ar, benchmark, caps)
    assets = series_metrics(ar, ret_dates, prices.symbols, window=window, risk_free=rf, btc=btc, market=market)

    held = q > 0
    values = portfolio_values(p, q)
    pr = simple_returns(values)
    late_notes = _portfolio_late_notes(prices, held)
    ptable = series_metrics(
        pr, ret_dates, names, window=window, risk_free=rf, btc=btc, market=market, late_notes=late_notes
    )

    as_of_prices = p[-1]
    weights = value_weights(as_of_prices, q)
    hhi = herfindahl_index(weights)
    empty = ~(q.sum(axis=1) > 0) | ~np.isfinite(hhi)
    extra = TableBuilder(names)
    extra.add("hhi", hhi, (empty, "the portfolio holds nothing"))
    extra.add("effective_n", effective_number(weights), (empty, "the portfolio holds nothing"))
    score = risk_score(ptable.values["volatility"], ptable.values["max_drawdown"], ptable.values["es_99"], hhi)
    reasons_score = np.array([_score_reason(ptable, i) for i in range(len(names))], dtype=object)
    extra.add("risk_score", score.score, (True, reasons_score))
    extra_table = extra.build()
    portfolios = MetricTable(
        names=names,
        values={**ptable.values, **extra_table.values},
        null_reasons={**ptable.null_reasons, **extra_table.null_reasons},
    )

    # Contributions: today's weights on the window's asset covariance.
    n_ret = ar.shape[0]
    if n_ret >= window >= MIN_WINDOW:
        aw = ar[-window:]
        asset_ok = ~np.isnan(aw).any(axis=0)
        corr = correlation_matrix(aw)
        cov_daily = covariance_matrix(np.where(asset_ok, aw, 0.0))
        mean_daily = np.where(asset_ok, aw.mean(axis=0), 0.0)
        vol_c, _ = volatility_contributions(weights, cov_daily * ANNUALIZATION)
        cvar = {lvl: component_var(weights, mean_daily, cov_daily, lvl)[0] for lvl in VAR_LEVELS}
        bad_assets = held & ~asset_ok[None, :]
        contribution_reasons: list[str | None] = []
        for i in range(len(names)):
            if empty[i]:
                contribution_reasons.append("the portfolio holds nothing")
            elif bad_assets[i].any():
                syms = ", ".join(s for s, b in zip(prices.symbols, bad_assets[i], strict=True) if b)
                contribution_reasons.append(f"holding(s) {syms} started trading inside the {window}-day window")
            elif not np.isfinite(vol_c[i]).all():
                contribution_reasons.append("zero portfolio variance over the window: nothing to attribute")
            else:
                contribution_reasons.append(None)
        bad_rows = np.array([r is not None for r in contribution_reasons])
        for arr in (vol_c, *cvar.values()):
            arr[bad_rows] = np.nan
    else:
        corr = np.full((n_assets, n_assets), np.nan)
        vol_c = np.full(q.shape, np.nan)
        cvar = {lvl: np.full(q.shape, np.nan) for lvl in VAR_LEVELS}
        why = f"needs {window} daily returns for the window, {n_ret} available"
        contribution_reasons = [why] * len(names)

    backtests = {lvl: var_backtest(pr, lvl, lookback=window) for lvl in VAR_LEVELS}

    beta_btc_assets = assets.values["beta_btc"]
    scenarios = [beta_shock(prices.symbols, beta_btc_assets, benchmark), stablecoin_depeg(prices.symbols)]
    scenarios += historical_replays(prices)
    scenario_returns = (
        np.stack([apply_scenario(s, weights) for s in scenarios]) if scenarios else np.empty((0, len(names)))
    )
    worst = {d: worst_windows(values, d) for d in WORST_WINDOW_DAYS}

    hist = None
    if history:
        hist = {}
        for w in VOLATILITY_WINDOWS:
            series = np.full(pr.shape, np.nan)
            if pr.shape[0] >= w:
                series[w - 1 :] = roll_annual_volatility(pr, w)
            hist[w] = series

    return RiskAnalysis(
        prices=prices,
        window=window,
        quantities=q,
        portfolio_names=names,
        assets=assets,
        portfolios=portfolios,
        score=score,
        weights=weights,
        values=values,
        correlation=corr,
        volatility_contribution=vol_c,
        component_var_95=cvar[0.95],
        component_var_99=cvar[0.99],
        contribution_reasons=contribution_reasons,
        backtests=backtests,
        scenarios=scenarios,
        scenario_returns=scenario_returns,
        worst=worst,
        history=hist,
    )


def _score_reason(table: MetricTable, i: int) -> str:
    for key in ("volatility", "max_drawdown", "es_99"):
        reason = table.null_reasons[key][i]
        if reason:
            return f"{key} is null: {reason}"
    return "not computable"


def _portfolio_late_notes(prices: PriceMatrix, held: np.ndarray) -> list[str]:
    """Per portfolio: which holding started trading last, and when."""
    notes = []
    fv = prices.first_valid
    for row in held:
        if not row.any():
            notes.append("holds nothing")
            continue
        j = int(np.argmax(np.where(row, fv, -1)))
        notes.append(f"holding {prices.symbols[j]} started trading on {prices.date_of(int(fv[j])).isoformat()}")
    return notes


def backtest_record(result: BacktestResult, i: int) -> dict:
    """JSON-ready backtest of portfolio ``i`` with a null reason when too short."""
    days = int(result.days[i])
    base = {"level": result.level, "lookback_days": result.lookback, "days": days}
    if days < MIN_BACKTEST_DAYS:
        return {
            **base,
            "breaches": None,
            "expected_breaches": None,
            "kupiec_lr": None,
            "p_value": None,
            "model_rejected": None,
            "null_reason": f"needs {MIN_BACKTEST_DAYS} test days after a {result.lookback}-day lookback, {days} available",
        }
    p_value = float(result.p_value[i])
    return {
        **base,
        "breaches": int(result.breaches[i]),
        "expected_breaches": float(result.expected[i]),
        "breach_rate": int(result.breaches[i]) / days,
        "kupiec_lr": float(result.lr[i]),
        "p_value": p_value,
        "model_rejected": bool(p_value < KUPIEC_SIGNIFICANCE),
    }
