"""Portfolio-level results against independent computations: contributions, backtest, stress, score."""

from __future__ import annotations

import empyrical as ep
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from assets import metrics as m
from assets.metrics import PriceMatrix, analyze, risk_report
from tests.metrics.series import close_prices

A = 365


@pytest.fixture(scope="module")
def real(shared_data):
    symbols, dates, prices = close_prices(shared_data / "prices" / "cmc_2017_2021_close.csv")
    return PriceMatrix.build(dates, symbols, prices)


def test_portfolio_metrics_equal_empyrical_on_value_series(real):
    holdings = {"BTC": 0.5, "ETH": 10.0, "XEM": 20000.0}
    rf_annual = 0.05
    report = risk_report(real, holdings, window=365, risk_free_annual=rf_annual)
    q = np.array([holdings.get(s, 0.0) for s in real.symbols])
    value = real.values @ q  # independent: plain matrix product, no NaN in this file
    r = ep.simple_returns(value)[-365:]
    rf = (1 + rf_annual) ** (1 / 365) - 1
    btc = ep.simple_returns(real.values[:, real.symbols.index("BTC")])[-365:]
    market = np.mean(ep.simple_returns(real.values), axis=1)[-365:]
    p = report["portfolio"]
    assert p["sharpe"] == pytest.approx(ep.sharpe_ratio(r, risk_free=rf, annualization=A), rel=1e-9)
    assert p["sortino"] == pytest.approx(ep.sortino_ratio(r, required_return=rf, annualization=A), rel=1e-9)
    assert p["max_drawdown"] == pytest.approx(ep.max_drawdown(r), rel=1e-9)
    assert p["var_99"] == pytest.approx(-ep.value_at_risk(r, 0.01), rel=1e-9)
    assert p["es_95"] == pytest.approx(-ep.conditional_value_at_risk(r, 0.05), rel=1e-9)
    assert p["beta_btc"] == pytest.approx(ep.beta(r, btc), rel=1e-9)
    assert p["beta_market"] == pytest.approx(ep.beta(r, market), rel=1e-9)
    mu, sd = r.mean(), r.std(ddof=1)
    assert p["var_95_parametric"] == pytest.approx(-(mu + stats.norm.ppf(0.05) * sd), rel=1e-9)
    s, k = stats.skew(r), stats.kurtosis(r)
    z = stats.norm.ppf(0.01)
    zcf = z + (z**2 - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s**2 / 36
    assert p["var_99_cornish_fisher"] == pytest.approx(-(mu + zcf * sd), rel=1e-9)
    w = q * real.values[-1] / (q * real.values[-1]).sum()
    assert p["hhi"] == pytest.approx((w**2).sum(), rel=1e-12)
    # Correlation = numpy's Pearson on the same window.
    corr = np.array(report["correlation"]["matrix"], dtype=float)
    np.testing.assert_allclose(corr, np.corrcoef(ep.simple_returns(real.values)[-365:].T), rtol=1e-9, atol=1e-12)


def test_contributions_add_up(real):
    q = np.zeros(len(real.symbols))
    q[[0, 1, 5]] = [1.0, 20.0, 1e5]
    a = analyze(real, q, window=365)
    r = ep.simple_returns(real.values)[-365:]
    w = a.weights[0]
    cov = np.cov(r.T, ddof=1)
    sigma = np.sqrt(w @ cov @ w)
    assert a.volatility_contribution[0].sum() == pytest.approx(sigma * np.sqrt(A), rel=1e-9)
    fixed_weight_returns = r @ w
    expected_var = -(fixed_weight_returns.mean() + stats.norm.ppf(0.05) * fixed_weight_returns.std(ddof=1))
    assert a.component_var_95[0].sum() == pytest.approx(expected_var, rel=1e-9)
    assert (a.volatility_contribution[0][q == 0] == 0).all()


def test_backtest_matches_a_day_by_day_empyrical_loop(real):
    q = np.zeros(len(real.symbols))
    q[[0, 2]] = [1.0, 5000.0]
    lookback = 250
    a = analyze(real, q, window=lookback)
    r = ep.simple_returns(real.values @ q)
    for level, cutoff in ((0.95, 0.05), (0.99, 0.01)):
        breaches = sum(r[t] < ep.value_at_risk(r[t - lookback : t], cutoff) for t in range(lookback, len(r)))
        days = len(r) - lookback
        bt = a.backtests[level]
        assert int(bt.days[0]) == days and int(bt.breaches[0]) == breaches
        p = 1 - level
        x, t = breaches, days
        lr = -2 * ((t - x) * np.log(1 - p) + x * np.log(p) - (t - x) * np.log(1 - x / t) - x * np.log(x / t))
        assert bt.lr[0] == pytest.approx(lr, rel=1e-9)
        assert bt.p_value[0] == pytest.approx(stats.chi2.sf(lr, 1), rel=1e-9)


def test_kupiec_edge_cases():
    lr, pv = m.kupiec_test([0, 5, 50], [100, 100, 100], 0.95)
    assert lr[0] == pytest.approx(-2 * 100 * np.log(0.95))  # no breaches: 0 ln 0 = 0
    assert lr[1] == pytest.approx(0.0, abs=1e-12) and pv[1] == pytest.approx(1.0)
    assert pv[2] < 1e-10


def test_stress_scenarios(real):
    btc_only = risk_report(real, {"BTC": 2.0})["portfolio"]["stress"]
    assert btc_only["btc_-30pct"]["portfolio_return"] == pytest.approx(-0.30)
    assert btc_only["stablecoin_depeg"]["portfolio_return"] == 0.0
    d = {str(x): i for i, x in enumerate(real.dates)}
    a, b = d["2020-03-08"], d["2020-03-16"]
    eth_btc = {"BTC": 1.0, "ETH": 30.0}
    report = risk_report(real, eth_btc)
    p = real.values
    vals = [eth_btc[s] * p[:, real.symbols.index(s)] for s in eth_btc]
    before, after = sum(v[a] for v in vals), sum(v[b] for v in vals)
    w_now = {s: eth_btc[s] * p[-1, real.symbols.index(s)] for s in eth_btc}
    total = sum(w_now.values())
    moves = {s: p[b, real.symbols.index(s)] / p[a, real.symbols.index(s)] - 1 for s in eth_btc}
    covid = report["portfolio"]["stress"]["covid_crash_2020"]
    assert covid["portfolio_return"] == pytest.approx(sum(w_now[s] / total * moves[s] for s in eth_btc), rel=1e-12)
    assert before > 0 and after > 0
    eth_beta = report["assets"]["ETH"]["beta_btc"]
    assert report["portfolio"]["stress"]["btc_-30pct"]["asset_moves"]["ETH"] == pytest.approx(-0.3 * eth_beta)
    ftx = report["portfolio"]["stress"]["ftx_collapse_2022"]
    assert ftx["portfolio_return"] is None and "do not cover" in ftx["null_reason"]
    worst = report["portfolio"]["stress"]["worst_7d_in_history"]
    value = sum(vals)
    assert worst["portfolio_return"] == pytest.approx(np.min(value[7:] / value[:-7] - 1), rel=1e-12)


def test_stablecoin_depeg_on_a_stablecoin():
    pm = PriceMatrix.build(
        np.arange(400) + np.datetime64("2021-01-01"),
        ["BTC", "USDC"],
        np.column_stack([np.linspace(30000, 40000, 400), np.ones(400)]),
    )
    s = m.stablecoin_depeg(pm.symbols)
    assert m.apply_scenario(s, np.array([0.25, 0.75])) == pytest.approx(0.75 * -0.12)


# --- risk score -------------------------------------------------------------------------------


def _kaggle(shared_data, name: str, symbol: str) -> PriceMatrix:
    df = pl.read_csv(shared_data / "prices" / "kaggle_coinmarketcap_2021" / f"coin_{name}.csv")
    dates = df["Date"].str.slice(0, 10).str.to_date().to_numpy()
    return PriceMatrix.build(dates, [symbol], df["Close"].to_numpy()[:, None])


def test_stablecoin_scores_at_the_bottom_and_small_cap_near_the_top(shared_data):
    usdt = risk_report(_kaggle(shared_data, "Tether", "USDT"), {"USDT": 1e6}, benchmark="USDT")
    usdc = risk_report(_kaggle(shared_data, "USDCoin", "USDC"), {"USDC": 1e6}, benchmark="USDC")
    xem = risk_report(_kaggle(shared_data, "NEM", "XEM"), {"XEM": 1e6}, benchmark="XEM")
    btc = risk_report(_kaggle(shared_data, "Bitcoin", "BTC"), {"BTC": 1.0})
    assert usdt["portfolio"]["risk_score"] <= 1.5 and usdc["portfolio"]["risk_score"] <= 1.5
    assert xem["portfolio"]["risk_score"] >= 9.0
    assert usdt["portfolio"]["risk_score"] < btc["portfolio"]["risk_score"] < xem["portfolio"]["risk_score"]
    comps = btc["portfolio"]["risk_score_components"]
    assert sum(c["points"] for c in comps.values()) + 1 == pytest.approx(btc["portfolio"]["risk_score"], abs=0.006)
    assert list(comps) == sorted(comps, key=lambda k: -comps[k]["points"])


score_inputs = st.tuples(st.floats(0, 3), st.floats(-1, 0), st.floats(0, 0.6), st.floats(0.01, 1))


@settings(max_examples=200, deadline=None)
@given(score_inputs, st.floats(0, 2), st.integers(0, 3))
def test_score_is_monotone(base, bump, which):
    """More volatility, a deeper drawdown, a fatter tail or more concentration never lower the score."""
    vol, mdd, es, hhi = base
    worse = [vol, mdd, es, hhi]
    if which == 0:
        worse[0] = vol + bump
    elif which == 1:
        worse[1] = max(mdd - bump, -1.0)
    elif which == 2:
        worse[2] = es + bump
    else:
        worse[3] = min(hhi + bump, 1.0)
    s0 = m.risk_score(vol, mdd, es, hhi).score[0]
    s1 = m.risk_score(*worse).score[0]
    assert 1.0 <= s0 <= s1 + 1e-12 and s1 <= 10.0
