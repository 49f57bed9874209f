"""``crypto-risk bench risk``: the full risk metric set for many portfolios vs empyrical per portfolio.

Ours: one :func:`assets.metrics.analyze` call over every portfolio at once (asset metrics, portfolio
metrics, HHI, risk score, correlation, volatility and component-VaR contributions, VaR backtests
with Kupiec tests, stress scenarios, rolling 30/90/365-day volatility history): ``seconds``, the
set before the risk models. ``extended_seconds`` is the same call with ``models=True``: EWMA,
GARCH(1,1)-t, FHS and Monte Carlo VaR / ES, their backtests (Kupiec, Christoffersen, traffic
light), Calmar / Ulcer / Omega, drawdown duration, tail dependence, Spearman and the correlation
regime, for assets and portfolios (target < 3 s at 1,000 x 50 x 3 years). Each is the median of
``--repeat`` runs.
Reference: the same per portfolio, the way one would with empyrical-reloaded (its functions where it
has them, a day-by-day ``empyrical.value_at_risk`` loop for the backtest, scipy/numpy for the rest),
timed on ``--sample`` portfolios and scaled to all of them. Shared asset-level work is counted once.
Also reported: the empyrical-defined subset alone (annual volatility 30/90/365 days, Sharpe,
Sortino, max drawdown, VaR and CVaR 95/99, betas to BTC and the market), ours vs empyrical's, like
for like: the same metrics from the same prices and holdings (target >= 20x).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from scipy import stats


def _universe(n_assets: int, days: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vols = rng.uniform(0.02, 0.08, n_assets)
    betas = rng.uniform(0.5, 1.5, n_assets)
    market = rng.standard_t(4, days - 1) * 0.025
    r = betas * market[:, None] + rng.standard_t(4, (days - 1, n_assets)) * vols * 0.7
    prices = np.vstack([np.ones(n_assets), np.cumprod(1 + np.clip(r, -0.9, None), axis=0)]) * rng.uniform(
        0.1, 1e4, n_assets
    )
    dates = np.datetime64("2021-01-01") + np.arange(days)
    return dates, prices


def _holdings(n_portfolios: int, prices: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    n = prices.shape[1]
    held = rng.random((n_portfolios, n)) < rng.uniform(0.1, 1.0, (n_portfolios, 1))
    held[np.arange(n_portfolios), rng.integers(0, n, n_portfolios)] = True
    value = rng.uniform(1e3, 1e6, (n_portfolios, n))
    return np.where(held, value / prices[-1], 0.0)


def _reference_portfolio(ep, prices, q, btc, market, window, rf, full=True) -> None:
    value = prices @ q
    r = ep.simple_returns(value)
    rw = r[-window:]
    for w in (30, 90, 365):
        ep.annual_volatility(r[-w:], annualization=365)
    ep.sharpe_ratio(rw, risk_free=rf, annualization=365)
    ep.sortino_ratio(rw, required_return=rf, annualization=365)
    ep.max_drawdown(rw)
    for cutoff in (0.05, 0.01):
        ep.value_at_risk(rw, cutoff)
        ep.conditional_value_at_risk(rw, cutoff)
    ep.beta(rw, btc[-window:])
    ep.beta(rw, market[-window:])
    if not full:
        return
    for w in (30, 90, 365):
        ep.roll_annual_volatility(r, w, annualization=365)
    mu, sd = rw.mean(), rw.std(ddof=1)
    s, k = stats.skew(rw), stats.kurtosis(rw)
    for p in (0.05, 0.01):
        z = stats.norm.ppf(p)
        _ = -(mu + z * sd)
        _ = -(mu + (z + (z**2 - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s**2 / 36) * sd)
    dd = ep.stats.drawdown_series(rw)
    np.min(dd)
    w_now = q * prices[-1] / (q * prices[-1]).sum()
    np.sum(w_now**2)
    asset_r = ep.simple_returns(prices[-window - 1 :])
    cov = np.cov(asset_r.T)
    sigma = np.sqrt(w_now @ cov @ w_now)
    _ = w_now * (cov @ w_now) / sigma
    for cutoff in (0.05, 0.01):
        breaches = sum(r[t] < ep.value_at_risk(r[t - window : t], cutoff) for t in range(window, len(r)))
        x, t_days = breaches, len(r) - window
        lr = -2 * (stats.binom.logpmf(x, t_days, cutoff) - stats.binom.logpmf(x, t_days, max(x, 1e-12) / t_days))
        stats.chi2.sf(lr, 1)
    for d in (7, 30):
        np.min(value[d:] / value[:-d] - 1)


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="crypto-risk bench risk", description=__doc__)
    parser.add_argument("--portfolios", type=int, default=1000)
    parser.add_argument("--assets", type=int, default=50)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--window", type=int, default=365)
    parser.add_argument("--sample", type=int, default=20, help="portfolios timed with the reference library")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours; medians are reported")
    args = parser.parse_args(argv)

    import empyrical as ep

    from assets.metrics import PriceMatrix, analyze
    from assets.metrics.engine import EMPYRICAL_KEYS, Benchmark, series_metrics
    from assets.metrics.returns import market_index_returns, portfolio_values, simple_returns

    days = int(round(args.years * 365)) + 1
    dates, prices = _universe(args.assets, days, args.seed)
    q = _holdings(args.portfolios, prices, args.seed)
    symbols = ["BTC", *(f"A{i:03d}" for i in range(1, args.assets))]
    rf_annual = 0.03
    rf = (1 + rf_annual) ** (1 / 365) - 1

    # Ours: everything, all portfolios at once (validation of the price matrix included).
    analyze(PriceMatrix.build(dates[:400], symbols, prices[:400]), q[:2], window=min(args.window, 300), models=True)

    def full(models: bool) -> float:
        t0 = time.perf_counter()
        pm = PriceMatrix.build(dates, symbols, prices)
        result = analyze(pm, q, window=args.window, risk_free_annual=rf_annual, history=True, models=models)
        result.portfolios.records()
        return time.perf_counter() - t0

    seconds = statistics.median(full(False) for _ in range(args.repeat))
    extended_seconds = statistics.median(full(True) for _ in range(args.repeat))

    # Ours, the empyrical-defined subset only (like for like with the subset reference below).
    def subset() -> float:
        t0 = time.perf_counter()
        ar = simple_returns(prices)
        pr = simple_returns(portfolio_values(prices, q))
        series_metrics(
            pr,
            dates[1:],
            [str(i) for i in range(len(q))],
            window=args.window,
            risk_free=rf,
            btc=Benchmark("BTC", ar[:, 0]),
            market=Benchmark("market", market_index_returns(ar)),
            keys=EMPYRICAL_KEYS,
        )
        return time.perf_counter() - t0

    subset_seconds = statistics.median(subset() for _ in range(max(args.repeat, 5)))
    ar = simple_returns(prices)
    btc, market = ar[:, 0], market_index_returns(ar)

    sample = np.random.default_rng(args.seed).choice(len(q), size=min(args.sample, len(q)), replace=False)
    t0 = time.perf_counter()
    for j in range(args.assets):  # asset-level metrics and correlation: shared, counted once
        _reference_portfolio(ep, prices[:, [j]], np.ones(1), btc, market, args.window, rf, full=False)
    np.corrcoef(ar[-args.window :].T)
    shared_ref = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in sample:
        _reference_portfolio(ep, prices, q[i], btc, market, args.window, rf, full=True)
    per_portfolio = (time.perf_counter() - t0) / len(sample)
    def reference_subset() -> float:
        t0 = time.perf_counter()
        for i in sample:
            _reference_portfolio(ep, prices, q[i], btc, market, args.window, rf, full=False)
        return (time.perf_counter() - t0) / len(sample)

    per_portfolio_subset = statistics.median(reference_subset() for _ in range(args.repeat))

    reference_seconds = shared_ref + per_portfolio * len(q)
    return {
        "portfolios": len(q),
        "assets": args.assets,
        "days": days,
        "window": args.window,
        "repeat": args.repeat,
        "seconds": round(seconds, 4),
        "extended_seconds": round(extended_seconds, 4),
        "extended_target_seconds": 3.0,
        "reference_seconds": round(reference_seconds, 3),
        "reference_seconds_per_portfolio": round(per_portfolio, 6),
        "reference_sample": len(sample),
        "speedup_vs_reference": round(reference_seconds / seconds, 1),
        "empyrical_subset_seconds": round(subset_seconds, 4),
        "empyrical_subset_reference_seconds": round(per_portfolio_subset * len(q), 3),
        "empyrical_subset_speedup": round(per_portfolio_subset * len(q) / subset_seconds, 1),
        "empyrical_subset_target_speedup": 20.0,
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(main(sys.argv[1:])))
