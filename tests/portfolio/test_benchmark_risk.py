"""Benchmark figures and ex-post risk against numpy computations written in the test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assets.portfolio.lib import pnl_statement
from tests.portfolio.support import numbered, prices, tx


def _paths(n: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    btc = 100 * np.exp(np.cumsum(rng.normal(0.002, 0.03, n)))
    eth = 10 * np.exp(np.cumsum(rng.normal(0.0, 0.05, n)))
    return btc, eth


def test_half_in_cash_against_btc():
    """Day 0 of the price file is the day before the ledger: the benchmark has its first return."""
    btc, eth = _paths(200)
    pm = prices({"BTC": btc, "ETH": eth})
    records = numbered(tx(1, "deposit", "USD", 2 * btc[1]), tx(1, "buy", "BTC", 1, btc[1]))
    p = pnl_statement(records, pm)["portfolio"]
    value = btc[1:] + btc[1]  # 1 BTC plus its price in cash, from the ledger's first day
    rp = np.concatenate([[0.0], value[1:] / value[:-1] - 1])  # day 1 bought at its close: 0
    rb = btc[1:] / btc[:-1] - 1
    active = rp - rb
    te = np.std(active, ddof=1) * math.sqrt(365)
    bench = p["benchmark"]
    assert bench["symbol"] == "BTC"
    assert bench["twr_all"] == pytest.approx(btc[-1] / btc[0] - 1, rel=1e-10)
    assert p["twr"]["all"] == pytest.approx(value[-1] / value[0] - 1, rel=1e-10)
    assert bench["excess_return"] == pytest.approx((value[-1] / value[0]) - (btc[-1] / btc[0]), rel=1e-10)
    assert bench["tracking_error"] == pytest.approx(te, rel=1e-10)
    assert bench["information_ratio"] == pytest.approx(np.mean(active) * 365 / te, rel=1e-10)
    up, down = rb > 0, rb < 0
    geo = lambda r: np.prod(1 + r) ** (1 / len(r)) - 1  # noqa: E731
    assert bench["up_capture"] == pytest.approx(geo(rp[up]) / geo(rb[up]), rel=1e-10)
    assert bench["down_capture"] == pytest.approx(geo(rp[down]) / geo(rb[down]), rel=1e-10)
    assert 0 < bench["up_capture"] < 1  # half in cash captures about half of the moves


def test_holding_the_benchmark_tracks_it_exactly():
    """Bought on day 1 at the opening price (day 0's close): every daily return is BTC's."""
    btc, _ = _paths(50)
    p = pnl_statement(numbered(tx(1, "buy", "BTC", 2, btc[0])), prices({"BTC": btc}))["portfolio"]
    b = p["benchmark"]
    assert b["excess_return"] == pytest.approx(0.0, abs=1e-12)
    assert b["tracking_error"] == pytest.approx(0.0, abs=1e-12)
    assert b["up_capture"] == pytest.approx(1.0) and b["down_capture"] == pytest.approx(1.0)
    assert b["information_ratio"] is None
    assert "tracks the benchmark exactly" in p["null_reasons"]["benchmark.information_ratio"]


def test_a_benchmark_without_the_close_before_the_first_day_is_null():
    btc, _ = _paths(20)
    p = pnl_statement(numbered(tx(0, "buy", "BTC", 2, btc[0])), prices({"BTC": btc}))["portfolio"]
    assert p["benchmark"]["twr_all"] is None and p["benchmark"]["twr"]["1d"] is not None
    assert "no BTC close on 2023-12-31" in p["null_reasons"]["benchmark.twr_all"]


def test_market_benchmark_is_the_equal_weighted_index():
    btc, eth = _paths(120, seed=5)
    pm = prices({"BTC": btc, "ETH": eth})
    p = pnl_statement(numbered(tx(1, "buy", "ETH", 3, eth[1])), pm, benchmark="MARKET")["portfolio"]
    r = np.column_stack([btc[1:] / btc[:-1] - 1, eth[1:] / eth[:-1] - 1])
    assert p["benchmark"]["symbol"] == "MARKET"
    assert p["benchmark"]["twr_all"] == pytest.approx(np.prod(1 + r.mean(axis=1)) - 1, rel=1e-10)


def test_unknown_benchmark_is_null_with_the_reason():
    btc, _ = _paths(20)
    p = pnl_statement(numbered(tx(1, "buy", "BTC", 1, btc[1])), prices({"BTC": btc}), benchmark="DOGE")["portfolio"]
    assert p["benchmark"]["excess_return"] is None
    assert "no DOGE column" in p["null_reasons"]["benchmark.excess_return"]


def test_ex_post_drawdown_is_on_the_time_weighted_index_not_on_account_value():
    """100 -> 120 -> 90 -> 60 -> 130: a 50% fall from day 1's peak, trough day 3, recovered day 4
    (2 days spent below the peak).

    A large withdrawal on day 2 halves the account's value; the index does not see it.
    """
    btc = np.array([100.0, 120.0, 90.0, 60.0, 130.0])
    records = numbered(
        tx(0, "buy", "BTC", 2, 100.0),
        tx(2, "sell", "BTC", 1, 90.0),
        tx(2, "withdrawal", "USD", 90.0),
    )
    p = pnl_statement(records, prices({"BTC": btc}))["portfolio"]
    risk = p["ex_post_risk"]["all"]
    r = np.concatenate([[0.0], btc[1:] / btc[:-1] - 1])
    assert risk["max_drawdown"] == pytest.approx(60 / 120 - 1)
    assert (risk["peak"], risk["trough"], risk["recovery"]) == ("2024-01-02", "2024-01-04", "2024-01-05")
    assert risk["drawdown_days"] == 2 and risk["longest_drawdown_days"] == 2
    assert risk["volatility"] == pytest.approx(np.std(r, ddof=1) * math.sqrt(365), rel=1e-12)
    assert "external flows removed" in p["ex_post_risk"]["measures"]
    assert p["ex_post_risk"]["1y"] is None and "ex_post_risk.1y" in p["null_reasons"]


def test_still_under_water_has_no_recovery_date_and_says_so():
    btc = np.array([100.0, 120.0, 90.0, 100.0])
    p = pnl_statement(numbered(tx(0, "buy", "BTC", 1, 100.0)), prices({"BTC": btc}))["portfolio"]
    risk = p["ex_post_risk"]["all"]
    assert risk["recovery"] is None and risk["drawdown_days"] == 2  # peak on day 1: days 2 and 3 below it
    assert p["null_reasons"]["ex_post_risk.all.recovery"] == "still under water on the last day (2024-01-04)"
