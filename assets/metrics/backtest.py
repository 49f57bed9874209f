"""Out-of-sample backtest of historical VaR: breaches and Kupiec's proportion-of-failures test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import special, stats

from assets.metrics._arrays import as_2d
from assets.metrics.constants import TRAFFIC_LIGHT_DAYS, TRAFFIC_LIGHT_RED, TRAFFIC_LIGHT_YELLOW
from assets.metrics.var import _tail


def kupiec_test(breaches, days, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Kupiec (1995) proportion-of-failures likelihood-ratio test.

    .. math:: LR = -2 \\ln \\frac{(1-p)^{T-x} p^x}{(1-\\hat p)^{T-x} \\hat p^x}, \\quad \\hat p = x / T,
              \\quad LR \\sim \\chi^2_1

    with :math:`p = 1 - \\alpha` the expected breach rate, :math:`x` breaches in :math:`T` days
    (:math:`0 \\ln 0 = 0`).

    Returns
    -------
    (lr, p_value) : tuple of np.ndarray
        NaN where ``days`` is 0.
    """
    x = np.asarray(breaches, dtype=np.float64)
    t = np.asarray(days, dtype=np.float64)
    p = _tail(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        phat = x / t
        log_null = special.xlogy(t - x, 1.0 - p) + special.xlogy(x, p)
        log_alt = special.xlogy(t - x, 1.0 - phat) + special.xlogy(x, phat)
        lr = np.where(t > 0, np.maximum(-2.0 * (log_null - log_alt), 0.0), np.nan)
    return lr, stats.chi2.sf(lr, 1)


@dataclass(frozen=True)
class BacktestResult:
    """Per-column backtest outcome (arrays of one value per series).

    Attributes
    ----------
    level : float
        VaR confidence level.
    lookback : int
        Returns each day's VaR forecast is estimated from.
    days : np.ndarray
        Test days (days with a full lookback and a return).
    breaches : np.ndarray
        Days whose loss exceeded the VaR forecast made the day before.
    lr, p_value : np.ndarray
        Kupiec statistic and its chi-square(1) p-value.
    """

    level: float
    lookback: int
    days: np.ndarray
    breaches: np.ndarray
    lr: np.ndarray
    p_value: np.ndarray

    @property
    def expected(self) -> np.ndarray:
        """Breaches a correct model expects: :math:`T (1 - \\alpha)`."""
        return self.days * _tail(self.level)


def historical_var_forecasts(returns, level: float, lookback: int) -> np.ndarray:
    """Historical VaR forecast for each next day from the previous ``lookback`` returns.

    Row ``t`` holds :math:`-Q_{1-\\alpha}(r_{t-L}, \\dots, r_{t-1})` (linear interpolation, as
    :func:`assets.metrics.var.value_at_risk`); NaN where the lookback is incomplete or has a NaN.
    Rolling quantiles come from polars (sorted-window algorithm, O(T log L) per column).
    """
    r, one = as_2d(returns)
    q = historical_var_forecasts_at(r, (level,), lookback)[level]
    return q[:, 0] if one else q


def historical_var_forecasts_at(returns, levels, lookback: int) -> dict[float, np.ndarray]:
    """:func:`historical_var_forecasts` of ``(T, K)`` returns at several levels in one polars pass."""
    r, _ = as_2d(returns)
    k = r.shape[1]
    frame = pl.from_numpy(r, schema=[f"c{j}" for j in range(k)]).fill_nan(None)
    exprs = [
        pl.all()
        .rolling_quantile(_tail(lvl), interpolation="linear", window_size=int(lookback))
        .shift(1)
        .name.suffix(f"_{i}")
        for i, lvl in enumerate(levels)
    ]
    q = np.asarray(frame.select(exprs).to_numpy(), dtype=np.float64)
    return {lvl: -q[:, i * k : (i + 1) * k] for i, lvl in enumerate(levels)}


def var_backtest(returns, level: float = 0.95, lookback: int = 365, forecast=None) -> BacktestResult:
    """Backtest historical VaR on every day that has a full ``lookback`` of returns before it.

    A breach is :math:`r_t < -\\mathrm{VaR}_t` with :math:`\\mathrm{VaR}_t` from
    :func:`historical_var_forecasts`; the breach count is tested with :func:`kupiec_test`.

    Parameters
    ----------
    returns : np.ndarray
        ``(T,)`` or ``(T, K)`` daily returns (NaN before a series exists).
    forecast : np.ndarray, optional
        The :func:`historical_var_forecasts` of ``returns`` when already computed.
    """
    r, _ = as_2d(returns)
    forecast = historical_var_forecasts(r, level, lookback) if forecast is None else as_2d(forecast)[0]
    valid = ~np.isnan(forecast) & ~np.isnan(r)
    with np.errstate(invalid="ignore"):
        breach = valid & (r < -forecast)
    days = valid.sum(axis=0)
    hits = breach.sum(axis=0)
    lr, p_value = kupiec_test(hits, days, level)
    return BacktestResult(level=level, lookback=int(lookback), days=days, breaches=hits, lr=lr, p_value=p_value)


def christoffersen_independence(hits, valid) -> tuple[np.ndarray, np.ndarray]:
    """Christoffersen (1998) test that breaches do not cluster (first-order Markov alternative).

    .. math:: LR_{ind} = -2 \\ln \\frac{(1-\\pi)^{n_{00}+n_{10}} \\pi^{n_{01}+n_{11}}}
              {(1-\\pi_{01})^{n_{00}} \\pi_{01}^{n_{01}} (1-\\pi_{11})^{n_{10}} \\pi_{11}^{n_{11}}}
              \\sim \\chi^2_1

    with :math:`n_{ij}` the days in state ``j`` after a day in state ``i`` (1 = breach) over
    consecutive test days, :math:`\\pi_{01} = n_{01} / (n_{00} + n_{01})`,
    :math:`\\pi_{11} = n_{11} / (n_{10} + n_{11})`, :math:`\\pi = (n_{01} + n_{11}) / \\sum n_{ij}`
    (:math:`0 \\ln 0 = 0`).

    Parameters
    ----------
    hits, valid : np.ndarray
        ``(T, K)`` booleans: breach on day t, and day t is a test day.

    Returns
    -------
    (lr, p_value) : ``(K,)`` each; NaN without a transition.
    """
    h = np.asarray(hits, dtype=bool)
    v = np.asarray(valid, dtype=bool)
    pair = v[1:] & v[:-1]
    prev, cur = h[:-1], h[1:]
    n00 = np.sum(pair & ~prev & ~cur, axis=0).astype(np.float64)
    n01 = np.sum(pair & ~prev & cur, axis=0).astype(np.float64)
    n10 = np.sum(pair & prev & ~cur, axis=0).astype(np.float64)
    n11 = np.sum(pair & prev & cur, axis=0).astype(np.float64)
    total = n00 + n01 + n10 + n11
    with np.errstate(divide="ignore", invalid="ignore"):
        pi = (n01 + n11) / total
        pi01 = n01 / np.maximum(n00 + n01, 1.0)
        pi11 = n11 / np.maximum(n10 + n11, 1.0)
        null = special.xlogy(n00 + n10, 1.0 - pi) + special.xlogy(n01 + n11, pi)
        alt = (
            special.xlogy(n00, 1.0 - pi01)
            + special.xlogy(n01, pi01)
            + special.xlogy(n10, 1.0 - pi11)
            + special.xlogy(n11, pi11)
        )
        lr = np.where(total > 0, np.maximum(-2.0 * (null - alt), 0.0), np.nan)
    return lr, stats.chi2.sf(lr, 1)


def traffic_light(breaches, days, level: float) -> np.ndarray:
    """Basel traffic-light zone of a breach count: the binomial probability of at most that many
    breaches under a correct model, green below 95%, yellow below 99.99%, red from there (at 99%
    VaR over 250 days: green 0-4, yellow 5-9, red 10 or more, the Basel Committee's table).

    Returns
    -------
    np.ndarray
        object ``(K,)``: "green", "yellow" or "red".
    """
    cdf = stats.binom.cdf(np.asarray(breaches), np.asarray(days), _tail(level))
    return np.where(cdf < TRAFFIC_LIGHT_YELLOW, "green", np.where(cdf < TRAFFIC_LIGHT_RED, "yellow", "red")).astype(
        object
    )


@dataclass(frozen=True)
class CoverageBacktest:
    """Out-of-sample VaR backtest of one model at one level, one value per series.

    Attributes
    ----------
    model : str
    level : float
    days, breaches : np.ndarray
        Test days (a forecast and a return) and breaches (:math:`r_t < -\\mathrm{VaR}_t`).
    kupiec_p, christoffersen_ind_p, conditional_coverage_p : np.ndarray
        p-values of Kupiec's unconditional coverage, Christoffersen's independence and their sum,
        the conditional coverage test (:math:`LR_{cc} = LR_{uc} + LR_{ind} \\sim \\chi^2_2`).
    light_breaches : np.ndarray
        Breaches over the last :data:`~assets.metrics.constants.TRAFFIC_LIGHT_DAYS` test days.
    traffic_light : np.ndarray
        object: the zone, None where there are fewer test days.
    reasons : np.ndarray
        object: None, or why the series has no test (too few test days, no forecasts).
    """

    model: str
    level: float
    days: np.ndarray
    breaches: np.ndarray
    kupiec_p: np.ndarray
    christoffersen_ind_p: np.ndarray
    conditional_coverage_p: np.ndarray
    light_breaches: np.ndarray
    traffic_light: np.ndarray
    reasons: np.ndarray

    def record(self, i: int) -> dict:
        """JSON-ready result of series ``i`` (nulls with ``null_reason`` when not testable)."""
        days = int(self.days[i])
        out = {"level": self.level, "days": days, "null_reason": self.reasons[i]}
        if self.reasons[i] is not None:
            keys = ("breaches", "expected_breaches", "kupiec_p", "christoffersen_ind_p", "conditional_coverage_p")
            return {**out, **dict.fromkeys(keys), "traffic_light": None, "traffic_light_breaches": None}
        num = lambda a: float(a[i]) if np.isfinite(a[i]) else None  # noqa: E731
        light = self.traffic_light[i]
        return {
            **out,
            "breaches": int(self.breaches[i]),
            "expected_breaches": days * _tail(self.level),
            "kupiec_p": num(self.kupiec_p),
            "christoffersen_ind_p": num(self.christoffersen_ind_p),
            "conditional_coverage_p": num(self.conditional_coverage_p),
            "traffic_light": light,
            "traffic_light_breaches": int(self.light_breaches[i]) if light is not None else None,
            "traffic_light_note": None
            if light is not None
            else f"needs {TRAFFIC_LIGHT_DAYS} test days, {days} available",
        }


def coverage_backtest(returns, forecasts, level: float, model: str, min_days: int, reasons=None) -> CoverageBacktest:
    """Backtest VaR ``forecasts`` (row t: the VaR for day t made with data before it) on ``returns``.

    Parameters
    ----------
    returns, forecasts : np.ndarray
        ``(T, K)``; NaN where a day has no return or no forecast (not a test day).
    min_days : int
        Fewest test days for the tests to be reported.
    reasons : np.ndarray, optional
        object ``(K,)``: why a series has no forecasts (said instead of the day count).
    """
    r, _ = as_2d(returns)
    f, _ = as_2d(forecasts)
    valid = np.isfinite(r) & np.isfinite(f)
    with np.errstate(invalid="ignore"):
        hits = valid & (r < -f)
    days = valid.sum(axis=0)
    breaches = hits.sum(axis=0)
    lr_uc, p_uc = kupiec_test(breaches, days, level)
    lr_ind, p_ind = christoffersen_independence(hits, valid)
    p_cc = stats.chi2.sf(lr_uc + lr_ind, 2)
    from_end = np.cumsum(valid[::-1], axis=0)[::-1]
    light_breaches = np.sum(hits & (from_end <= TRAFFIC_LIGHT_DAYS), axis=0)
    light = traffic_light(light_breaches, np.minimum(days, TRAFFIC_LIGHT_DAYS), level)
    light[days < TRAFFIC_LIGHT_DAYS] = None
    out = np.full(r.shape[1], None, dtype=object) if reasons is None else np.array(reasons, dtype=object)
    short = (days < min_days) & (out == None)  # noqa: E711
    out[short] = [f"needs {min_days} test days, {d} available" for d in days[short]]
    out[(out != None) & (days >= min_days)] = None  # noqa: E711 - enough forecasts after all
    reasons = out
    return CoverageBacktest(model, level, days, breaches, p_uc, p_ind, p_cc, light_breaches, light, reasons)
