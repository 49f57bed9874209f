"""The metric set of many series at once, and of assets and portfolios from a price matrix.

Everything here is vectorized over columns: 1,000 portfolios cost about as much numpy work as a
handful of loops over one. Values that cannot be computed are NaN with a reason (see
:class:`assets.metrics.table.MetricTable`), never a crash or an infinity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assets.metrics.backtest import BacktestResult, CoverageBacktest, historical_var_forecasts_at, var_backtest
from assets.metrics.beta import beta
from assets.metrics.concentration import effective_number, herfindahl_index, value_weights
from assets.metrics.constants import (
    ANNUALIZATION,
    CORRELATION_DAYS,
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
from assets.metrics.dependence import average_correlation, correlation_regime, lower_tail_dependence, spearman_matrix
from assets.metrics.drawdown import current_drawdown, max_drawdown, max_drawdown_duration
from assets.metrics.extended import EXTENDED_KEYS, extended_metrics, model_table
from assets.metrics.models import SeriesModels, mc_metrics, model_backtests, model_keys, series_models
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
from assets.metrics.var import cornish_fisher_value_at_risk, parametric_value_at_risk, tail_measures
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

#: The keys of :data:`METRIC_KEYS` that empyrical-reloaded defines (and ours equal, at 365).
EMPYRICAL_KEYS: tuple[str, ...] = tuple(
    k
    for k in METRIC_KEYS
    if k.startswith("volatility_")
    or k in ("sharpe", "sortino", "max_drawdown", "beta_btc", "beta_market")
    or k in {f"{m}_{round(lv * 100)}" for m in ("var", "es") for lv in VAR_LEVELS}
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
    keys=None,
) -> MetricTable:
    """Every metric of :data:`METRIC_KEYS` (or only ``keys``) for each column of ``returns``.

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
    keys : collection of str, optional
        Compute only these of :data:`METRIC_KEYS` (all by default).

    Returns
    -------
    MetricTable
    """
    r = np.asarray(returns, dtype=np.float64)
    n = r.shape[0]
    late_notes = _late_notes(r, return_dates) if late_notes is None else late_notes
    late_notes = np.asarray(late_notes, dtype=object)
    first = _first_rows(r)
    tb = _Selected(names, keys)
    _volatilities(tb, r, first, late_notes)
    window_keys = [k for k in METRIC_KEYS[len(VOLATILITY_WINDOWS) :] if tb.wants(k)]
    why = _window_short(window, n)
    if why:
        for key in window_keys:
            tb.add(key, np.nan, (True, why))
        return tb.build()
    rw = r[-window:]
    late_reason = (first > n - window, _late(late_notes, f"the {window}-day window"))
    _window_metrics(tb, rw, risk_free, late_reason, btc, market, window)
    return tb.build()


class _Selected(TableBuilder):
    """A table builder that keeps only the requested keys (all without a selection)."""

    def __init__(self, names, keys) -> None:
        super().__init__(names)
        self.keys = None if keys is None else frozenset(keys)

    def wants(self, key: str) -> bool:
        return self.keys is None or key in self.keys

    def add(self, key, values, *explanations) -> None:
        if self.wants(key):
            super().add(key, values, *explanations)


def _first_rows(r: np.ndarray) -> np.ndarray:
    """Row of each column's first return (``T`` for a column without one)."""
    present = ~np.isnan(r)
    return np.where(present.any(axis=0), np.argmax(present, axis=0), r.shape[0])


def _late_notes(r: np.ndarray, return_dates: np.ndarray) -> list[str]:
    n = r.shape[0]
    first = _first_rows(r)
    if n == 0:
        return ["has no returns"] * len(first)
    days = np.datetime_as_string(np.asarray(return_dates, dtype="datetime64[D]")[np.clip(first - 1, 0, n - 1)])
    return [f"started trading on {d}" if f < n else "has no returns" for f, d in zip(first, days, strict=True)]


def _window_short(window: int, n: int) -> str | None:
    """Why the window metrics cannot be computed, or None."""
    if window < MIN_WINDOW:
        return f"window of {window} returns is below the minimum of {MIN_WINDOW}"
    if n < window:
        return f"needs {window} daily returns for the window, {n} available"
    return None


def _volatilities(tb: TableBuilder, r: np.ndarray, first: np.ndarray, late_notes: np.ndarray) -> None:
    n = r.shape[0]
    for w in VOLATILITY_WINDOWS:
        if not tb.wants(f"volatility_{w}d"):
            continue
        if n < w:
            tb.add(f"volatility_{w}d", np.nan, (True, f"needs {w} daily returns, {n} available"))
            continue
        late = first > n - w
        tb.add(f"volatility_{w}d", annual_volatility(r[-w:]), (late, _late(late_notes, f"the last {w} days")))


def _window_metrics(tb: _Selected, rw, risk_free, late_reason, btc, market, window) -> None:
    """The window metrics of :data:`METRIC_KEYS` (all but the fixed-window volatilities); each is
    computed only when the builder wants it."""
    with np.errstate(invalid="ignore"):
        constant = np.max(rw, axis=0) == np.min(rw, axis=0)
    zero_var = (constant, "zero variance: every return in the window is equal")
    metrics = {  # in table (and JSON) order
        "volatility": (lambda: annual_volatility(rw), ()),
        "sharpe": (lambda: sharpe_ratio(rw, risk_free), (zero_var,)),
        "sortino": (lambda: _sortino(rw, risk_free), ()),
        "max_drawdown": (lambda: max_drawdown(rw), ()),
        "max_drawdown_duration_days": (lambda: max_drawdown_duration(rw), ()),
        "current_drawdown": (lambda: current_drawdown(rw), ()),
    }
    tails: dict = {}  # one partial sort gives VaR and ES at every level

    def tail(level: float, which: int):
        if not tails:
            tails.update(tail_measures(rw, VAR_LEVELS))
        return tails[level][which]

    for level in VAR_LEVELS:
        metrics[f"var_{_pct(level)}"] = (lambda lv=level: tail(lv, 0), ())
        metrics[f"es_{_pct(level)}"] = (lambda lv=level: tail(lv, 1), ())
    for level in VAR_LEVELS:
        metrics[f"var_{_pct(level)}_parametric"] = (lambda lv=level: parametric_value_at_risk(rw, lv), ())
    for level in VAR_LEVELS:
        cf = (lambda lv=level: cornish_fisher_value_at_risk(rw, lv), (zero_var,))
        metrics[f"var_{_pct(level)}_cornish_fisher"] = cf
    for key, bench in (("beta_btc", btc), ("beta_market", market)):
        metrics[key] = (lambda b=bench: _beta(rw, b, window), (zero_var,))
    for key, (compute, more) in metrics.items():
        if not tb.wants(key):
            continue
        values = compute()
        if isinstance(values, tuple):  # (values, why) of the betas and Sortino
            values, why = values
            more = ((True, why) if isinstance(why, str) else why, *more)
        tb.add(key, values, late_reason, *more)


def _sortino(rw: np.ndarray, risk_free: float):
    dd = np.atleast_1d(downside_risk(rw, risk_free))
    with np.errstate(divide="ignore", invalid="ignore"):
        sortino = np.mean(rw - risk_free, axis=0) * ANNUALIZATION / np.where(dd == 0, np.nan, dd)
    return sortino, (dd == 0, "no return below the required return in the window")


def _beta(rw: np.ndarray, bench: Benchmark | None, window: int) -> tuple[np.ndarray, str | tuple]:
    m = rw.shape[1]
    if bench is None or bench.returns is None:
        why = (bench.missing_reason if bench else None) or "no benchmark given"
        return np.full(m, np.nan), why
    f = np.asarray(bench.returns, dtype=np.float64)[-window:]
    if np.isnan(f).any():
        return np.full(m, np.nan), f"benchmark {bench.name} has no returns over part of the {window}-day window"
    if np.max(f) == np.min(f):
        return np.full(m, np.nan), f"benchmark {bench.name} has zero variance over the window"
    return np.atleast_1d(beta(rw, f)), (False, "")


def _late(notes: np.ndarray, where: str) -> np.ndarray:
    return np.array([f"{note}, inside {where}" for note in notes], dtype=object)


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
    models : ModelResults | None
        With ``models=True``: the model backtests, dependence matrices and correlation regimes
        (the model and extended metric keys are in ``assets`` and ``portfolios``).
    underwater : np.ndarray | None
        With ``history=True``: ``(T, K)`` drawdown of each portfolio's value from its running peak
        over the stored prices (NaN before every holding is priced).
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
    models: ModelResults | None = None
    underwater: np.ndarray | None = None


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


@dataclass(frozen=True)
class EngineInputs:
    """Validated inputs of one engine run and the series every step starts from."""

    prices: PriceMatrix
    quantities: np.ndarray
    names: tuple[str, ...]
    risk_free: float
    asset_returns: np.ndarray
    return_dates: np.ndarray
    btc: Benchmark
    market: Benchmark
    values: np.ndarray
    portfolio_returns: np.ndarray
    late_notes: list[str]


@dataclass(frozen=True)
class Attribution:
    """Today's weights and what they imply: concentration, score, correlation and contributions."""

    weights: np.ndarray
    extra: MetricTable
    score: RiskScore
    correlation: np.ndarray
    volatility_contribution: np.ndarray
    component_var: dict[float, np.ndarray]
    reasons: list[str | None]


@dataclass(frozen=True)
class Stress:
    scenarios: list[Scenario]
    scenario_returns: np.ndarray
    worst: dict[int, tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class ModelResults:
    """What ``models=True`` adds beside the metric keys.

    Attributes
    ----------
    backtests : dict[str, dict[float, CoverageBacktest]]
        Model (:data:`assets.metrics.models.BACKTEST_MODELS`) -> level -> per-portfolio backtest.
    tail_dependence, spearman : np.ndarray
        ``(N, N)`` over the window's asset returns (NaN for late or constant assets).
    regime, regime_recent, regime_usual : np.ndarray
        Per portfolio: "calm" / "stressed" / None, and the value-weighted average pairwise
        correlation of its holdings over the last 30 days and over the window.
    regime_reasons : np.ndarray
        object: why a portfolio has no regime (None where it has one).
    """

    backtests: dict[str, dict[float, CoverageBacktest]]
    tail_dependence: np.ndarray
    spearman: np.ndarray
    regime: np.ndarray
    regime_recent: np.ndarray
    regime_usual: np.ndarray
    regime_reasons: np.ndarray


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
    models: bool = False,
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
        Also compute rolling 30/90/365-day volatility series and the underwater series of the portfolios.
    models : bool
        Also compute the extended set: EWMA, GARCH(1,1)-t, FHS and Monte Carlo VaR / ES, their
        backtests (Kupiec, Christoffersen, traffic light), Calmar / Ulcer / Omega, drawdown duration,
        tail dependence, Spearman and the correlation regime (:mod:`assets.metrics.models`).

    Raises
    ------
    ValueError
        On quantities of the wrong shape, negative or non-finite.
    """
    inp = engine_inputs(prices, quantities, portfolio_names, risk_free_annual, benchmark, caps)
    kw = {"window": window, "risk_free": inp.risk_free, "btc": inp.btc, "market": inp.market}
    assets = series_metrics(inp.asset_returns, inp.return_dates, prices.symbols, **kw)
    ptable = series_metrics(inp.portfolio_returns, inp.return_dates, inp.names, late_notes=inp.late_notes, **kw)
    attribution = attribute(inp, ptable, window)
    portfolios = _merged(ptable, attribution.extra)
    historical = historical_var_forecasts_at(inp.portfolio_returns, VAR_LEVELS, window)
    backtests = {lvl: var_backtest(inp.portfolio_returns, lvl, window, historical[lvl]) for lvl in VAR_LEVELS}
    stress = stress_tests(inp, assets, attribution.weights, benchmark)
    results = None
    if models:
        assets, portfolios, results = model_results(inp, assets, portfolios, attribution, window, historical)
    return RiskAnalysis(
        prices=prices,
        window=window,
        quantities=inp.quantities,
        portfolio_names=inp.names,
        assets=assets,
        portfolios=portfolios,
        score=attribution.score,
        weights=attribution.weights,
        values=inp.values,
        correlation=attribution.correlation,
        volatility_contribution=attribution.volatility_contribution,
        component_var_95=attribution.component_var[0.95],
        component_var_99=attribution.component_var[0.99],
        contribution_reasons=attribution.reasons,
        backtests=backtests,
        scenarios=stress.scenarios,
        scenario_returns=stress.scenario_returns,
        worst=stress.worst,
        history=rolling_history(inp.portfolio_returns) if history else None,
        models=results,
        underwater=underwater(inp.values) if history else None,
    )


def engine_inputs(prices: PriceMatrix, quantities, portfolio_names, risk_free_annual, benchmark, caps) -> EngineInputs:
    """Validate the quantities and build the return series every step uses."""
    q = np.atleast_2d(np.asarray(quantities, dtype=np.float64))
    n_assets = len(prices.symbols)
    if q.shape[1] != n_assets:
        raise ValueError(f"quantities have {q.shape[1]} columns, prices {n_assets} symbols")
    if not np.isfinite(q).all() or (q < 0).any():
        raise ValueError("quantities must be finite and >= 0 (long-only holdings)")
    names = tuple(portfolio_names) if portfolio_names is not None else tuple(f"p{i}" for i in range(q.shape[0]))
    ar = simple_returns(prices.values)
    btc, market = benchmarks(prices, ar, benchmark, caps)
    values = portfolio_values(prices.values, q)
    return EngineInputs(
        prices=prices,
        quantities=q,
        names=names,
        risk_free=daily_risk_free(risk_free_annual),
        asset_returns=ar,
        return_dates=prices.dates[1:],
        btc=btc,
        market=market,
        values=values,
        portfolio_returns=simple_returns(values),
        late_notes=_portfolio_late_notes(prices, q > 0),
    )


def _merged(*tables: MetricTable) -> MetricTable:
    return MetricTable(
        names=tables[0].names,
        values={k: v for t in tables for k, v in t.values.items()},
        null_reasons={k: v for t in tables for k, v in t.null_reasons.items()},
    )


def attribute(inp: EngineInputs, ptable: MetricTable, window: int) -> Attribution:
    """Weights on ``as_of``, HHI, effective holdings, the risk score, correlation and contributions."""
    q = inp.quantities
    weights = value_weights(inp.prices.values[-1], q)
    hhi = herfindahl_index(weights)
    empty = ~(q.sum(axis=1) > 0) | ~np.isfinite(hhi)
    extra = TableBuilder(inp.names)
    extra.add("hhi", hhi, (empty, "the portfolio holds nothing"))
    extra.add("effective_n", effective_number(weights), (empty, "the portfolio holds nothing"))
    score = risk_score(ptable.values["volatility"], ptable.values["max_drawdown"], ptable.values["es_99"], hhi)
    reasons_score = np.array([_score_reason(ptable, i) for i in range(len(inp.names))], dtype=object)
    extra.add("risk_score", score.score, (True, reasons_score))
    corr, vol_c, cvar, reasons = _contributions(inp, weights, empty, window)
    return Attribution(weights, extra.build(), score, corr, vol_c, cvar, reasons)


def _contributions(inp: EngineInputs, weights: np.ndarray, empty: np.ndarray, window: int):
    """Volatility and component-VaR contributions: today's weights on the window's asset covariance."""
    ar, q = inp.asset_returns, inp.quantities
    n_assets, n_ret = ar.shape[1], ar.shape[0]
    if not n_ret >= window >= MIN_WINDOW:
        why = f"needs {window} daily returns for the window, {n_ret} available"
        nan = np.full(q.shape, np.nan)
        return np.full((n_assets, n_assets), np.nan), nan, {lvl: nan.copy() for lvl in VAR_LEVELS}, [why] * len(q)
    aw = ar[-window:]
    asset_ok = ~np.isnan(aw).any(axis=0)
    corr = correlation_matrix(aw)
    cov_daily = covariance_matrix(np.where(asset_ok, aw, 0.0))
    mean_daily = np.where(asset_ok, aw.mean(axis=0), 0.0)
    vol_c, _ = volatility_contributions(weights, cov_daily * ANNUALIZATION)
    cvar = {lvl: component_var(weights, mean_daily, cov_daily, lvl)[0] for lvl in VAR_LEVELS}
    bad_assets = (q > 0) & ~asset_ok[None, :]
    reasons: list[str | None] = []
    for i in range(len(q)):
        if empty[i]:
            reasons.append("the portfolio holds nothing")
        elif bad_assets[i].any():
            syms = ", ".join(s for s, b in zip(inp.prices.symbols, bad_assets[i], strict=True) if b)
            reasons.append(f"holding(s) {syms} started trading inside the {window}-day window")
        elif not np.isfinite(vol_c[i]).all():
            reasons.append("zero portfolio variance over the window: nothing to attribute")
        else:
            reasons.append(None)
    bad_rows = np.array([r is not None for r in reasons])
    for arr in (vol_c, *cvar.values()):
        arr[bad_rows] = np.nan
    return corr, vol_c, cvar, reasons


def stress_tests(inp: EngineInputs, assets: MetricTable, weights: np.ndarray, benchmark: str) -> Stress:
    """The BTC-beta shock, the stablecoin depeg, historical replays and the worst N-day windows."""
    symbols = inp.prices.symbols
    scenarios = [beta_shock(symbols, assets.values["beta_btc"], benchmark), stablecoin_depeg(symbols)]
    scenarios += historical_replays(inp.prices)
    scenario_returns = (
        np.stack([apply_scenario(s, weights) for s in scenarios]) if scenarios else np.empty((0, len(inp.names)))
    )
    return Stress(scenarios, scenario_returns, {d: worst_windows(inp.values, d) for d in WORST_WINDOW_DAYS})


def rolling_history(pr: np.ndarray) -> dict[int, np.ndarray]:
    """Days -> ``(T - 1, K)`` rolling annualized volatility of the portfolio returns (NaN before full)."""
    hist = {}
    for w in VOLATILITY_WINDOWS:
        series = np.full(pr.shape, np.nan)
        if pr.shape[0] >= w:
            series[w - 1 :] = roll_annual_volatility(pr, w)
        hist[w] = series
    return hist


def underwater(values: np.ndarray) -> np.ndarray:
    """``(T, K)`` drawdown of each value series from its running peak (0 at a new high), from the
    first day every holding is priced (NaN before)."""
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        peak = np.fmax.accumulate(v, axis=0)
        return v / peak - 1.0


def model_results(
    inp: EngineInputs,
    assets: MetricTable,
    portfolios: MetricTable,
    attribution: Attribution,
    window: int,
    historical=None,
):
    """The extended set (``models=True``): metric keys merged into both tables, and the rest
    (``historical``: the historical VaR forecasts of the portfolios when already computed)."""
    ar, pr = inp.asset_returns, inp.portfolio_returns
    n = ar.shape[0]
    backtests = model_backtests(pr, ar, inp.prices.values, inp.quantities, window, historical)
    why = _window_short(window, n)
    if why:
        k, m = len(inp.names), len(inp.prices.symbols)
        nan_nn, nan_k = np.full((m, m), np.nan), np.full(k, np.nan)
        none = np.full(k, None, dtype=object)
        results = ModelResults(
            backtests, nan_nn, nan_nn.copy(), none, nan_k, nan_k.copy(), np.full(k, why, dtype=object)
        )
        return (
            _merged(assets, _all_null(inp.prices.symbols, why)),
            _merged(portfolios, _all_null(inp.names, why)),
            results,
        )
    aw, rw = ar[-window:], pr[-window:]
    late_a = (
        _first_rows(ar) > n - window,
        _late(np.asarray(_late_notes(ar, inp.return_dates), dtype=object), f"the {window}-day window"),
    )
    late_p = (_first_rows(pr) > n - window, _late(np.asarray(inp.late_notes, dtype=object), f"the {window}-day window"))
    btc = inp.btc
    bench = {
        "risk_free": inp.risk_free,
        "benchmark_name": btc.name,
        "benchmark_returns": None if btc.returns is None else btc.returns[-window:],
        "benchmark_reason": btc.missing_reason,
    }
    fitted = series_models(np.hstack([aw, rw]))
    n_assets = aw.shape[1]
    split = _split_models(fitted, n_assets)
    mc = mc_metrics(aw, attribution.weights, inp.prices.symbols)
    asset_tables = (
        extended_metrics(aw, inp.prices.symbols, late_a, **bench),
        model_table(split[0], inp.prices.symbols, late_a, mc.assets, mc.asset_reasons),
    )
    portfolio_tables = (
        extended_metrics(rw, inp.names, late_p, **bench),
        model_table(split[1], inp.names, late_p, mc.portfolios, mc.portfolio_reasons),
    )
    regime, recent, usual, regime_why = _regimes(aw, attribution.weights)
    results = ModelResults(
        backtests=backtests,
        tail_dependence=lower_tail_dependence(aw),
        spearman=spearman_matrix(aw),
        regime=regime,
        regime_recent=recent,
        regime_usual=usual,
        regime_reasons=regime_why,
    )
    return _merged(assets, *asset_tables), _merged(portfolios, *portfolio_tables), results


def _all_null(names, why: str) -> MetricTable:
    tb = TableBuilder(names)
    for key in (*EXTENDED_KEYS, *model_keys()):
        tb.add(key, np.nan, (True, why))
    return tb.build()


def _split_models(fitted: SeriesModels, n_assets: int) -> tuple[SeriesModels, SeriesModels]:
    """The joint fit of assets and portfolios, cut back into the two."""
    parts = []
    for sl in (slice(None, n_assets), slice(n_assets, None)):
        parts.append(
            SeriesModels(
                {k: v[sl] for k, v in fitted.values.items()},
                {k: np.broadcast_to(v, fitted.values[k].shape)[sl] for k, v in fitted.reasons.items()},
                fitted.garch,
            )
        )
    return parts[0], parts[1]


def _regimes(aw: np.ndarray, weights: np.ndarray):
    """Correlation regime per portfolio (see :data:`assets.metrics.constants.REGIME_MARGIN`)."""
    recent = average_correlation(correlation_matrix(aw[-CORRELATION_DAYS:]), weights)
    usual = average_correlation(correlation_matrix(aw), weights)
    label = correlation_regime(recent, usual)
    held = (weights > 0).sum(axis=1)
    why = np.full(len(weights), None, dtype=object)
    why[label == None] = "needs two holdings with returns that move over the whole window"  # noqa: E711
    why[held < 2] = "needs at least two holdings"
    return label, recent, usual, why


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
