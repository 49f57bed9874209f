"""Risk models past rolling windows: EWMA, GARCH(1,1)-t, filtered historical simulation and Monte
Carlo, for many series at once, with their daily VaR forecasts for out-of-sample backtests.

Every model is fitted on the same trailing ``window`` returns as the other window metrics. Keys
(annualized decimal volatilities, positive loss fractions for VaR / ES):

- ``volatility_ewma``: RiskMetrics EWMA (lambda 0.94), next-day forecast, annualized.
- ``volatility_garch`` / ``volatility_garch_10d``: GARCH(1,1)-t, next-day variance forecast and the
  mean of the next 10 days' variance forecasts, annualized.
- ``var_{95,99}_ewma`` / ``es_..._ewma``: zero-mean Gaussian on the EWMA volatility.
- ``var_{95,99}_fhs`` / ``es_..._fhs``: filtered historical simulation on the GARCH fit.
- ``var_{95,99}_mc`` / ``es_..._mc``: Monte Carlo from a multivariate Student-t of the assets.
- each with a ``_10d`` twin: 10-day loss (EWMA by its flat forecast, FHS and MC simulated).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from assets.metrics._arrays import moving_columns
from assets.metrics.backtest import CoverageBacktest, coverage_backtest, historical_var_forecasts_at
from assets.metrics.constants import (
    ANNUALIZATION,
    FHS_SIMULATIONS,
    MC_REFIT_DAYS,
    MC_SIMULATIONS,
    MIN_BACKTEST_DAYS,
    MODEL_HORIZON_DAYS,
    SIMULATION_SEED,
    VAR_LEVELS,
)
from assets.metrics.ewma import ewma_variance, gaussian_var_es
from assets.metrics.fhs import fhs_var_es
from assets.metrics.garch import BACKCAST_DAYS, GarchFit, fit_garch
from assets.metrics.monte_carlo import mc_var_es
from assets.metrics.student_t import StudentT, fit_student_t

#: The models of the VaR backtest comparison, in report order.
BACKTEST_MODELS: tuple[str, ...] = ("historical", "ewma", "fhs", "mc")


def _pct(level: float) -> int:
    return round(level * 100)


def model_keys() -> tuple[str, ...]:
    """Keys added to every metric set by :func:`series_models` and :func:`mc_metrics`."""
    keys = ["volatility_ewma", "volatility_garch", "volatility_garch_10d"]
    for model in ("ewma", "fhs", "mc"):
        for suffix in ("", "_10d"):
            for level in VAR_LEVELS:
                keys += [f"var_{_pct(level)}_{model}{suffix}", f"es_{_pct(level)}_{model}{suffix}"]
    return tuple(keys)


@dataclass(frozen=True)
class SeriesModels:
    """EWMA and GARCH-based values of ``K`` series: ``values`` key -> ``(K,)``, ``reasons`` key ->
    object ``(K,)`` (None where computed), and the GARCH fit itself."""

    values: dict[str, np.ndarray]
    reasons: dict[str, np.ndarray]
    garch: GarchFit


def series_models(rw: np.ndarray, *, seed: int = SIMULATION_SEED) -> SeriesModels:
    """EWMA and GARCH(1,1)-t / FHS values of each column of the window returns ``rw`` ``(W, K)``.

    Columns with a NaN get NaN (the caller explains them, as for the other window metrics).
    """
    k = rw.shape[1]
    values: dict[str, np.ndarray] = {}
    reasons: dict[str, np.ndarray] = {}
    none = np.full(k, None, dtype=object)

    sigma = np.sqrt(ewma_variance(rw)[-1])
    values["volatility_ewma"] = sigma * np.sqrt(ANNUALIZATION)
    for level in VAR_LEVELS:
        for suffix, horizon in (("", 1), ("_10d", MODEL_HORIZON_DAYS)):
            var, es = gaussian_var_es(sigma, level, horizon)
            values[f"var_{_pct(level)}_ewma{suffix}"] = var
            values[f"es_{_pct(level)}_ewma{suffix}"] = es
    for key in list(values):
        reasons[key] = none

    fit = fit_garch(rw)
    forecast = fit.forecast_variance(MODEL_HORIZON_DAYS)
    values["volatility_garch"] = np.sqrt(forecast[0] * ANNUALIZATION)
    values["volatility_garch_10d"] = np.sqrt(forecast.mean(axis=0) * ANNUALIZATION)
    one, multi = fhs_var_es(fit, VAR_LEVELS, MODEL_HORIZON_DAYS, FHS_SIMULATIONS, np.random.default_rng(seed))
    for level in VAR_LEVELS:
        for suffix, result in (("", one), ("_10d", multi)):
            values[f"var_{_pct(level)}_fhs{suffix}"], values[f"es_{_pct(level)}_fhs{suffix}"] = result[level]
    for key in values:
        if key not in reasons:
            reasons[key] = fit.reasons
    return SeriesModels(values, reasons, fit)


def _mc_fit(aw: np.ndarray) -> tuple[StudentT | None, np.ndarray, str | None]:
    """The multivariate t of the window's usable assets (full window, moving), or why none."""
    usable = moving_columns(aw)
    n = int(usable.sum())
    if n == 0:
        return None, usable, "no asset has returns over the whole window"
    if n >= aw.shape[0]:
        return None, usable, f"a multivariate t of {n} assets needs more than {n} returns, {aw.shape[0]} in the window"
    try:
        model = fit_student_t(aw[:, usable])
    except ValueError as exc:
        return None, usable, f"multivariate t not fitted: {exc}"
    if not model.converged:
        return None, usable, "multivariate t fit did not converge"
    return model, usable, None


@dataclass(frozen=True)
class MonteCarlo:
    """Monte Carlo values of the assets and the portfolios (key -> array) with reasons."""

    assets: dict[str, np.ndarray]
    asset_reasons: dict[str, np.ndarray]
    portfolios: dict[str, np.ndarray]
    portfolio_reasons: dict[str, np.ndarray]
    model: StudentT | None


def mc_metrics(aw: np.ndarray, weights: np.ndarray, symbols, *, seed: int = SIMULATION_SEED) -> MonteCarlo:
    """Monte Carlo VaR / ES of each asset and of each portfolio's current weights ``(K, N)``."""
    n, k = aw.shape[1], weights.shape[0]
    keys = [key for key in model_keys() if key.endswith(("_mc", "_mc_10d"))]
    model, usable, why = _mc_fit(aw)
    a_vals = {key: np.full(n, np.nan) for key in keys}
    p_vals = {key: np.full(k, np.nan) for key in keys}
    a_why = np.full(n, why, dtype=object)
    p_why = np.full(k, why, dtype=object)
    if model is not None:
        a_why[~usable] = "not in the Monte Carlo model: no returns over part of the window or no variance"
        a_why[usable] = None
        held_out = (weights > 0) & ~usable[None, :]
        p_why[:] = None
        p_why[~(weights.sum(axis=1) > 0)] = "the portfolio holds nothing"
        for i in np.flatnonzero(held_out.any(axis=1)):
            names = ", ".join(s for s, b in zip(symbols, held_out[i], strict=True) if b)
            p_why[i] = f"holding(s) {names} have no returns over part of the window or no variance"
        w = weights[:, usable]
        with np.errstate(invalid="ignore", divide="ignore"):
            w = w / w.sum(axis=1, keepdims=True)
        result = mc_var_es(
            model, np.nan_to_num(w), VAR_LEVELS, MODEL_HORIZON_DAYS, MC_SIMULATIONS, np.random.default_rng(seed)
        )
        for who, vals, mask in (("assets", a_vals, usable), ("portfolios", p_vals, slice(None))):
            one, multi = result[who]
            for level in VAR_LEVELS:
                for suffix, res in (("", one), ("_10d", multi)):
                    var, es = res[level]
                    vals[f"var_{_pct(level)}_mc{suffix}"][mask] = var
                    vals[f"es_{_pct(level)}_mc{suffix}"][mask] = es
        for vals in p_vals.values():
            vals[p_why != None] = np.nan  # noqa: E711
    return MonteCarlo(a_vals, dict.fromkeys(keys, a_why), p_vals, dict.fromkeys(keys, p_why), model)


def left_align(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column moved up to start at row 0 (NaN after its end), and the row it started on."""
    present = ~np.isnan(x)
    first = np.where(present.any(axis=0), np.argmax(present, axis=0), x.shape[0])
    return _shift_up(x, first), first


def _shift_up(x: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Column j's rows from ``first[j]`` on, moved to row 0 (NaN below)."""
    t, k = x.shape
    rows = first[None, :] + np.arange(t)[:, None]
    return np.where(rows < t, x[np.minimum(rows, t - 1), np.arange(k)], np.nan)


def _mc_forecasts(ar: np.ndarray, prices: np.ndarray, quantities: np.ndarray, window: int) -> dict[float, np.ndarray]:
    """Daily one-day MC VaR forecasts ``(T, K)`` per level of the portfolios from a multivariate t
    re-fitted every :data:`MC_REFIT_DAYS` on the previous ``window`` asset returns; day t uses the
    weights of the close before it. The portfolio's return under the model is exactly
    t-distributed, so the forecast is that t's quantile (simulating it would only add noise to the
    test)."""
    t_len, k = ar.shape[0], quantities.shape[0]
    out = {lvl: np.full((t_len, k), np.nan) for lvl in VAR_LEVELS}
    model = None
    for start in range(window, t_len, MC_REFIT_DAYS):
        aw = ar[start - window : start]
        usable = moving_columns(aw)
        if not usable.any() or usable.sum() >= window:
            continue
        prev = model if model is not None and len(model.mu) == usable.sum() else None
        try:
            # arch's optimizer tolerance: a refit moves little from the previous window's fit.
            model = fit_student_t(aw[:, usable], start=prev, tolerance=1e-6)
        except ValueError:
            model = None
            continue
        stop = min(start + MC_REFIT_DAYS, t_len)
        value = prices[start:stop][:, None, :] * quantities[None, :, :]  # (days, K, N) at the prior close
        with np.errstate(invalid="ignore", divide="ignore"):
            w = value[:, :, usable] / value.sum(axis=2)[:, :, None]
        scale = np.sqrt(np.sum((w @ np.linalg.cholesky(model.shape)) ** 2, axis=2))
        loc = w @ model.mu
        held_out = ((quantities > 0) & ~usable[None, :]).any(axis=1)
        for lvl in VAR_LEVELS:
            var = -(loc + scale * stats.t.ppf(1.0 - lvl, model.nu))
            var[:, held_out] = np.nan
            out[lvl][start:stop] = var
    return out


def model_var_forecasts(
    pr: np.ndarray, ar: np.ndarray, prices: np.ndarray, quantities: np.ndarray, window: int, historical=None
) -> tuple[dict[float, dict[str, np.ndarray]], np.ndarray, np.ndarray]:
    """Daily one-day VaR forecasts of every model for the portfolio returns ``pr`` ``(T, K)``.

    Each portfolio's rows are left-aligned (row 0 = its first return); row t's forecast uses
    returns before it only, and only rows with a full ``window`` before them are test days (as
    the historical backtest's). Historical VaR re-estimates daily; EWMA filters daily from a start
    on the first returns; GARCH-FHS is fitted once on each portfolio's first ``window`` returns
    and filtered forward with those parameters (no refit, so no day is forecast with data from
    after it), its quantile taken over the previous ``window`` standardized residuals; MC re-fits
    its t every :data:`MC_REFIT_DAYS`. ``historical`` (level -> calendar-row forecasts of
    :func:`~assets.metrics.backtest.historical_var_forecasts`) saves recomputing them.

    Returns
    -------
    (forecasts, aligned_returns, fhs_reasons)
        level -> model -> ``(T, K)``; the left-aligned returns; why FHS has no forecasts (or None).
    """
    aligned, first = left_align(pr)
    t_len, k = aligned.shape
    test = np.arange(t_len)[:, None] >= window
    sigma = np.sqrt(ewma_variance(aligned, backcast_days=min(BACKCAST_DAYS, window))[:-1])
    enough = np.sum(~np.isnan(aligned), axis=0) >= window + MIN_BACKTEST_DAYS
    fit_reasons = np.full(k, None, dtype=object)
    garch_sigma = np.full_like(aligned, np.nan)
    z = np.full_like(aligned, np.nan)
    mu = np.full(k, np.nan)
    if enough.any():
        fit = fit_garch(aligned[:window, enough], second_start=False)
        h, _ = fit.filter(aligned[:, enough])
        garch_sigma[:, enough] = np.sqrt(h)
        z[:, enough] = (aligned[:, enough] - fit.mu) / garch_sigma[:, enough]
        mu[enough] = fit.mu
        fit_reasons[enough] = fit.reasons
    if historical is None:
        historical = historical_var_forecasts_at(pr, VAR_LEVELS, window)
    z_quantiles = historical_var_forecasts_at(z, VAR_LEVELS, window)
    mc = _mc_forecasts(ar, prices, quantities, window)
    forecasts = {}
    for level in VAR_LEVELS:
        forecasts[level] = {
            "historical": _shift_up(historical[level], first),
            "ewma": np.where(test, gaussian_var_es(sigma, level)[0], np.nan),
            "fhs": np.where(test, garch_sigma * z_quantiles[level] - mu, np.nan),
            "mc": np.where(test, _shift_up(mc[level], first), np.nan),
        }
    return forecasts, aligned, fit_reasons


def model_backtests(
    pr: np.ndarray, ar: np.ndarray, prices: np.ndarray, quantities: np.ndarray, window: int, historical=None
) -> dict[str, dict[float, CoverageBacktest]]:
    """Out-of-sample VaR backtests of every model (:func:`model_var_forecasts`) on the portfolio
    returns: model -> level -> :class:`~assets.metrics.backtest.CoverageBacktest`."""
    forecasts, aligned, fhs_reasons = model_var_forecasts(pr, ar, prices, quantities, window, historical)
    out: dict[str, dict[float, CoverageBacktest]] = {m: {} for m in BACKTEST_MODELS}
    for level, by_model in forecasts.items():
        for model, f in by_model.items():
            reasons = fhs_reasons if model == "fhs" else None
            out[model][level] = coverage_backtest(aligned, f, level, model, MIN_BACKTEST_DAYS, reasons)
    return out
