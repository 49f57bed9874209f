"""``crypto-risk pnl`` end to end on files the tests write: the JSON contract, the table, one-line errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from serving.cli.pnl import pnl
from tests.metrics.series import close_prices

PORTFOLIO_KEYS = {"market_value", "cost_basis", "realized_pnl", "unrealized_pnl", "net_flows", "twr",
                  "mwr_annualized", "benchmark", "null_reasons"}  # fmt: skip
POSITION_KEYS = {"quantity", "cost_basis", "realized_pnl", "unrealized_pnl", "market_value"}
BENCHMARK_KEYS = {"symbol", "twr_all", "excess_return", "tracking_error", "information_ratio"}


def run(*args):
    return CliRunner().invoke(pnl, [str(a) for a in args])


@pytest.fixture
def real_prices(shared_data):
    return shared_data / "prices" / "cmc_2017_2021_close.csv"


def _close(path, symbol, date):
    symbols, dates, values = close_prices(path)
    i = [str(d)[:10] for d in dates].index(date)
    return float(values[i, symbols.index(symbol)])


def test_json_contract_on_real_prices(real_prices, tmp_path):
    """Two BTC buys, an ETH buy, half the BTC sold: FIFO worked out here from the real closes."""
    c = {d: _close(real_prices, "BTC", d) for d in ("2020-01-01", "2020-06-01", "2021-01-04", "2021-07-06")}
    eth_in, eth_now = _close(real_prices, "ETH", "2020-03-01"), _close(real_prices, "ETH", "2021-07-06")
    tx = tmp_path / "tx.csv"
    tx.write_text(
        "time,type,symbol,quantity,price_usd,fee_usd\n"
        f"2020-01-01T12:00:00Z,buy,BTC,1,{c['2020-01-01']},10\n"
        f"2020-03-01T12:00:00Z,buy,ETH,10,{eth_in},\n"
        f"2020-06-01T12:00:00Z,buy,BTC,1,{c['2020-06-01']},10\n"
        f"2021-01-04T12:00:00Z,sell,BTC,1.5,{c['2021-01-04']},20\n"
    )
    result = run(tx, "--prices", real_prices)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["method"] == "fifo" and doc["as_of"] == "2021-07-06" and doc["format"] == "crypto-risk"
    p = doc["portfolio"]
    assert PORTFOLIO_KEYS <= p.keys() and {"1y", "all"} <= p["twr"].keys()
    assert BENCHMARK_KEYS <= p["benchmark"].keys() and p["benchmark"]["symbol"] == "BTC"
    for pos in doc["positions"].values():
        assert POSITION_KEYS <= pos.keys()
    btc = doc["positions"]["BTC"]
    lot1, lot2 = c["2020-01-01"] + 10, c["2020-06-01"] + 10
    sold_cost = lot1 + lot2 / 2  # FIFO: all of the first lot, half of the second
    assert btc["realized_pnl"] == pytest.approx(1.5 * c["2021-01-04"] - 20 - sold_cost, rel=1e-12)
    assert btc["cost_basis"] == pytest.approx(lot2 / 2, rel=1e-12)
    assert btc["unrealized_pnl"] == pytest.approx(0.5 * c["2021-07-06"] - lot2 / 2, rel=1e-12)
    assert doc["positions"]["ETH"]["market_value"] == pytest.approx(10 * eth_now, rel=1e-12)
    assert doc["positions"]["USD"]["quantity"] == pytest.approx(1.5 * c["2021-01-04"] - 20, rel=1e-12)
    assert p["net_flows"] == pytest.approx(lot1 + lot2 + 10 * eth_in, rel=1e-12)  # bought with outside money
    # Fractions, not percent: the benchmark's return over the ledger's days is BTC's own price ratio.
    assert p["benchmark"]["twr_all"] == pytest.approx(c["2021-07-06"] / _close(real_prices, "BTC", "2019-12-31") - 1)
    assert p["mwr_annualized"] is not None and -1 < p["mwr_annualized"] < 10
    lifo = json.loads(run(tx, "--prices", real_prices, "--method", "lifo").output)
    assert lifo["method"] == "lifo"
    assert lifo["portfolio"]["total_pnl"] == pytest.approx(p["total_pnl"], rel=1e-12)
    assert lifo["positions"]["BTC"]["realized_pnl"] != pytest.approx(btc["realized_pnl"])


def test_table_and_market_benchmark(real_prices, tmp_path):
    tx = tmp_path / "tx.csv"
    tx.write_text("time,type,symbol,quantity,price_usd,fee_usd\n2021-06-01,buy,ETH,2,2600,\n")
    result = run(tx, "--prices", real_prices, "--format", "table", "--benchmark", "MARKET", "--method", "hifo")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "P&L as of 2021-07-06" in out and "cost basis HIFO" in out and "PORTFOLIO" in out
    assert "benchmark MARKET" in out and "time-weighted" in out and "Ex-post risk" in out
    assert "Not computed:" in out and "after the period's first day" in out  # 1y before the ledger


def test_an_exchange_export_through_the_cli(tmp_path):
    prices = tmp_path / "prices.csv"
    prices.write_text(
        "date,BTC,ETH\n" + "".join(f"2024-01-{d:02d},{40000 + d * 100},{2000 + d}\n" for d in range(1, 11))
    )
    kraken = tmp_path / "trades.csv"
    kraken.write_text(
        '"txid","ordertxid","pair","time","type","ordertype","price","cost","fee","vol","margin","misc","ledgers"\n'
        '"T1","O1","XXBTZUSD","2024-01-02 10:00:00","buy","limit","40000","20000","32","0.5","0","",""\n'
        '"T2","O2","XETHXXBT","2024-01-03 10:00:00","buy","limit","0.05","0.05","0.0001","1","0","",""\n'
    )
    result = run(kraken, "--prices", prices)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["format"] == "kraken" and doc["import"] == {"rows": 2, "unknown_columns": [], "skipped": 0}
    assert doc["positions"]["BTC"]["quantity"] == pytest.approx(0.5 - 0.05 - 0.0001)
    btc_close_jan3 = 40300.0
    assert doc["positions"]["ETH"]["cost_basis"] == pytest.approx(0.05 * btc_close_jan3)


@pytest.mark.parametrize(
    ("transactions", "prices", "args", "expected"),
    [
        ("time,type,symbol,quantity,price_usd\n2024-01-01,buy,BTC,1,-5\n", None, [], "row 2, price_usd: must be a finite number >= 0, got -5.0"),
        ("time,type,symbol,quantity,price_usd\n2024-01-01,buy,BTC,1,1\n2024-01-02,sell,BTC,2,1\n", None, [],
         "row 3, quantity: sells 2 BTC but the portfolio holds 1 on 2024-01-02"),
        ("time,type,symbol,quantity,price_usd\n2024-01-01,transfer_out,ETH,1,\n", None, [],
         "row 2, quantity: transfers out 1 ETH but the portfolio holds none"),
        ("time,type,symbol,quantity\n2024-01-01,buy,BTC,x\n2024-01-02,buy,BTC,y\n", None, [],
         "row 2, quantity: is not a number: 'x'; row 3, quantity: is not a number: 'y' (nothing computed)"),
        ("when,what\n1,2\n", None, [], "header not recognised"),
        ("time,type,symbol,quantity,price_usd\n2024-03-01,buy,BTC,1,1\n", None, [], "after the last price (2024-01-05)"),
        ("time,type,symbol,quantity,price_usd\n2024-01-01,buy,BTC,1,1\n", "date,BTC\n2024-01-01,abc\n", [],
         "column 'BTC' has an unparsable number 'abc' on 2024-01-01"),
        ("time,type,symbol,quantity,price_usd\n2024-01-01,buy,BTC,1,1\n", None, ["--benchmark", "DOGE"],
         "benchmark 'DOGE' is not a column"),
    ],
)  # fmt: skip
def test_bad_files_give_one_line_errors(tmp_path, transactions, prices, args, expected):
    tx, pr = tmp_path / "tx.csv", tmp_path / "prices.csv"
    tx.write_text(transactions)
    pr.write_text(prices or "date,BTC\n" + "".join(f"2024-01-0{d},100\n" for d in range(1, 6)))
    result = run(tx, "--prices", pr, *args)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.output


def test_many_row_errors_are_summarised_on_the_line(tmp_path):
    tx, pr = tmp_path / "tx.csv", tmp_path / "prices.csv"
    tx.write_text("time,type,symbol,quantity\n" + "".join(f"2024-01-01,buy,BTC,bad{i}\n" for i in range(8)))
    pr.write_text("date,BTC\n2024-01-01,1\n")
    result = run(tx, "--prices", pr)
    assert result.exit_code != 0 and result.output.count("\n") == 1
    assert "row 6, quantity" in result.output and "and 3 more" in result.output and "row 7," not in result.output


def test_missing_files(tmp_path):
    assert "cannot read" in run(tmp_path / "nope.csv", "--prices", tmp_path / "p.csv").output
    tx = tmp_path / "tx.csv"
    tx.write_text("time,type,symbol,quantity,price_usd\n2024-01-01,buy,BTC,1,1\n")
    result = run(tx, "--prices", tmp_path / "p.csv")
    assert result.exit_code != 0 and "cannot read" in result.output
    assert run(tx).exit_code != 0  # --prices is required


def test_registered_in_the_console_script():
    from serving.cli.main import cli

    assert cli.commands["pnl"] is pnl
