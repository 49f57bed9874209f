"""Properties of the ledger for any valid sequence of transactions (hypothesis).

The test keeps its own tally of quantities and cash while generating rows (so every row is valid);
nothing here is computed by the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.portfolio.lib import pnl_statement, price_rate, run_ledger
from assets.portfolio.lib.constants import METHODS, PERIODS
from tests.portfolio.support import numbered, prices, tx

ASSETS = ("BTC", "ETH", "SOL")
DAYS = 60
SETTINGS = settings(max_examples=60, deadline=None)

step = st.tuples(
    st.sampled_from(["deposit", "buy", "buy", "sell", "stake", "transfer", "withdraw", "coin_fee", "cash_fee"]),
    st.integers(0, len(ASSETS) - 1),
    st.floats(0.01, 1.0),
    st.floats(0.9, 1.1),
    st.floats(0.0, 0.01),
)
scenario = st.tuples(st.integers(0, 2**32 - 1), st.lists(step, min_size=1, max_size=40))


def _closes(seed: int):
    rng = np.random.default_rng(seed)
    paths = np.exp(np.cumsum(rng.normal(0, 0.05, (DAYS, len(ASSETS))), axis=0)) * [30000.0, 2000.0, 50.0]
    return prices({a: paths[:, j] for j, a in enumerate(ASSETS)}), paths


def build(seed: int, steps, *, self_funded: bool = False):
    """Valid rows from ``steps`` and the tallies they imply: (records, prices, quantities, cash).

    ``self_funded``: buys never exceed the cash (so the only external flow is the first deposit)
    and nothing is withdrawn.
    """
    pm, closes = _closes(seed)
    qty = dict.fromkeys(ASSETS, 0.0)
    cash = 0.0
    rows = []
    if self_funded:
        rows.append(tx(0, "deposit", "USD", 100_000.0))
        cash = 100_000.0
    for i, (op, a, frac, slip, fee_rate) in enumerate(steps):
        d = min(1 + i, DAYS - 2)
        asset, close = ASSETS[a], closes[d, a]
        price = close * slip
        if op == "deposit" and not self_funded:
            amount = 10_000.0 * frac
            rows.append(tx(d, "deposit", "USD", amount))
            cash += amount
        elif op == "buy":
            spend = (cash if self_funded else 20_000.0) * frac * 0.9
            q = spend / price
            fee = spend * fee_rate
            if q <= 0 or (self_funded and q * price + fee > cash):
                continue
            rows.append(tx(d, "buy", asset, q, price, fee=fee))
            cash = max(cash - q * price - fee, 0.0)
        elif op == "sell" and qty[asset] > 0:
            q = qty[asset] * frac
            fee = q * price * fee_rate
            rows.append(tx(d, "sell", asset, q, price, fee=fee))
            qty[asset] -= q
            cash += q * price - fee
            continue
        elif op == "stake" and qty[asset] > 0:
            q = qty[asset] * frac * 0.05
            rows.append(tx(d, "staking_reward", asset, q))
            qty[asset] += q
            continue
        elif op == "transfer" and qty[asset] > 0:
            q = qty[asset] * frac
            rows.append(tx(d, "transfer_out", asset, q, venue="exchange"))
            rows.append(tx(d + 1, "transfer_in", asset, q, venue="wallet"))
            continue
        elif op == "withdraw" and not self_funded and cash > 0:
            amount = cash * frac * 0.5
            rows.append(tx(d, "withdrawal", "USD", amount))
            cash -= amount
            continue
        elif op == "coin_fee" and qty[asset] > 0:
            q = qty[asset] * frac * 0.01
            rows.append(tx(d, "fee", asset, q))
            qty[asset] -= q
            continue
        elif op == "cash_fee" and cash > 1.0:
            amount = min(cash * 0.01, 5.0)
            rows.append(tx(d, "fee", "USD", amount))
            cash -= amount
            continue
        else:
            continue
        if op == "buy":
            qty[asset] += q
    return numbered(*rows), pm, qty, cash


@SETTINGS
@given(scenario)
def test_quantities_and_cash_conserve(sc):
    records, pm, qty, cash = build(*sc)
    if not records:
        return
    ledger = run_ledger(records, "fifo", mark=price_rate(pm))
    for asset, q in qty.items():
        held = ledger.positions[asset].quantity if asset in ledger.positions else 0.0
        assert held == pytest.approx(q, rel=1e-9, abs=1e-9)
        if asset in ledger.positions:
            assert sum(lot.quantity for lot in ledger.positions[asset].lots()) == pytest.approx(
                held, rel=1e-9, abs=1e-9
            )
            assert ledger.positions[asset].in_transit == pytest.approx(0.0, abs=1e-9)
    assert ledger.cash == pytest.approx(cash, rel=1e-9, abs=1e-6)


@SETTINGS
@given(scenario)
def test_methods_differ_only_in_timing(sc):
    """FIFO, LIFO, HIFO and average split P&L between realized and unrealized differently; the sum is one."""
    records, pm, _, _ = build(*sc)
    if not records:
        return
    docs = {m: pnl_statement(records, pm, method=m) for m in METHODS}
    base = docs["fifo"]
    for m, doc in docs.items():
        for sym, pos in base["positions"].items():
            other = doc["positions"][sym]
            total = pos["realized_pnl"] + pos["unrealized_pnl"]
            assert other["realized_pnl"] + other["unrealized_pnl"] == pytest.approx(total, rel=1e-9, abs=1e-6), m
            assert other["quantity"] == pytest.approx(pos["quantity"], rel=1e-12, abs=1e-12)
            assert other["income"] == pytest.approx(pos["income"], rel=1e-12)
        assert doc["portfolio"]["total_pnl"] == pytest.approx(base["portfolio"]["total_pnl"], rel=1e-9, abs=1e-6)
        assert doc["portfolio"]["twr"] == base["portfolio"]["twr"]  # returns do not depend on the method


@SETTINGS
@given(scenario)
def test_value_minus_net_flows_is_the_total_pnl(sc):
    records, pm, _, _ = build(*sc)
    if not records:
        return
    p = pnl_statement(records, pm, method="hifo")["portfolio"]
    assert p["market_value"] - p["net_flows"] == pytest.approx(p["total_pnl"], rel=1e-9, abs=1e-6)
    assert p["total_pnl"] == pytest.approx(p["realized_pnl"] + p["unrealized_pnl"] + p["income"], rel=1e-12, abs=1e-9)


@SETTINGS
@given(scenario)
def test_without_flows_twr_mwr_and_simple_return_agree(sc):
    """One deposit on day 0 and trades paid from cash: every period's three returns are one number."""
    records, pm, _, _ = build(*sc, self_funded=True)
    doc = pnl_statement(records, pm)
    p = doc["portfolio"]
    assert p["inflows"] == 100_000.0 and p["outflows"] == 0.0
    for k in PERIODS:
        if p["twr"][k] is None:
            assert doc["portfolio"]["periods"][k]["start"] is None
            continue
        assert p["mwr"][k] == pytest.approx(p["twr"][k], rel=1e-7, abs=1e-10), k
        assert p["simple_return"][k] == pytest.approx(p["twr"][k], rel=1e-9, abs=1e-12), k
    assert p["twr"]["all"] == pytest.approx(p["market_value"] / 100_000.0 - 1.0, rel=1e-9, abs=1e-12)


@SETTINGS
@given(scenario)
def test_inputs_are_not_changed(sc):
    records, pm, _, _ = build(*sc)
    if not records:
        return
    before = [(r.row, r.quantity, r.price, r.fee) for r in records]
    values = pm.values.copy()
    for m in METHODS:
        pnl_statement(records, pm, method=m)
    assert [(r.row, r.quantity, r.price, r.fee) for r in records] == before
    np.testing.assert_array_equal(pm.values, values)
