"""``crypto-risk risk`` on real files: the JSON contract, the table, and one-line errors."""

from __future__ import annotations

import json

import empyrical as ep
import numpy as np
import pytest
from click.testing import CliRunner

from serving.cli.risk import risk
from tests.metrics.series import close_prices

METRIC_KEYS = {
    "volatility_30d",
    "volatility_90d",
    "volatility_365d",
    "sharpe",
    "sortino",
    "max_drawdown",
    "var_95",
    "var_99",
    "es_95",
    "es_99",
    "var_95_parametric",
    "var_95_cornish_fisher",
    "beta_btc",
    "beta_market",
}


def run(*args: str):
    return CliRunner().invoke(risk, [str(a) for a in args])


@pytest.fixture
def real_csv(shared_data):
    return shared_data / "prices" / "cmc_2017_2021_close.csv"


def test_json_contract_on_real_prices(real_csv, tmp_path):
    holdings = tmp_path / "h.json"
    holdings.write_text(json.dumps({"BTC": 0.5, "ETH": 10}))
    result = run(real_csv, "--holdings", holdings, "--window", "180", "--rf", "0.02")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert {"as_of", "window", "annualization", "assets", "portfolio", "correlation"} <= doc.keys()
    assert doc["as_of"] == "2021-07-06" and doc["window"] == 180 and doc["annualization"] == 365
    symbols, _, prices = close_prices(real_csv)
    assert list(doc["assets"]) == symbols and doc["correlation"]["symbols"] == symbols
    for metrics in doc["assets"].values():
        assert METRIC_KEYS <= metrics.keys()
    assert METRIC_KEYS | {"hhi", "risk_score"} <= doc["portfolio"].keys()
    assert 1 <= doc["portfolio"]["risk_score"] <= 10
    # Independently: the portfolio's Sharpe over the last 180 returns of 0.5 BTC + 10 ETH.
    value = 0.5 * prices[:, symbols.index("BTC")] + 10 * prices[:, symbols.index("ETH")]
    r = ep.simple_returns(value)[-180:]
    rf = 1.02 ** (1 / 365) - 1
    assert doc["portfolio"]["sharpe"] == pytest.approx(ep.sharpe_ratio(r, risk_free=rf, annualization=365), rel=1e-9)
    eth = ep.simple_returns(prices[:, symbols.index("ETH")])
    assert doc["assets"]["ETH"]["var_95"] == pytest.approx(-ep.value_at_risk(eth[-180:], 0.05), rel=1e-9)
    matrix = np.array(doc["correlation"]["matrix"], dtype=float)
    np.testing.assert_allclose(matrix, matrix.T)


def test_table_format_is_for_people(real_csv):
    result = run(real_csv, "--format", "table")
    assert result.exit_code == 0, result.output
    assert "Risk report as of 2021-07-06" in result.output
    assert "PORTFOLIO" in result.output and "risk score" in result.output and "Kupiec" in result.output


def test_nulls_carry_reasons_in_json(tmp_path):
    csv = tmp_path / "p.csv"
    rows = ["date,BTC,NEW"]
    for i in range(400):
        day = np.datetime64("2021-01-01") + i
        new = "" if i < 200 else f"{2 + 0.01 * np.sin(i)}"
        rows.append(f"{day},{30000 + 100 * np.sin(i / 3)},{new}")
    csv.write_text("\n".join(rows) + "\n")
    doc = json.loads(run(csv).output)
    assert doc["assets"]["NEW"]["sharpe"] is None
    assert "started trading on 2021-07-20" in doc["assets"]["NEW"]["null_reasons"]["sharpe"]


@pytest.mark.parametrize(
    ("content", "holdings", "expected"),
    [
        ("day,BTC\n2021-01-01,1\n", None, "no 'date' column"),
        ("date,BTC\n2021-01-01,1\n2021-01-02,abc\n", None, "column 'BTC' has an unparsable number 'abc' on 2021-01-02"),
        ("date,BTC\n2021-01-01,1\n2021-01-02,-5\n", None, "column 'BTC' has a non-positive price (-5) on 2021-01-02"),
        (
            "date,BTC\n2021-01-01,1\n2021-01-02,\n2021-01-03,2\n",
            None,
            "missing (NaN) price after it started trading on 2021-01-02",
        ),
        ("date,BTC\n2021-01-01,1\n2021-01-02,inf\n", None, "infinite price"),
        ("date,BTC\nyesterday,1\n", None, "not an ISO date"),
        ("date,BTC\n2021-01-01,1\n2021-01-02,2\n", {"DOGE": 1}, "unknown symbol 'DOGE'"),
        ("date,BTC\n2021-01-01,1\n2021-01-02,2\n", {"BTC": "lots"}, "not a number"),
        ("date,BTC\n2021-01-01,1\n2021-01-02,2\n", {"BTC": -1}, ">= 0"),
        ("date,ETH\n2021-01-01,1\n2021-01-02,2\n", None, "benchmark 'BTC' is not a column"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path, content, holdings, expected):
    csv = tmp_path / "prices.csv"
    csv.write_text(content)
    args = [csv]
    if holdings is not None:
        h = tmp_path / "h.json"
        h.write_text(json.dumps(holdings))
        args += ["--holdings", h]
    result = run(*args)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.output


def test_missing_and_invalid_json_files(tmp_path):
    csv = tmp_path / "prices.csv"
    csv.write_text("date,BTC\n2021-01-01,1\n")
    assert run(tmp_path / "nope.csv").exit_code != 0
    bad = tmp_path / "h.json"
    bad.write_text("{not json")
    result = run(csv, "--holdings", bad)
    assert result.exit_code != 0 and "not valid JSON" in result.output
    assert run(csv, "--window", "5").exit_code != 0


def test_registered_in_the_console_script():
    from serving.cli.main import cli

    assert cli.commands["risk"] is risk


MODEL_KEYS = {
    "volatility_ewma",
    "volatility_garch",
    "var_95_ewma",
    "var_95_fhs",
    "var_95_mc",
    "calmar",
    "ulcer_index",
    "omega",
    "drawdown_duration_days",
}


def test_json_carries_the_models_on_real_prices(real_csv, tmp_path):
    holdings = tmp_path / "h.json"
    holdings.write_text(json.dumps({"BTC": 0.5, "ETH": 10, "DOGE": 100000}))
    result = run(real_csv, "--holdings", holdings)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    for metrics in (*doc["assets"].values(), doc["portfolio"]):
        assert MODEL_KEYS <= metrics.keys()
        assert all(metrics[k] is not None for k in MODEL_KEYS), metrics["null_reasons"]
    p = doc["portfolio"]
    assert p["var_95_fhs"] > 0 and p["var_95_mc"] > 0 and p["var_95_ewma"] > 0
    assert set(p["backtest"]) == {"historical", "ewma", "fhs", "mc"}
    for by_level in p["backtest"].values():
        for bt in by_level.values():
            assert {"kupiec_p", "christoffersen_ind_p", "conditional_coverage_p", "traffic_light"} <= bt.keys()
            assert bt["traffic_light"] in {"green", "yellow", "red"} and 0 <= bt["conditional_coverage_p"] <= 1
    # The historical model's Kupiec p is the existing var_backtest's.
    assert p["backtest"]["historical"]["var_99"]["kupiec_p"] == pytest.approx(p["var_backtest"]["var_99"]["p_value"])
    symbols, _, _ = close_prices(real_csv)
    for key in ("tail_dependence", "spearman"):
        assert doc[key]["symbols"] == symbols
        matrix = np.array(doc[key]["matrix"], dtype=float)
        np.testing.assert_allclose(matrix, matrix.T)
        assert np.all(np.diag(matrix) == 1.0)
    assert p["correlation_regime"]["label"] in {"calm", "stressed"}
    table = run(real_csv, "--holdings", holdings, "--format", "table").output
    assert "VaR models" in table and "Christoffersen" in table and "Correlation regime" in table


def test_models_null_with_reasons_on_a_short_file(tmp_path):
    csv = tmp_path / "p.csv"
    rows = ["date,BTC,ETH"] + [
        f"{np.datetime64('2021-01-01') + i},{30000 * (1 + 0.02 * np.sin(i))},{2000 * (1 + 0.03 * np.cos(i / 2))}"
        for i in range(80)
    ]
    csv.write_text("\n".join(rows) + "\n")
    doc = json.loads(run(csv, "--window", "60").output)
    p = doc["portfolio"]
    assert p["volatility_garch"] is None and "GARCH(1,1) needs 100 returns" in p["null_reasons"]["volatility_garch"]
    assert p["volatility_ewma"] is not None
    assert p["backtest"]["fhs"]["var_95"]["null_reason"]
