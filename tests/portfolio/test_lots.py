"""Cost basis by lot, worked by hand: three lots of 1 BTC, 1.5 BTC sold, valued at 160.

Lots: A bought at 100 with a fee of 2 (cost 102), B at 130, C at 110 (costs 130, 110; 342 in all).
Sold: 1.5 BTC at 150 with a fee of 3, proceeds 225 - 3 = 222. Remaining 1.5 BTC worth 240.

- FIFO takes A + half of B:       cost 102 + 65  = 167, realized 55, remaining 65 + 110 = 175
- LIFO takes C + half of B:       cost 110 + 65  = 175, realized 47, remaining 102 + 65 = 167
- HIFO takes B + half of C:       cost 130 + 55  = 185, realized 37, remaining 102 + 55 = 157
- average (342 / 3 = 114 a unit): cost 1.5 x 114 = 171, realized 51, remaining 171
Realized + unrealized is 120 under every method: the methods differ only in timing.
"""

from __future__ import annotations

import pytest

from assets.portfolio.lib import pnl_statement, run_ledger
from tests.portfolio.support import day, flat, numbered, tx

LEDGER = numbered(
    tx(0, "buy", "BTC", 1, 100.0, fee=2.0),
    tx(1, "buy", "BTC", 1, 130.0),
    tx(2, "buy", "BTC", 1, 110.0),
    tx(3, "sell", "BTC", 1.5, 150.0, fee=3.0),
)

EXPECTED = {  # method: (cost of the coins sold, remaining cost basis, remaining lots as (row, quantity, cost))
    "fifo": (167.0, 175.0, [(3, 0.5, 65.0), (4, 1.0, 110.0)]),
    "lifo": (175.0, 167.0, [(2, 1.0, 102.0), (3, 0.5, 65.0)]),
    "hifo": (185.0, 157.0, [(2, 1.0, 102.0), (4, 0.5, 55.0)]),
    "average": (171.0, 171.0, [(3, 0.5, 57.0), (4, 1.0, 114.0)]),
}


@pytest.mark.parametrize("method", list(EXPECTED))
def test_hand_worked_lots(method):
    sold_cost, remaining, lots = EXPECTED[method]
    ledger = run_ledger(LEDGER, method)
    btc = ledger.positions["BTC"]
    assert btc.quantity == pytest.approx(1.5)
    assert btc.cost_basis == pytest.approx(remaining)
    assert btc.realized == pytest.approx(222.0 - sold_cost)
    assert [(lot.row, lot.quantity, lot.cost) for lot in btc.lots()] == [
        (r, pytest.approx(q), pytest.approx(c)) for r, q, c in lots
    ]
    (disposal,) = ledger.disposals
    assert (disposal.quantity, disposal.proceeds, disposal.cost_basis) == (1.5, 222.0, pytest.approx(sold_cost))
    # Cash: nothing deposited, so the buys were paid from outside (342 in) and the sale left 222 as cash.
    assert ledger.cash == pytest.approx(222.0)
    assert sum(ledger.inflows.values()) == pytest.approx(342.0) and not ledger.outflows


@pytest.mark.parametrize("method", list(EXPECTED))
def test_report_positions_and_totals(method):
    sold_cost, remaining, _ = EXPECTED[method]
    doc = pnl_statement(LEDGER, flat(10, BTC=160.0), method=method)
    btc = doc["positions"]["BTC"]
    assert btc["market_value"] == pytest.approx(240.0)
    assert btc["unrealized_pnl"] == pytest.approx(240.0 - remaining)
    assert btc["realized_pnl"] == pytest.approx(222.0 - sold_cost)
    assert btc["realized_pnl"] + btc["unrealized_pnl"] == pytest.approx(120.0)
    assert doc["positions"]["USD"]["market_value"] == pytest.approx(222.0)
    p = doc["portfolio"]
    assert p["market_value"] == pytest.approx(462.0) and p["net_flows"] == pytest.approx(342.0)
    assert p["total_pnl"] == pytest.approx(120.0)


def test_selling_everything_in_float_noise_empties_the_lots():
    """0.1 + 0.2 bought, 0.3 sold: 0.30000000000000004 held must not leave dust or fail."""
    ledger = run_ledger(
        numbered(tx(0, "buy", "ETH", 0.1, 10.0), tx(0, "buy", "ETH", 0.2, 10.0), tx(1, "sell", "ETH", 0.3, 12.0))
    )
    eth = ledger.positions["ETH"]
    assert eth.quantity == 0.0 and eth.lots() == [] and eth.cost_basis == 0.0
    assert eth.realized == pytest.approx(0.6)


def test_hifo_ties_and_unknown_cost_go_last():
    ledger = run_ledger(
        numbered(
            tx(0, "opening_balance", "BTC", 1),  # cost unknown
            tx(1, "buy", "BTC", 1, 120.0),
            tx(2, "buy", "BTC", 1, 120.0),
            tx(3, "sell", "BTC", 1.5, 130.0),
        ),
        "hifo",
    )
    lots = ledger.positions["BTC"].lots()
    # Equal unit costs: the older lot (row 3) goes first; the unknown-cost opening lot is untouched.
    assert [(lot.row, lot.quantity) for lot in lots] == [(2, 1.0), (4, 0.5)]
    assert ledger.positions["BTC"].realized == pytest.approx(1.5 * 130 - 180.0)
    assert day(0) == lots[0].acquired
