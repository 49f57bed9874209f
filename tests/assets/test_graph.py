"""The whole graph materialized on the simulated market into real PostgreSQL, and idempotence."""

from __future__ import annotations

from contextlib import contextmanager

import polars as pl
import pytest

from assets.resources import SimulatedMarketResource
from pipelines.coingecko import POINTS
from tests.assets.conftest import key, materialize_range, rows

SNAPSHOTS = ["market_overview", "trending_coins", "wallet_analysis", "news_sentiment", "portfolio_holdings"]
RISK = ["asset_risk_metrics", "portfolio_risk_metrics", "correlation_matrix"]
METRICS = ("volatility_30d, volatility_90d, volatility_365d, sharpe, sortino, max_drawdown, current_drawdown, "
           "var_95, var_99, es_95, es_99, var_95_parametric, var_95_cornish_fisher, beta_btc, beta_market")


def _checks_passed(result) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


@pytest.fixture
def history(resources, portfolio, db_url):
    """400 days of simulated daily prices, then the snapshot assets (what `crypto-risk demo` does)."""
    prices = materialize_range(["price_history"], resources, key(400), key(0))
    assert prices.success
    snapshots = materialize_range(SNAPSHOTS, resources, key(0), key(0))
    assert snapshots.success
    return portfolio


def test_whole_graph_materializes_with_checks_passing(history, resources, db_url, tmp_path):
    result = materialize_range(
        [*RISK, "warehouse_export"], resources, key(2), key(0),
        run_config={"ops": {"warehouse_export": {"config": {"out_dir": str(tmp_path)}}}},
    )
    assert result.success
    checks = _checks_passed(result)
    assert checks["asset_risk_metrics_valid"] and checks["portfolio_risk_metrics_valid"]

    universe = rows(db_url, "SELECT count(DISTINCT asset_id) FROM price_history WHERE time >= now() - interval '2 days'")[0][0]
    per_day = rows(db_url, "SELECT time, count(*) FROM risk_metrics GROUP BY time ORDER BY time")
    assert [n for _, n in per_day] == [universe] * 3

    pid = history["portfolio_id"]
    (value, score, components, contributions, stress, var95, hhi), *_ = rows(
        db_url,
        "SELECT value_usd, risk_score, score_components, contributions, stress, var_95, hhi "
        "FROM portfolio_risk_metrics WHERE portfolio_id = :p ORDER BY time DESC", p=pid,
    )
    # 400 days of history: the 365-day window is complete, so the full set is there.
    assert value > 0 and 1 <= score <= 10 and 0 < var95 < 1 and 0 < hhi <= 1
    assert round(sum(c["points"] for c in components.values()) + 1, 2) == pytest.approx(score, abs=0.01)
    held = set(contributions["holdings"])
    assert {"BTC", "ETH", "SOL", "USDC"} <= held  # the wallet adds tokens beside the manual positions
    assert sum(h["weight"] for h in contributions["holdings"].values()) == pytest.approx(1.0)
    assert "stablecoin_depeg" in stress and stress["stablecoin_depeg"]["portfolio_return"] < 0

    # Correlations: the universe's matrix and the portfolio's, symmetric with a unit diagonal.
    matrices = rows(db_url, "SELECT portfolio_id, symbols, matrix FROM correlation_matrices WHERE time = "
                            "(SELECT max(time) FROM correlation_matrices) ORDER BY portfolio_id NULLS FIRST")
    assert [m[0] for m in matrices] == [None, pid]
    symbols, matrix = matrices[1][1], matrices[1][2]
    assert set(symbols) == held
    for i in range(len(symbols)):
        assert matrix[i][i] == pytest.approx(1.0)
        for j in range(len(symbols)):
            assert matrix[i][j] == pytest.approx(matrix[j][i])

    # Every asset and every materialization recorded an outbox event in its transaction.
    channels = dict(rows(db_url, "SELECT channel, count(*) FROM event_outbox GROUP BY channel"))
    assert channels["price_updates"] >= 4 and channels["risk_metrics_updates"] >= 3
    assert (tmp_path / "price_history").is_dir() and (tmp_path / "portfolio_risk_metrics").is_dir()


def test_short_history_gives_nulls_with_reasons(resources, portfolio, db_url):
    assert materialize_range(["price_history"], resources, key(40), key(0)).success
    result = materialize_range(["asset_risk_metrics"], resources, key(0), key(0))
    assert result.success and _checks_passed(result)["asset_risk_metrics_valid"]
    (vol30, vol365, sharpe, reasons), *_ = rows(
        db_url, "SELECT volatility_30d, volatility_365d, sharpe, null_reasons FROM risk_metrics r "
                "JOIN crypto_assets a ON a.id = r.asset_id WHERE a.symbol = 'BTC'")
    assert vol30 > 0
    assert vol365 is None and sharpe is None
    assert "365" in reasons["volatility_365d"] and reasons["sharpe"]


def test_same_partition_twice_gives_identical_rows(history, resources, db_url):
    def snapshot() -> dict[str, list[tuple]]:
        return {
            "prices": rows(db_url, "SELECT * FROM price_history WHERE time >= now() - interval '3 days' ORDER BY 1, 2"),
            "assets": rows(db_url, f"SELECT asset_id, time, window_days, {METRICS}, null_reasons FROM risk_metrics ORDER BY 1, 2"),
            "portfolios": rows(db_url, f"SELECT portfolio_id, time, value_usd, {METRICS}, hhi, risk_score, "
                                       "score_components, contributions, stress, backtest, null_reasons "
                                       "FROM portfolio_risk_metrics ORDER BY 1, 2"),
            "correlations": rows(db_url, "SELECT portfolio_id, time, symbols, matrix FROM correlation_matrices "
                                         "ORDER BY 1 NULLS FIRST, 2"),
        }

    assert materialize_range(["price_history", *RISK], resources, key(1), key(1)).success
    first = snapshot()
    assert materialize_range(["price_history", *RISK], resources, key(1), key(1)).success
    assert snapshot() == first
    assert len(first["portfolios"]) == 1 and len(first["assets"]) > 30


class GappyMarket(SimulatedMarketResource):
    """The simulated market with one coin missing on one day (a provider that skipped a point)."""

    missing_day: str

    def feed(self, url):
        inner = super().feed(url)
        day = self.missing_day

        class Gappy:
            source = inner.source

            @contextmanager
            def history(self, coins, start, end):
                with inner.history(coins, start, end) as harvest:
                    eth = next(c.asset_id for c in coins if c.symbol == "ETH")
                    harvest.frames[POINTS] = [f.filter(~((pl.col("asset_id") == eth)
                                                         & (pl.col("time").dt.date().cast(pl.String) == day)))
                                              for f in harvest.frames[POINTS]]
                    yield harvest

        return Gappy()


def test_a_gap_in_an_answer_is_reported_and_risk_skips_that_coin(resources, portfolio, db_url):
    gappy = {**resources, "market": GappyMarket(missing_day=key(2))}
    result = materialize_range(["price_history", "asset_risk_metrics"], gappy, key(4), key(1))
    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    coverage = checks["price_history_coverage"]
    eth = rows(db_url, "SELECT id FROM crypto_assets WHERE symbol = 'ETH'")[0][0]
    assert not coverage.passed and coverage.severity.value == "WARN"
    assert coverage.metadata["gaps"].value == f"{eth}@{key(2)}"
    assert checks["price_history_valid"].passed
    risk = rows(db_url, "SELECT count(*) FROM risk_metrics WHERE asset_id = :a AND time >= :t", a=eth, t=key(2))
    assert risk[0][0] == 0  # no number computed across the hole
    assert rows(db_url, "SELECT count(*) FROM risk_metrics WHERE asset_id <> :a", a=eth)[0][0] > 0
