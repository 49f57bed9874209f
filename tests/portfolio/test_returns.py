"""Returns against independent computations: XIRR by scipy root-finding on the flows written here,
time-weighted returns of fully invested ledgers (= the asset's price return, whatever the flows)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy.optimize import brentq

from assets.portfolio.lib import Kind, Transaction, pnl_statement, xirr
from tests.portfolio.support import START, numbered, prices, tx


def _path(n: int, seed: int = 3, start: float = 100.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return start * np.exp(np.cumsum(rng.normal(0.001, 0.03, n)))


def test_money_weighted_return_equals_scipy_root_of_the_cash_flows():
    """Deposits on day 0 and 100 (start of day), a withdrawal at the end of day 250, value on day 500.

    Day 100's deposit buys at the day's opening price (the previous close), so the ledger stays
    fully invested and its time-weighted return is BTC's own.
    """
    btc = _path(501)
    records = numbered(
        tx(0, "deposit", "USD", 1000.0),
        tx(0, "buy", "BTC", 1000.0 / btc[0], btc[0]),
        tx(100, "deposit", "USD", 500.0),
        tx(100, "buy", "BTC", 500.0 / btc[99], btc[99]),
        tx(250, "sell", "BTC", 300.0 / btc[250], btc[250]),
        tx(250, "withdrawal", "USD", 300.0),
    )
    doc = pnl_statement(records, prices({"BTC": btc}))
    held = 1000.0 / btc[0] + 500.0 / btc[99] - 300.0 / btc[250]
    final = held * btc[500]
    # The investor's flows, in days from the start of day 0 (the documented day-boundary convention).
    flows = [(-1000.0, 0), (-500.0, 100), (300.0, 251), (final, 501)]

    def npv(rate: float) -> float:
        return sum(c / (1.0 + rate) ** (t / 365.0) for c, t in flows)

    irr = brentq(npv, -0.99, 100.0)
    p = doc["portfolio"]
    assert p["market_value"] == pytest.approx(final, rel=1e-12)
    assert p["mwr_annualized"] == pytest.approx(irr, rel=1e-8)
    assert p["mwr"]["all"] == pytest.approx((1 + irr) ** (501 / 365) - 1, rel=1e-8)
    # Fully invested at the closes: the time-weighted return is BTC's own, the flows do not matter.
    assert p["twr"]["all"] == pytest.approx(btc[500] / btc[0] - 1, rel=1e-10)
    assert p["twr"]["1y"] == pytest.approx(btc[500] / btc[500 - 365] - 1, rel=1e-10)
    assert p["twr"]["30d"] == pytest.approx(btc[500] / btc[470] - 1, rel=1e-10)
    assert p["twr_annualized"]["all"] == pytest.approx((btc[500] / btc[0]) ** (365 / 501) - 1, rel=1e-10)


def test_xirr_on_its_own_against_scipy():
    amounts, times = [-100.0, -50.0, 20.0, 170.0], [0.0, 30.0, 200.0, 400.0]

    def npv(rate):
        return sum(c / (1 + rate) ** (t / 365) for c, t in zip(amounts, times, strict=True))

    growth, reason = xirr(amounts, times, 400.0)
    assert reason is None
    assert growth == pytest.approx((1 + brentq(npv, -0.9, 10)) ** (400 / 365) - 1, rel=1e-10)
    nan, why = xirr([-100.0, -5.0], [0.0, 10.0], 10.0)
    assert np.isnan(nan) and "never change sign" in why


def test_intraday_gain_of_the_first_day_counts():
    """Bought below the close: the first day's return is close / price paid (fee included)."""
    pm = prices({"ETH": [110.0, 121.0]})
    p = pnl_statement(numbered(tx(0, "buy", "ETH", 1, 100.0, fee=0.0)), pm)["portfolio"]
    assert p["twr"]["all"] == pytest.approx(121.0 / 100.0 - 1)
    assert p["twr"]["1d"] == pytest.approx(121.0 / 110.0 - 1)
    assert p["simple_return"]["all"] == pytest.approx(0.21) and p["mwr"]["all"] == pytest.approx(0.21)


def test_partially_invested_twr_links_daily_returns_of_value():
    """Half in cash: each day's return is the value change; a deposit mid-way is neutral."""
    btc = np.array([100.0, 110.0, 99.0, 120.0, 126.0])
    records = numbered(
        tx(0, "deposit", "USD", 200.0),
        tx(0, "buy", "BTC", 1, 100.0),
        tx(2, "deposit", "USD", 1000.0),  # cash joins at the start of day 2: no gain, no loss
    )
    p = pnl_statement(records, prices({"BTC": btc}))["portfolio"]
    v = np.array([200.0, 210.0, 199.0, 220.0, 226.0])  # without the deposit
    by_day = [
        v[0] / 200,
        v[1] / v[0],
        (1000 + v[2]) / (v[1] + 1000),
        (1000 + v[3]) / (1000 + v[2]),
        (1000 + v[4]) / (1000 + v[3]),
    ]
    assert p["twr"]["all"] == pytest.approx(np.prod(by_day) - 1, rel=1e-12)


def test_annualized_only_over_a_year_and_periods_before_the_ledger_are_null():
    pm = prices({"BTC": _path(100)})
    p = pnl_statement(numbered(tx(0, "buy", "BTC", 1, float(_path(100)[0]))), pm)["portfolio"]
    assert p["twr_annualized"]["all"] is None and p["mwr_annualized"] is None
    assert "covers 100 days, not over a year" in p["null_reasons"]["twr_annualized.all"]
    assert p["twr"]["1y"] is None and p["twr"]["90d"] is not None
    assert p["null_reasons"]["twr.1y"] == "the ledger starts on 2024-01-01, after the period's first day 2023-04-11"
    assert p["periods"]["90d"] == {"start": "2024-01-11", "days": 90}
    assert p["benchmark"]["twr"]["1y"] is None and "benchmark.twr.1y" in p["null_reasons"]


def test_ytd_starts_on_january_first():
    start = dt.date(2023, 12, 1)
    btc = _path(60)
    pm = prices({"BTC": btc}, start=start)
    records = [tx(-31, "buy", "BTC", 1, float(btc[0]))]  # 2023-12-01
    p = pnl_statement(records, pm)["portfolio"]
    as_of = start + dt.timedelta(days=59)
    jan1 = (dt.date(as_of.year, 1, 1) - start).days
    assert p["periods"]["ytd"]["start"] == f"{as_of.year}-01-01"
    assert p["twr"]["ytd"] == pytest.approx(btc[-1] / btc[jan1 - 1] - 1, rel=1e-12)
    assert START == dt.date(2024, 1, 1)


def test_value_from_nothing_has_no_return():
    """An airdrop into an empty portfolio: that day has no base, so TWR is null, saying why."""
    pm = prices({"NEW": [1.0, 2.0, 3.0]})
    p = pnl_statement(numbered(tx(1, "airdrop", "NEW", 10.0)), pm)["portfolio"]
    assert p["twr"]["all"] is None and "empty portfolio on 2024-01-02" in p["null_reasons"]["twr.all"]
    assert p["twr"]["1d"] == pytest.approx(0.5)
    assert p["income"] == 20.0 and p["total_pnl"] == 30.0


def test_a_held_coin_without_closes_makes_the_returns_covering_it_null():
    pm = prices({"BTC": [np.nan, np.nan, 100.0, 110.0], "ETH": [10.0, 10.0, 10.0, 10.0]})
    p = pnl_statement(numbered(tx(0, "buy", "BTC", 1, 90.0)), pm)["portfolio"]
    assert p["twr"]["all"] is None
    assert p["null_reasons"]["twr.all"] == "BTC is held on 2024-01-01 but the price file has no close for it"
    assert p["twr"]["1d"] == pytest.approx(0.1) and p["market_value"] == 110.0


def test_monthly_purchases_on_real_closes(shared_data):
    """Real BTC closes (CoinMarketCap, 2019-2021): 500 USD at each month's first opening price.

    Bought at the opening price (the previous close) the ledger is always fully invested, so its
    time-weighted return is BTC's price return; the money-weighted return is scipy's root of the
    deposits and the final value, dated as the returns module documents.
    """
    from tests.metrics.series import close_prices

    symbols, dates, values = close_prices(shared_data / "prices" / "cmc_2017_2021_close.csv")
    days = [str(d)[:10] for d in dates]
    btc = values[:, symbols.index("BTC")]
    pm = prices({"BTC": btc}, start=dt.date.fromisoformat(days[0]))
    first = days.index("2019-01-01")
    buys = [i for i in range(first, len(days)) if days[i].endswith("-01")]
    records = []
    for i in buys:
        when = dt.datetime.fromisoformat(days[i]).replace(hour=0, tzinfo=dt.UTC)
        records += [
            Transaction(time=when, kind=Kind.DEPOSIT, asset="USD", quantity=500.0),
            Transaction(time=when, kind=Kind.BUY, asset="BTC", quantity=500.0 / btc[i - 1], price=float(btc[i - 1])),
        ]
    p = pnl_statement(numbered(*records), pm)["portfolio"]
    last = len(days) - 1
    assert p["twr"]["all"] == pytest.approx(btc[last] / btc[first - 1] - 1, rel=1e-9)
    final = sum(500.0 / btc[i - 1] for i in buys) * btc[last]
    flows = [(-500.0, i - first) for i in buys] + [(final, last - first + 1)]
    irr = brentq(lambda rate: sum(c / (1 + rate) ** (t / 365) for c, t in flows), -0.99, 100.0)
    assert p["market_value"] == pytest.approx(final, rel=1e-12)
    assert p["mwr_annualized"] == pytest.approx(irr, rel=1e-8)
    assert p["net_flows"] == pytest.approx(500.0 * len(buys))
