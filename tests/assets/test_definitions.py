"""The Definitions load, and their shape is the contract: asset keys, deps, partitions, groups,
pools, checks, jobs, schedules and sensors (a change here is a change other code relies on)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from dagster import BackfillPolicy, DailyPartitionsDefinition, WeeklyPartitionsDefinition

from assets.definitions import defs
from assets.partitions import PARTITIONS_START

ASSETS = {
    # key: (deps, daily partitioned, group, pool)
    "price_history": ([], True, "ingest", "crypto_data"),
    "market_overview": (["price_history"], False, "market", "market_data"),
    "trending_coins": ([], False, "market", "market_data"),
    "global_market": ([], False, "market", "market_data"),
    "wallet_analysis": ([], False, "onchain", "blockchain_data"),
    "news_sentiment": ([], False, "sentiment", "market_data"),
    "portfolio_holdings": (["wallet_analysis"], False, "portfolio", "monitoring"),
    "asset_risk_metrics": (["price_history"], True, "risk", "crypto_data"),
    "portfolio_risk_metrics": (["asset_risk_metrics", "portfolio_holdings"], True, "risk", "crypto_data"),
    "correlation_matrix": (["portfolio_holdings", "price_history"], True, "risk", "crypto_data"),
    "warehouse_export": (["asset_risk_metrics", "portfolio_risk_metrics", "price_history"], True, "reports", "maintenance"),
    "weekly_reports": (["ai_insights", "portfolio_risk_metrics"], True, "reports", "maintenance"),  # weekly partitions
    "ai_insights": (["news_sentiment", "portfolio_risk_metrics"], False, "insights", "monitoring"),
    "rebalancing_suggestions": (["portfolio_risk_metrics"], False, "insights", "monitoring"),
}
WEEKLY = {"weekly_reports"}
CHECKS = {
    "price_history": {"price_history_valid", "price_history_fresh", "price_history_coverage"},
    "market_overview": {"market_overview_valid"},
    "trending_coins": {"trending_coins_valid"},
    "wallet_analysis": {"wallet_balances_valid"},
    "news_sentiment": {"news_sentiment_valid"},
    "portfolio_holdings": {"portfolio_holdings_valid"},
    "asset_risk_metrics": {"asset_risk_metrics_valid"},
    "portfolio_risk_metrics": {"portfolio_risk_metrics_valid"},
}
BLOCKING = {"price_history_valid", "wallet_balances_valid", "portfolio_holdings_valid", "asset_risk_metrics_valid",
            "portfolio_risk_metrics_valid"}
SCHEDULES = {
    "prices_every_5_minutes": ("*/5 * * * *", "tick_job"),
    "prices_daily_close": ("5 0 * * *", "prices_job"),
    "market_every_10_minutes": ("2-59/10 * * * *", "market_job"),
    "wallets_hourly": ("0 * * * *", "wallet_job"),
    "cleanup_daily": ("0 2 * * *", "cleanup_job"),
    "provider_health_every_5_minutes": ("*/5 * * * *", "provider_health_job"),
    "risk_daily": ("15 0 * * *", "risk_job"),
    "sentiment_every_2_hours": ("0 */2 * * *", "sentiment_job"),
    "export_daily": ("0 1 * * *", "export_job"),
    "weekly_reports_monday": ("0 7 * * 1", "weekly_reports_job"),
    "insights_weekly": ("0 6 * * 1", "insights_job"),
}
SENSORS = {"holdings_changed_sensor", "risk_alert_sensor", "run_failure_alert"}


@pytest.fixture(scope="module")
def repo():
    return defs().get_repository_def()


def test_asset_graph_snapshot(repo):
    graph = repo.asset_graph
    found = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        found[key.to_user_string()] = (
            sorted(p.to_user_string() for p in node.parent_keys),
            node.partitions_def is not None,
            node.group_name,
            next(iter(node.pools)) if node.pools else None,
        )
    assert found == ASSETS
    for key, (_, partitioned, *_rest) in ASSETS.items():
        node = graph.get(next(k for k in graph.get_all_asset_keys() if k.to_user_string() == key))
        if key in WEEKLY:
            assert isinstance(node.partitions_def, WeeklyPartitionsDefinition)
            assert node.partitions_def.get_partition_keys()[0] == "2022-01-03"  # Mondays, UTC
        elif partitioned:
            assert isinstance(node.partitions_def, DailyPartitionsDefinition)
            assert node.partitions_def.start.date().isoformat() == PARTITIONS_START
            assert node.backfill_policy == BackfillPolicy.single_run()
        assert node.description, f"{key} needs a description for the UI"


def test_checks_snapshot(repo):
    checks: dict[str, set[str]] = {}
    blocking = set()
    graph = repo.asset_graph
    for check_key in graph.asset_check_keys:
        spec = graph.get_check_spec(check_key)
        checks.setdefault(check_key.asset_key.to_user_string(), set()).add(check_key.name)
        if spec.blocking:
            blocking.add(check_key.name)
    assert checks == CHECKS
    assert blocking == BLOCKING


def test_schedules_and_sensors_snapshot(repo):
    assert {s.name: (s.cron_schedule, s.job_name) for s in repo.schedule_defs} == SCHEDULES
    assert {s.name for s in repo.sensor_defs} == SENSORS
    assert repo.get_sensor_def("holdings_changed_sensor").job_name == "portfolio_risk_job"
    assert all(s.execution_timezone == "UTC" for s in repo.schedule_defs)


def test_resources_come_from_the_environment(repo):
    assert set(repo.get_top_level_resources()) == {"warehouse", "market", "etherscan", "alphavantage", "llm"}


@pytest.mark.skipif(shutil.which("dagster") is None, reason="dagster CLI not on PATH")
def test_dagster_cli_validates_the_code_location(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "assets.definitions"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "DAGSTER_HOME": str(tmp_path), "PYTHONPATH": str(__import__("pathlib").Path(__file__).parents[2])},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Validation successful" in done.stderr + done.stdout
