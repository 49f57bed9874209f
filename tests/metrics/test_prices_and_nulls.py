"""Bad prices are rejected naming column and date; uncomputable metrics are null with a reason."""

from __future__ import annotations

import numpy as np
import pytest

from assets.metrics import PriceDataError, PriceMatrix, analyze, risk_report


def dates(n: int) -> np.ndarray:
    return np.arange(np.datetime64("2021-01-01"), np.datetime64("2021-01-01") + n)


def walk(n: int, k: int, seed: int = 1, vol: float = 0.03) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100 * np.cumprod(1 + rng.normal(0.0005, vol, (n, k)), axis=0)


@pytest.mark.parametrize(
    ("value", "row", "words"),
    [
        (np.nan, 5, "missing (NaN) price"),
        (np.inf, 7, "infinite price"),
        (0.0, 3, "non-positive"),
        (-2.0, 9, "non-positive"),
    ],
)
def test_bad_price_names_column_and_date(value, row, words):
    p = walk(20, 3)
    p[row, 1] = value
    with pytest.raises(PriceDataError) as err:
        PriceMatrix.build(dates(20), ["BTC", "ETH", "SOL"], p)
    assert err.value.column == "ETH"
    assert str(dates(20)[row]) in str(err.value) and "ETH" in str(err.value) and words in str(err.value)


def test_unordered_dates_and_duplicate_symbols_are_rejected():
    d = dates(5)[[0, 1, 3, 2, 4]]
    with pytest.raises(PriceDataError, match="strictly increasing"):
        PriceMatrix.build(d, ["A"], walk(5, 1))
    with pytest.raises(PriceDataError, match="more than once"):
        PriceMatrix.build(dates(5), ["A", "A"], walk(5, 2))


def test_leading_nan_is_a_listing_not_an_error():
    p = walk(500, 2)
    p[:300, 1] = np.nan
    pm = PriceMatrix.build(dates(500), ["BTC", "NEW"], p)
    assert pm.first_valid.tolist() == [0, 300]
    report = risk_report(pm, {"BTC": 1.0, "NEW": 5.0}, window=365)
    new = report["assets"]["NEW"]
    assert new["sharpe"] is None and new["var_95"] is None
    assert "started trading on 2021-10-28" in new["null_reasons"]["sharpe"]
    assert "365-day window" in new["null_reasons"]["sharpe"]
    # The 30- and 90-day volatilities lie after the listing and are computed.
    assert new["volatility_30d"] is not None and new["volatility_90d"] is not None
    port = report["portfolio"]
    assert port["sharpe"] is None and "holding NEW started trading on 2021-10-28" in port["null_reasons"]["sharpe"]
    assert port["risk_score"] is None and "volatility is null" in port["null_reasons"]["risk_score"]
    assert port["contributions"]["null_reason"].startswith("holding(s) NEW")
    # BTC alone is unaffected, and the correlation row of NEW is null.
    assert report["assets"]["BTC"]["sharpe"] is not None
    assert report["correlation"]["matrix"][1] == [None, None]


def test_too_few_observations_give_reasons():
    pm = PriceMatrix.build(dates(60), ["BTC", "ETH"], walk(60, 2))
    report = risk_report(pm, {"BTC": 1.0}, window=365)
    btc = report["assets"]["BTC"]
    assert btc["volatility_30d"] is not None
    assert (
        btc["volatility_90d"] is None
        and btc["null_reasons"]["volatility_90d"] == "needs 90 daily returns, 59 available"
    )
    assert btc["sharpe"] is None and "needs 365 daily returns" in btc["null_reasons"]["sharpe"]
    assert report["portfolio"]["var_backtest"]["var_95"]["breaches"] is None


def test_zero_variance_gives_reasons_not_infinities():
    p = walk(400, 2)
    p[:, 1] = 1.0  # a perfectly pegged coin
    pm = PriceMatrix.build(dates(400), ["BTC", "PEG"], p)
    report = risk_report(pm, {"PEG": 1000.0}, window=365)
    peg = report["assets"]["PEG"]
    assert peg["volatility_365d"] == 0.0 and peg["max_drawdown"] == 0.0 and peg["var_95"] == 0.0
    assert peg["sharpe"] is None and "zero variance" in peg["null_reasons"]["sharpe"]
    assert peg["sortino"] is None and "no return below" in peg["null_reasons"]["sortino"]
    assert peg["beta_btc"] == 0.0  # a constant asset has zero beta; its own variance is not the divisor
    assert report["portfolio"]["risk_score"] == 1.0
    assert report["correlation"]["matrix"][1][1] is None


def test_constant_benchmark_nulls_every_beta():
    p = walk(400, 2)
    p[:, 0] = 5.0
    report = risk_report(PriceMatrix.build(dates(400), ["BTC", "ETH"], p), {"ETH": 1.0})
    assert report["assets"]["ETH"]["beta_btc"] is None
    assert "benchmark BTC has zero variance" in report["assets"]["ETH"]["null_reasons"]["beta_btc"]


def test_quantities_are_validated():
    pm = PriceMatrix.build(dates(40), ["BTC"], walk(40, 1))
    with pytest.raises(ValueError, match=">= 0"):
        analyze(pm, [-1.0], window=30)
    with pytest.raises(KeyError, match="unknown symbol 'DOGE'"):
        risk_report(pm, {"DOGE": 1.0}, window=30)
