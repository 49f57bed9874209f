"""Quotes in other currencies and coins, and the base-currency view (rates of each day)."""

from __future__ import annotations

import numpy as np
import pytest

from assets.portfolio.lib import LedgerError, RateSeries, pnl_statement, to_ledger_currency
from assets.portfolio.lib.currency import convert_values, price_rate
from tests.portfolio.support import START, numbered, prices, tx


def test_base_currency_books_cost_at_the_rate_of_its_day_and_value_at_today_s():
    btc = [100.0, 100.0, 100.0, 150.0]
    eur_per_usd = RateSeries.build("EUR", np.datetime64(START, "D") + np.array([0, 2]), [0.9, 0.8])
    records = numbered(tx(0, "deposit", "USD", 100.0), tx(0, "buy", "BTC", 1, 100.0))
    doc = pnl_statement(records, prices({"BTC": btc}), rates=eur_per_usd)
    btc_pos = doc["positions"]["BTC"]
    assert doc["currency"] == "EUR"
    assert btc_pos["cost_basis"] == pytest.approx(90.0)  # 100 USD at 0.9 on day 0
    assert btc_pos["market_value"] == pytest.approx(120.0)  # 150 USD at 0.8 (rate of day 2 carried to day 3)
    assert btc_pos["unrealized_pnl"] == pytest.approx(30.0)
    p = doc["portfolio"]
    assert p["net_flows"] == pytest.approx(90.0)
    # In EUR the return includes the dollar's fall: 150/100 x 0.8/0.9
    assert p["twr"]["all"] == pytest.approx(1.5 * 0.8 / 0.9 - 1, rel=1e-12)


def test_rates_must_cover_the_ledger():
    rates = RateSeries.build("GBP", [np.datetime64(START, "D") + 2], [0.8])
    with pytest.raises(ValueError, match="no GBP rate on or before 2024-01-01"):
        pnl_statement(numbered(tx(0, "buy", "BTC", 1, 1.0)), prices({"BTC": [1.0, 1.0, 1.0]}), rates=rates)
    with pytest.raises(ValueError, match="EUR rate on 2024-01-02 must be a finite number > 0"):
        RateSeries.build("EUR", np.datetime64(START, "D") + np.arange(2), [0.9, -1.0])
    values = convert_values([10.0, 10.0, 10.0], np.datetime64(START, "D") + np.arange(3), rates)
    assert np.isnan(values[:2]).all() and values[2] == 8.0


def test_a_coin_quoted_trade_is_valued_at_the_quote_coin_s_close():
    pm = prices({"BTC": [20000.0, 21000.0], "ETH": [1000.0, 1100.0]})
    buy_eth_with_btc = [
        tx(0, "buy", "BTC", 1, 20000.0),
        tx(1, "sell", "BTC", 0.1, 1.0, currency="BTC"),
        tx(1, "buy", "ETH", 2, 0.05, currency="BTC", fee_asset="BTC", fee_quantity=0.001),
    ]
    converted, errors = to_ledger_currency(numbered(*buy_eth_with_btc), price_rate(pm))
    assert not errors
    assert [(t.asset, t.price, t.fee) for t in converted[1:]] == [("BTC", 21000.0, 0.0), ("ETH", 1050.0, 21.0)]
    doc = pnl_statement(numbered(*buy_eth_with_btc), pm)
    assert doc["positions"]["ETH"]["cost_basis"] == pytest.approx(2 * 1050 + 21)
    assert doc["positions"]["BTC"]["quantity"] == pytest.approx(0.899)
    assert doc["positions"]["BTC"]["realized_pnl"] == pytest.approx(0.1 * 1000 + (21 - 20))


def test_a_fiat_quote_without_a_rate_is_a_row_error():
    pm = prices({"BTC": [100.0, 100.0]})
    with pytest.raises(LedgerError) as info:
        pnl_statement(numbered(tx(0, "buy", "BTC", 1, 90.0, currency="EUR")), pm)
    assert str(info.value) == "row 2, currency: no EUR rate to USD on 2024-01-01 to convert the price"
    with_eur = prices({"BTC": [100.0, 100.0], "EUR": [1.1, 1.1]})  # a column of USD per EUR
    assert pnl_statement(numbered(tx(0, "buy", "BTC", 1, 90.0, currency="EUR")), with_eur)["positions"]["BTC"][
        "cost_basis"
    ] == pytest.approx(99.0)
