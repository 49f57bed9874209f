"""The ledger's rules: refusals naming the row, and each transaction type's convention."""

from __future__ import annotations

import math

import pytest

from assets.portfolio.lib import LedgerError, pnl_statement, run_ledger
from tests.portfolio.support import flat, numbered, prices, tx


def errors_of(records, **kw) -> list[tuple[int, str, str]]:
    with pytest.raises(LedgerError) as info:
        run_ledger(records, **kw)
    return [(e.row, e.field, e.message) for e in info.value.errors]


def test_selling_more_than_held_names_the_row_and_nothing_is_computed():
    errs = errors_of(numbered(tx(0, "buy", "BTC", 1, 100.0), tx(1, "sell", "BTC", 1.5, 110.0)))
    assert errs == [(3, "quantity", "sells 1.5 BTC but the portfolio holds 1 on 2024-01-02")]


def test_transfer_out_of_an_asset_not_held():
    errs = errors_of(numbered(tx(0, "buy", "BTC", 1, 100.0), tx(1, "transfer_out", "ETH", 2)))
    assert errs == [(3, "quantity", "transfers out 2 ETH but the portfolio holds none on 2024-01-02")]


def test_negative_price_and_every_bad_row_in_one_pass():
    records = numbered(
        tx(0, "buy", "BTC", 1, -5.0),
        tx(1, "buy", "ETH", 0, 10.0),
        tx(2, "sell", "ETH", 1, None),
    )
    errs = errors_of(records)
    assert [(r, f) for r, f, _ in errs] == [(2, "price"), (3, "quantity"), (4, "price")]
    assert "must be a finite number >= 0, got -5.0" in errs[0][2]


def test_rows_that_fail_in_sequence_are_all_reported():
    """A failing row is skipped, so a later independent failure is found in the same pass."""
    records = numbered(
        tx(0, "sell", "BTC", 1, 100.0),
        tx(1, "withdrawal", "USD", 50.0),
        tx(2, "deposit", "USD", 10.0),
        tx(3, "transfer_out", "SOL", 1),
    )
    assert [r for r, _, _ in errors_of(records)] == [2, 3, 5]


def test_withdrawing_more_cash_than_held():
    (err,) = errors_of(numbered(tx(0, "deposit", "USD", 100.0), tx(1, "withdrawal", "USD", 90.0, fee=20.0)))
    assert err[0] == 3 and "withdraws 110.00 USD (fee included) but the cash balance is 100.00" in err[2]


def test_cash_kinds_move_cash_and_coin_kinds_move_coins():
    errs = errors_of(numbered(tx(0, "deposit", "BTC", 1.0), tx(0, "buy", "USD", 1.0, 1.0)))
    assert [(r, f) for r, f, _ in errs] == [(2, "symbol"), (3, "symbol")]


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown cost-basis method 'fofi'"):
        run_ledger(numbered(tx(0, "buy", "BTC", 1, 1.0)), "fofi")


def test_transfers_move_coins_without_pnl_and_keep_their_lots():
    records = numbered(
        tx(0, "buy", "BTC", 2, 100.0),
        tx(1, "transfer_out", "BTC", 2, venue="Coinbase"),
        tx(2, "transfer_in", "BTC", 2, venue="Ledger wallet"),
    )
    ledger = run_ledger(records)
    btc = ledger.positions["BTC"]
    assert btc.quantity == 2 and btc.realized == 0 and btc.in_transit == 0
    assert [(lot.row, lot.cost) for lot in btc.lots()] == [(2, 200.0)]
    assert sum(ledger.inflows.values()) == 200.0  # only the buy's cash came from outside


def test_coins_in_transit_are_held_but_cannot_be_sold():
    records = numbered(tx(0, "buy", "BTC", 2, 100.0), tx(1, "transfer_out", "BTC", 1.5), tx(2, "sell", "BTC", 1, 100.0))
    (err,) = errors_of(records)
    assert err[0] == 4 and "holds 0.5" in err[2]
    ledger = run_ledger(records[:2])
    assert ledger.positions["BTC"].quantity == 2 and ledger.positions["BTC"].in_transit == 1.5


def test_transfer_in_from_outside_is_an_inflow_at_the_close_with_cost_unknown_unless_priced():
    pm = flat(5, BTC=200.0)
    doc = pnl_statement(numbered(tx(1, "transfer_in", "BTC", 1)), pm)
    btc = doc["positions"]["BTC"]
    assert btc["market_value"] == 200.0 and btc["cost_basis"] is None and btc["unrealized_pnl"] is None
    assert "row 2" in btc["null_reasons"]["cost_basis"]
    assert doc["portfolio"]["inflows"] == 200.0 and doc["portfolio"]["cost_basis"] is None
    assert "BTC" in doc["portfolio"]["null_reasons"]["cost_basis"]
    priced = pnl_statement(numbered(tx(1, "transfer_in", "BTC", 1, 150.0)), pm)["positions"]["BTC"]
    assert priced["cost_basis"] == 150.0 and priced["unrealized_pnl"] == 50.0


def test_staking_rewards_airdrops_and_income_enter_at_market_value_as_income():
    pm = prices({"ETH": [10.0, 12.0, 14.0, 15.0]})
    records = numbered(
        tx(0, "buy", "ETH", 1, 10.0),
        tx(1, "staking_reward", "ETH", 0.5),  # no price: the day's close, 12
        tx(2, "airdrop", "ETH", 0.25, 16.0),  # its own price
        tx(2, "income", "ETH", 0.25),  # close 14
    )
    doc = pnl_statement(records, pm)
    eth = doc["positions"]["ETH"]
    assert eth["income"] == pytest.approx(6.0 + 4.0 + 3.5)
    assert eth["cost_basis"] == pytest.approx(10.0 + 13.5)
    assert eth["unrealized_pnl"] == pytest.approx(2.0 * 15.0 - 23.5)
    assert doc["portfolio"]["inflows"] == pytest.approx(10.0)  # income is not money put in
    assert doc["portfolio"]["total_pnl"] == pytest.approx(30.0 - 10.0)


def test_income_without_price_or_close_is_refused():
    records = numbered(tx(0, "airdrop", "NEW", 3.0))
    (err,) = errors_of(records, mark=lambda asset, d: None)
    assert err[:2] == (2, "price") and "a airdrop enters at market value" in err[2]


def test_fees_in_cost_basis_out_of_proceeds_and_on_their_own():
    records = numbered(
        tx(0, "deposit", "USD", 1000.0, fee=1.0),  # a cash fee: realized -1 on cash
        tx(0, "buy", "BTC", 1, 100.0, fee=2.0),  # cost 102
        tx(0, "buy", "BNB", 10, 5.0),
        tx(1, "buy", "ETH", 1, 50.0, fee=0.5, fee_asset="BNB", fee_quantity=0.1),  # fee of 0.5 paid with BNB
        tx(2, "sell", "BTC", 1, 120.0, fee=3.0),  # proceeds 117
        tx(3, "fee", "USD", 4.0),  # e.g. an account fee
        tx(3, "fee", "BNB", 1.0),  # coins given away for a service
    )
    ledger = run_ledger(records)
    pos = ledger.positions
    assert pos["BTC"].realized == pytest.approx(117.0 - 102.0)
    assert pos["ETH"].cost_basis == pytest.approx(50.5)
    # BNB: 0.1 disposed at the fee's value (0.5, cost 0.5), then 1 given away (cost 5): -5
    assert pos["BNB"].quantity == pytest.approx(8.9) and pos["BNB"].realized == pytest.approx(-5.0)
    assert ledger.cash_realized == pytest.approx(-5.0)
    assert ledger.cash == pytest.approx(1000 - 1 - 102 - 50 - 50 + 117 - 4)


def test_a_buy_without_cash_is_funded_from_outside_and_sale_proceeds_stay():
    ledger = run_ledger(
        numbered(tx(0, "deposit", "USD", 60.0), tx(1, "buy", "BTC", 1, 100.0), tx(2, "sell", "BTC", 1, 90.0))
    )
    assert ledger.inflows == {tx(0, "deposit", "USD", 1).day: 60.0, tx(1, "buy", "BTC", 1).day: 40.0}
    assert ledger.cash == 90.0 and not ledger.outflows


def test_opening_balances_and_adjustments_are_flows_at_the_close_without_pnl():
    pm = prices({"BTC": [100.0, 110.0, 120.0, 130.0]})
    records = numbered(
        tx(0, "opening_balance", "BTC", 2, 40.0),  # cost known: 80
        tx(1, "adjustment", "BTC", 0.5),  # found 0.5 more (cost unknown)
        tx(2, "adjustment", "BTC", -1.0),  # a quantity edit down
    )
    doc = pnl_statement(records, pm, method="fifo")
    p = doc["portfolio"]
    assert p["inflows"] == pytest.approx(200.0 + 55.0) and p["outflows"] == pytest.approx(120.0)
    btc = doc["positions"]["BTC"]
    assert btc["quantity"] == pytest.approx(1.5) and btc["realized_pnl"] == 0.0
    assert btc["cost_basis"] is None  # the FIFO edit removed a known lot; the unknown 0.5 remains
    # Returns see no gain from the edits themselves: 100 -> 110 -> 120 -> 130 in prices only.
    assert p["twr"]["all"] == pytest.approx(130.0 / 100.0 - 1.0)


def test_sold_coins_of_unknown_cost_make_realized_null_with_the_row():
    doc = pnl_statement(
        numbered(tx(0, "opening_balance", "BTC", 1), tx(1, "sell", "BTC", 1, 150.0)), flat(3, BTC=150.0)
    )
    btc = doc["positions"]["BTC"]
    assert btc["realized_pnl"] is None and "row 2" in btc["null_reasons"]["realized_pnl"]
    assert btc["cost_basis"] == 0.0  # nothing left: a known zero
    assert math.isclose(doc["portfolio"]["twr"]["all"], 0.0, abs_tol=1e-12)
