"""The live resources behind the same assets, against a local CoinGecko look-alike that follows
CoinGecko's real contract: the tick and the snapshot share one call, a skipped coin is a warning
while the rest lands, schedules keep to the plan's budget, health reports the month's usage."""

from __future__ import annotations

import datetime as dt

import pytest
from dagster import DagsterInstance, RunRequest, SkipReason, build_schedule_context, materialize

from assets.definitions import resources as env_resources
from assets.ingest.schedules import prices_every_5_minutes, provider_health_job
from assets.market.schedules import market_every_10_minutes
from assets.resources import CoinGeckoResource, SimulatedMarketResource
from tests.assets.conftest import ALL_ASSETS, ALL_CHECKS, key, materialize_range, rows
from tests.support.coingecko_server import CoinGeckoLookalike


@pytest.fixture
def live(resources, shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("CRYPTO_RISK_HOME", str(tmp_path))
    monkeypatch.delenv("CRYPTO_RISK_REDIS_URL", raising=False)
    with CoinGeckoLookalike(shared_data) as srv:
        market = CoinGeckoResource(base_url=srv.coingecko_url, calls_per_minute=6000.0)
        yield {**resources, "market": market}, srv


def _checks(result) -> dict:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_the_tick_prices_and_snapshots_every_coin_with_one_call(live, db_url):
    resources, srv = live
    result = materialize(ALL_ASSETS + ALL_CHECKS, selection=["price_history", "market_overview"], resources=resources,
                         partition_key=key(0), run_config={"ops": {"price_history": {"config": {"mode": "tick"}}}})
    assert result.success
    assert srv.endpoint_calls["coins/markets"] == 1  # the snapshot came from the tick's cached answer
    tracked = rows(db_url, "SELECT count(*) FROM crypto_assets WHERE is_active")[0][0]
    assert rows(db_url, "SELECT count(DISTINCT asset_id) FROM price_history WHERE source = 'coingecko'")[0][0] == tracked
    assert rows(db_url, "SELECT count(DISTINCT asset_id) FROM market_snapshots")[0][0] == tracked
    btc = rows(db_url, "SELECT m.time, m.price, a.market_cap_rank FROM market_snapshots m JOIN crypto_assets a "
                       "ON a.id = m.asset_id WHERE a.coingecko_id = 'bitcoin'")[0]
    assert btc[1] == pytest.approx(srv.price_at("bitcoin", btc[0]), rel=1e-9)
    assert btc[2] is not None  # ranks follow the snapshot
    checks = _checks(result)
    assert checks["price_history_coverage"].passed and checks["market_overview_valid"].passed
    meta = {e.asset_key.path[-1]: e.event_specific_data.materialization.metadata
            for e in result.get_asset_materialization_events()}
    assert meta["price_history"]["raw_load_id"].value != "none" and meta["price_history"]["mode"].value == "tick"


def test_a_delisted_coin_is_a_warning_and_the_rest_lands(live, db_url):
    resources, srv = live
    srv.coin_faults["dogecoin"].add("delisted")
    result = materialize_range(["price_history", "asset_risk_metrics"], resources, key(5), key(1))
    assert result.success
    coverage = _checks(result)["price_history_coverage"]
    assert not coverage.passed and coverage.severity.value == "WARN"
    assert coverage.metadata["skipped_coins"].value.startswith("dogecoin: coingecko coins/market_chart/range: ")
    assert "coin not found" in coverage.metadata["skipped_coins"].value
    assert _checks(result)["price_history_valid"].passed
    priced = {r[0] for r in rows(db_url, "SELECT DISTINCT a.coingecko_id FROM price_history p JOIN crypto_assets a "
                                         "ON a.id = p.asset_id")}
    assert "dogecoin" not in priced and {"bitcoin", "ethereum"} <= priced
    assert rows(db_url, "SELECT count(*) FROM risk_metrics")[0][0] > 0  # risk ran on the coins that landed


def test_schedules_keep_to_a_demo_plans_budget(resources, db_url):
    demo = {**resources, "market": CoinGeckoResource(api_key="k", plan_name="demo")}
    full = {**resources, "market": SimulatedMarketResource()}
    instance = DagsterInstance.ephemeral()

    def tick(schedule, minute, res):
        at = dt.datetime(2026, 12, 4, 13, minute, tzinfo=dt.UTC)
        with build_schedule_context(instance=instance, scheduled_execution_time=at, resources=res) as context:
            return schedule(context)

    assert isinstance(tick(prices_every_5_minutes, 10, demo), RunRequest)
    skipped = tick(prices_every_5_minutes, 5, demo)
    assert isinstance(skipped, SkipReason) and "every 10 minutes instead of 5" in skipped.skip_message
    assert isinstance(tick(prices_every_5_minutes, 5, full), RunRequest)  # no monthly limit: every slot
    request = tick(market_every_10_minutes, 2, demo)  # 13:00 (+2): global totals and trending both due
    assert {k.path[-1] for k in request.asset_selection} == {"global_market", "trending_coins"}
    request = tick(market_every_10_minutes, 22, demo)  # 13:20: global totals only (trending every 30)
    assert {k.path[-1] for k in request.asset_selection} == {"global_market"}
    assert isinstance(tick(market_every_10_minutes, 12, demo), SkipReason)


def test_provider_health_records_the_months_usage(live, db_url):
    resources, srv = live
    result = provider_health_job.execute_in_process(resources=resources, tags={"crypto_risk/slot": "2026-12-04T13:00:00+00:00"})
    assert result.success
    stored = {r[0]: r[1:] for r in rows(db_url, "SELECT provider, ok, quota_used, quota_limit, quota_period "
                                                "FROM provider_health")}
    assert stored["coingecko"][:3] == (True, 1, 10_000)
    assert srv.endpoint_calls["ping"] == 1


def test_the_live_or_simulated_choice_is_made_once_from_the_environment(monkeypatch):
    monkeypatch.setenv("CRYPTO_RISK_MARKET_SOURCE", "coingecko")
    monkeypatch.setenv("COINGECKO_API_KEY", "secret")
    monkeypatch.setenv("COINGECKO_PLAN", "demo")
    monkeypatch.delenv("COINGECKO_BASE_URL", raising=False)
    live = env_resources()
    assert isinstance(live["market"], CoinGeckoResource)
    assert {type(live[k]).__name__ for k in ("etherscan", "alphavantage")} == {"EtherscanResource", "AlphaVantageResource"}
    monkeypatch.setenv("CRYPTO_RISK_MARKET_SOURCE", "simulated")
    monkeypatch.setenv("CRYPTO_RISK_SIM_SEED", "7")
    offline = env_resources()
    assert {type(offline[k]).__name__ for k in ("market", "etherscan", "alphavantage")} == {
        "SimulatedMarketResource", "SimulatedWalletsResource", "SimulatedNewsResource"}
    monkeypatch.setenv("CRYPTO_RISK_MARKET_SOURCE", "binance")
    with pytest.raises(Exception, match="CRYPTO_RISK_MARKET_SOURCE must be one of coingecko, simulated"):
        env_resources()
