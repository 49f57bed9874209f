"""Transaction files in our layout and in Coinbase, Kraken and Binance export layouts (files built here)."""

from __future__ import annotations

import datetime as dt

import pytest

from assets.portfolio.lib import Kind, pnl_statement
from assets.portfolio.lib.imports import kraken_asset, kraken_pair, parse_transactions
from tests.portfolio.support import prices

OURS = """time,type,symbol,quantity,price_usd,fee_usd
2024-01-01T09:00:00Z,deposit,USD,1000,,
2024-01-02,buy,BTC,0.01,40000,2.5
2024-01-03 10:00:00+02:00,staking_reward,ETH,0.5,2000,
2024-01-04,deposit,EUR,100,,
"""


def kinds(result) -> list[tuple[int, str, str, float]]:
    return [(t.row, t.kind.value, t.asset, t.quantity) for t in result.transactions]


def test_our_format_reads_every_type_and_names_itself():
    r = parse_transactions(OURS)
    assert (r.format, r.delimiter, r.header_row, r.rows, r.errors, r.unknown_columns) == (
        "crypto-risk",
        ",",
        1,
        4,
        [],
        [],
    )
    assert kinds(r) == [(2, "deposit", "USD", 1000.0), (3, "buy", "BTC", 0.01), (4, "staking_reward", "ETH", 0.5),
                        (5, "deposit", "EUR", 100.0)]  # fmt: skip
    buy = r.transactions[1]
    assert (buy.price, buy.fee, buy.currency, buy.time) == (40000.0, 2.5, "USD", dt.datetime(2024, 1, 2, tzinfo=dt.UTC))
    assert r.transactions[2].time == dt.datetime(2024, 1, 3, 8, tzinfo=dt.UTC)  # offsets become UTC
    assert r.transactions[3].currency == "EUR"  # an amount of euros, converted at the day's rate


def test_every_bad_row_is_reported_in_one_pass_with_its_column():
    text = (
        "time,type,symbol,quantity,price_usd,fee_usd\n"
        "yesterday,buy,BTC,1,100,\n"
        "2024-01-02,purchase,BTC,1,100,\n"
        "2024-01-03,buy,BTC,-1,100,\n"
        "2024-01-04,buy,BTC,1,-100,\n"
        "2024-01-05,buy,BTC,1,abc,\n"
        "2024-01-06,buy,BTC,1,100\n"
        "2024-01-07,deposit,BTC,1,,\n"
        "2024-01-08,buy,BTC,1,100,1\n"
    )
    r = parse_transactions(text)
    got = [(e.row, e.field) for e in r.errors]
    assert got == [
        (2, "time"),
        (3, "type"),
        (4, "quantity"),
        (5, "price_usd"),
        (6, "price_usd"),
        (7, ""),
        (8, "symbol"),
    ]
    assert "unknown type 'purchase' (one of buy, sell" in r.errors[1].message
    assert r.errors[3].message == "must be a finite number >= 0, got -100.0"
    assert r.errors[5].message == "has 5 cells, the header has 6"
    assert kinds(r) == [(9, "buy", "BTC", 1.0)]


def test_delimiter_bom_case_and_unknown_columns():
    text = "\ufeffTime;Type;Symbol;Quantity;Price_USD;Wallet\n2024-01-02;buy;btc;1;100;cold\n"
    r = parse_transactions(text.encode("utf-8"))
    assert (r.format, r.delimiter, r.unknown_columns, r.errors) == ("crypto-risk", ";", ["Wallet"], [])
    assert r.transactions[0].asset == "BTC"
    tabbed = parse_transactions(OURS.replace(",", "\t"))
    assert tabbed.delimiter == "\t" and [t.key for t in tabbed.transactions] == [
        t.key for t in parse_transactions(OURS).transactions
    ]


def test_unreadable_files_say_why():
    assert str(parse_transactions(b"\xff\xfe\x00").errors[0]) == "file, file: is not UTF-8 text"
    assert str(parse_transactions("").errors[0]) == "file, header: is empty"
    (err,) = parse_transactions("date,coin,amount\n2024-01-01,BTC,1\n").errors
    assert err.row == 1 and "header not recognised" in err.message and "'date,coin,amount'" in err.message
    assert parse_transactions("time,type,symbol,quantity\n").errors[0].message == "has a header but no rows"


def test_keys_are_stable_across_re_imports_and_column_order_and_distinct_for_twins():
    twice = OURS + "2024-01-02,buy,BTC,0.01,40000,2.5\n"
    keys = [t.key for t in parse_transactions(twice).transactions]
    assert len(set(keys)) == len(keys)  # the identical second buy is its own row
    assert keys == [t.key for t in parse_transactions(twice).transactions]
    reordered = "symbol,quantity,time,type,fee_usd,price_usd\nBTC,0.01,2024-01-02,buy,2.5,40000\n"
    assert parse_transactions(reordered).transactions[0].key == keys[1]
    changed = parse_transactions(OURS.replace("0.01,40000", "0.02,40000")).transactions[1].key
    assert changed != keys[1]


# Coinbase "Transaction history" report: title lines, then the header (layout of the public sample
# export in dickwolff/Export-To-Ghostfolio and BittyTax's Coinbase parser); amounts carry the sign.
COINBASE = """You can use this transaction report to inform your likely tax obligations.
Transactions
User,Jane Doe,0a1b2c

ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,Subtotal,Total (inclusive of fees and/or spread),Fees and/or Spread,Notes
a1,2024-01-01 09:00:00 UTC,Deposit,USD,1000,USD,$1.00,$1000.00,$1000.00,$0.00,Deposit from Bank
a2,2024-01-02 10:00:00 UTC,Buy,BTC,0.01,USD,$40100.00,$400.00,$405.00,$5.00,Bought 0.01 BTC for 405.00 USD
a3,2024-01-03 10:00:00 UTC,Advanced Trade Buy,ETH,0.1,USD,$2000.00,$200.00,$201.00,$1.00,Bought 0.1 ETH for 0.005 BTC on ETH-BTC at 0.05 ETH/BTC
a4,2024-01-04 10:00:00 UTC,Staking Income,ETH,0.001,USD,$2100.00,$2.10,$2.10,$0.00,
a5,2024-01-05 10:00:00 UTC,Send,BTC,-0.002,USD,$41000.00,-$82.00,-$82.00,$0.00,Sent 0.002 BTC to bc1q...
a6,2024-01-05 11:00:00 UTC,Receive,BTC,0.002,USD,$41000.00,$82.00,$82.00,$0.00,Received 0.002 BTC
a7,2024-01-06 10:00:00 UTC,Convert,ETH,0.05,USD,$2200.00,$108.00,$110.00,,Converted 0.05 ETH to 0.0026 BTC
a8,2024-01-07 10:00:00 UTC,Sell,BTC,-0.004,USD,$45000.00,$180.00,$178.00,$2.00,Sold 0.004 BTC for 178.00 USD
a9,2024-01-08 10:00:00 UTC,Withdrawal,USD,-100,USD,$1.00,-$100.00,-$100.00,$0.00,
a10,2024-01-08 11:00:00 UTC,Vault Withdrawal,BTC,0.001,USD,$45000.00,$45.00,$45.00,$0.00,
a11,2024-01-08 12:00:00 UTC,Mystery Reward,BTC,0.001,USD,$45000.00,$45.00,$45.00,$0.00,
"""


def test_coinbase_report():
    r = parse_transactions(COINBASE)
    assert (r.format, r.header_row, r.rows) == ("coinbase", 5, 11)
    assert [(e.row, e.field) for e in r.errors] == [(16, "Transaction Type")]
    assert "unknown Coinbase transaction type 'Mystery Reward'" in r.errors[0].message
    assert r.skipped == [(15, "Vault Withdrawal: a move inside Coinbase")]
    assert kinds(r) == [
        (6, "deposit", "USD", 1000.0),
        (7, "buy", "BTC", 0.01),
        (8, "sell", "BTC", 0.005),  # the coin given up first
        (8, "buy", "ETH", 0.1),
        (9, "staking_reward", "ETH", 0.001),
        (10, "transfer_out", "BTC", 0.002),
        (11, "transfer_in", "BTC", 0.002),
        (12, "sell", "ETH", 0.05),
        (12, "buy", "BTC", 0.0026),
        (13, "sell", "BTC", 0.004),
        (14, "withdrawal", "USD", 100.0),
    ]
    t = {(x.row, x.asset): x for x in r.transactions}
    assert t[7, "BTC"].price * 0.01 == pytest.approx(400.0) and t[7, "BTC"].fee == 5.0
    assert t[8, "ETH"].price * 0.1 == pytest.approx(201.0) and t[8, "BTC"].price * 0.005 == pytest.approx(201.0)
    assert t[12, "ETH"].price * 0.05 == pytest.approx(110.0) and t[12, "BTC"].price * 0.0026 == pytest.approx(110.0)
    assert t[13, "BTC"].price * 0.004 == pytest.approx(180.0) and t[13, "BTC"].fee == 2.0
    assert t[6, "USD"].external_id == "a1" and t[6, "USD"].venue == "Coinbase"
    assert len({x.key for x in r.transactions}) == len(r.transactions)


def test_coinbase_ledger_end_to_end():
    ok = "\n".join(line for line in COINBASE.splitlines() if "Mystery" not in line)
    r = parse_transactions(ok)
    assert not r.errors
    pm = prices({"BTC": [40000.0 + 1000 * i for i in range(10)], "ETH": [2000.0 + 50 * i for i in range(10)]})
    doc = pnl_statement(r.transactions, pm)
    btc = doc["positions"]["BTC"]
    assert btc["quantity"] == pytest.approx(0.01 - 0.005 + 0.0026 - 0.004)
    assert doc["positions"]["ETH"]["quantity"] == pytest.approx(0.1 + 0.001 - 0.05)
    # Cash: 1000 in, 405 for BTC, 178 back, 100 out.
    assert doc["positions"]["USD"]["quantity"] == pytest.approx(1000 - 405 + 178 - 100)
    assert doc["portfolio"]["net_flows"] == pytest.approx(900.0)


# Kraken "Trades" export (fields per Kraken's "How to interpret Trades history fields").
KRAKEN = """"txid","ordertxid","pair","time","type","ordertype","price","cost","fee","vol","margin","misc","ledgers"
"T1","O1","XXBTZUSD","2024-01-02 10:00:00.1234","buy","limit","20000.0","10000.0","16.0","0.5","0.0","","L1,L2"
"T2","O2","XETHZEUR","2024-01-03 10:00:00.0000","sell","market","1500.0","3000.0","4.8","2.0","0.0","","L3,L4"
"T3","O3","XETHXXBT","2024-01-04 10:00:00.0000","buy","limit","0.07","0.07","0.0001","1.0","0.0","","L5,L6"
"T4","O4","XXBTZUSD","2024-01-05 10:00:00.0000","sell","limit","21000.0","2100.0","3.0","0.1","420.0","","L7"
"T5","O5","DOTUSD","2024-01-05 11:00:00.0000","buy","limit","7.0","70.0","0.1","10.0","0.0","","L8"
"""


def test_kraken_trades():
    r = parse_transactions(KRAKEN)
    assert r.format == "kraken" and r.unknown_columns == []
    assert [(e.row, e.field) for e in r.errors] == [(5, "margin")]
    assert kinds(r) == [
        (2, "buy", "BTC", 0.5),
        (3, "sell", "ETH", 2.0),
        (4, "sell", "BTC", 0.07),
        (4, "buy", "ETH", 1.0),
        (6, "buy", "DOT", 10.0),
    ]
    t = r.transactions
    assert (t[0].price, t[0].currency, t[0].fee, t[0].external_id) == (20000.0, "USD", 16.0, "T1")
    assert (t[1].price, t[1].currency, t[1].fee) == (1500.0, "EUR", 4.8)
    # ETH bought with BTC: the fee in BTC rides on the BTC leg
    assert (t[2].currency, t[2].price, t[2].fee_asset, t[2].fee_quantity) == ("BTC", 1.0, "BTC", 0.0001)
    assert (t[3].currency, t[3].price, t[3].fee_asset) == ("BTC", 0.07, None)
    assert t[0].time == dt.datetime(2024, 1, 2, 10, 0, 0, 123400, tzinfo=dt.UTC)


def test_kraken_asset_codes():
    assert [kraken_asset(c) for c in ("XXBT", "ZUSD", "XETH", "XXDG", "DOT", "ETH.S", "USDT")] == [
        "BTC", "USD", "ETH", "DOGE", "DOT", "ETH", "USDT"
    ]  # fmt: skip
    assert kraken_pair("XBT/EUR") == ("BTC", "EUR") and kraken_pair("ADAUSDT") == ("ADA", "USDT")


# Binance Spot "Trade History" export, current layout (amounts carry their coin) and legacy layout.
BINANCE = """Date(UTC),Pair,Side,Price,Executed,Amount,Fee
2022-03-28 13:01:36,SOLBUSD,SELL,110.03,0.1800000000SOL,19.8054BUSD,0.0198054BUSD
2022-03-29 10:00:00,BTCUSDT,BUY,47000,0.01BTC,470USDT,0.00001BTC
2022-03-29 11:00:00,1INCHUSDT,BUY,2,100.01INCH,"200.02USDT",0.1BNB
2022-03-29 12:00:00,BTCEUR,BUY,42000,0.001BTC,42EUR,0.042EUR
2022-03-29 13:00:00,BTCUSDT,HOLD,47000,0.01BTC,470USDT,0.00001BTC
"""


def test_binance_trade_history():
    r = parse_transactions(BINANCE)
    assert r.format == "binance"
    assert [(e.row, e.field) for e in r.errors] == [(6, "Side")]
    assert kinds(r) == [
        (2, "sell", "SOL", 0.18),
        (2, "buy", "BUSD", 19.8054),
        (3, "sell", "USDT", 470.0),
        (3, "buy", "BTC", 0.01),
        (4, "sell", "USDT", 200.02),
        (4, "buy", "1INCH", 100.0),
        (5, "buy", "BTC", 0.001),
    ]
    t = r.transactions
    assert (t[1].fee_asset, t[1].fee_quantity) == ("BUSD", 0.0198054)  # the fee coin received rides on its leg
    assert (t[3].fee_asset, t[3].fee_quantity, t[3].currency, t[3].price) == ("BTC", 0.00001, "USDT", 47000.0)
    assert (t[5].fee_asset, t[5].fee_quantity) == ("BNB", 0.1)
    assert (t[6].currency, t[6].fee, t[6].fee_asset) == ("EUR", 0.042, None)


def test_binance_legacy_layout_with_semicolons():
    text = (
        "Date(UTC);Market;Type;Price;Amount;Total;Fee;Fee Coin\n2021-01-01 00:00:00;ETHBTC;BUY;0.025;2;0.05;0.002;ETH\n"
    )
    r = parse_transactions(text)
    assert (r.format, r.delimiter, r.errors) == ("binance", ";", [])
    sell_btc, buy_eth = r.transactions
    assert (sell_btc.kind, sell_btc.asset, sell_btc.quantity) == (Kind.SELL, "BTC", 0.05)
    assert (buy_eth.kind, buy_eth.asset, buy_eth.quantity, buy_eth.fee_asset, buy_eth.fee_quantity) == (
        Kind.BUY, "ETH", 2.0, "ETH", 0.002
    )  # fmt: skip


def test_binance_usdt_trades_need_usdt_prices_and_then_balance():
    text = (
        "Date(UTC),Pair,Side,Price,Executed,Amount,Fee\n2024-01-02 10:00:00,BTCUSDT,BUY,40000,0.01BTC,400USDT,0.4USDT\n"
    )
    txs = parse_transactions(text).transactions
    pm = prices({"BTC": [40000.0] * 3, "USDT": [1.0] * 3})
    deposit_usdt = parse_transactions("time,type,symbol,quantity,price_usd\n2024-01-01,transfer_in,USDT,500,1\n")
    doc = pnl_statement(deposit_usdt.transactions + txs, pm)
    assert doc["positions"]["USDT"]["quantity"] == pytest.approx(500 - 400 - 0.4)
    # The USDT fee rides on the USDT leg: it comes out of that sale's proceeds, not into BTC's cost.
    assert doc["positions"]["BTC"]["cost_basis"] == pytest.approx(400.0)
    assert doc["positions"]["USDT"]["realized_pnl"] == pytest.approx(-0.4)
    assert doc["portfolio"]["total_pnl"] == pytest.approx(-0.4)


def test_layout_can_be_forced():
    r = parse_transactions(KRAKEN, layout="binance")
    assert r.format == "" and r.errors[0].field == "header"
    with pytest.raises(ValueError, match="unknown layout 'revolut'"):
        parse_transactions(KRAKEN, layout="revolut")
