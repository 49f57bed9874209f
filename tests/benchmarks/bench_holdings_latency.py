"""``crypto-risk bench holdings-latency``: from an API-side holdings write to the new portfolio
risk row, with the Dagster daemon running (target: p95 under 30 s).

Setup: a bench database with 400 days of simulated prices and one portfolio; a PostgreSQL-backed
Dagster instance and ``dagster-daemon run`` on the code location. Each sample writes a holding
and its ``holdings_changed`` outbox event in one transaction (exactly what the API does), then
waits for a ``portfolio_risk_metrics`` row of that portfolio computed after the write: sensor
tick -> queued run -> run launcher -> in-process step -> row.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from tests.benchmarks.support import bench_database, median, percentile
from warehouse import outbox
from warehouse.engine import get_engine, transaction
from warehouse.queries import batch

PORTFOLIO = {"BTC": 0.5, "ETH": 4.0, "SOL": 30.0, "USDC": 2000.0}


def _backfill(url, days: int) -> None:
    from dagster import DagsterInstance, load_asset_checks_from_modules, load_assets_from_modules, materialize
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from assets.definitions import ASSET_MODULES, CHECK_MODULES, resources

    today = dt.datetime.now(dt.UTC).date()
    tags = {ASSET_PARTITION_RANGE_START_TAG: (today - dt.timedelta(days=days)).isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: today.isoformat()}
    with DagsterInstance.get() as instance:
        result = materialize(load_assets_from_modules(ASSET_MODULES) + load_asset_checks_from_modules(CHECK_MODULES),
                             selection=["price_history"], resources=resources(), instance=instance, tags=tags,
                             run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})
        assert result.success


def _write(url, user_id: int, portfolio_id: int, quantity: float) -> dt.datetime:
    with transaction(url) as conn:
        conn.execute(sa.text("UPDATE portfolio_holdings SET quantity = :q, updated_at = now() WHERE portfolio_id = :p "
                             "AND asset_id = (SELECT id FROM crypto_assets WHERE symbol = 'BTC')"),
                     {"q": quantity, "p": portfolio_id})
        outbox.publish(conn, "holdings_changed", {"type": "holding_updated", "portfolio_id": portfolio_id},
                       partition_key=str(portfolio_id), user_id=user_id)
        return conn.execute(sa.text("SELECT now()")).scalar_one()


def _wait_for_row(url, portfolio_id: int, after: dt.datetime, written: float, timeout: float) -> float | None:
    """Seconds from the write's commit until a risk row computed after it is visible."""
    deadline = written + timeout
    with get_engine(url).connect() as conn:
        while time.monotonic() < deadline:
            found = conn.execute(sa.text("SELECT max(computed_at) FROM portfolio_risk_metrics WHERE portfolio_id = :p"),
                                 {"p": portfolio_id}).scalar()
            conn.rollback()
            if found is not None and found > after:
                return time.monotonic() - written
            time.sleep(0.2)
    return None


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="crypto-risk bench holdings-latency")
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for one row")
    args = parser.parse_args(argv)

    from serving.cli import dagster_instance

    url = bench_database("crypto_risk_bench_holdings", fresh=True)
    home = Path(tempfile.mkdtemp(prefix="crypto-risk-bench-dagster-"))
    env = dagster_instance.prepare(url, home) | {"CRYPTO_RISK_MARKET_SOURCE": "simulated"}
    os.environ.update(env)
    with transaction(url) as conn:
        uid, _ = batch.ensure_user(conn, "latency@crypto-risk.dev", "not-a-real-hash")
        pid, _ = batch.ensure_portfolio(conn, uid, "latency", PORTFOLIO)
    _backfill(url, 400)

    daemon = subprocess.Popen([str(Path(sys.executable).parent / "dagster-daemon"), "run", "-m", "assets.definitions"],
                              env={**os.environ, **env}, cwd=home, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    latencies: list[float] = []
    missed = 0
    try:
        # The sensor's first tick only sets its cursor; wait until it has one.
        from dagster import DagsterInstance

        with DagsterInstance.get() as instance:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                ticks = [s for s in instance.all_instigator_state() if s.name == "holdings_changed_sensor"]
                if ticks and ticks[0].instigator_data and getattr(ticks[0].instigator_data, "cursor", None):
                    break
                time.sleep(1)
        for i in range(args.samples):
            written_at = _write(url, uid, pid, 0.5 + i * 0.1)
            latency = _wait_for_row(url, pid, written_at, time.monotonic(), args.timeout)
            if latency is None:
                missed += 1
            else:
                latencies.append(latency)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
    return {
        "p50_s": round(median(latencies), 2) if latencies else None,
        "p95_s": round(percentile(latencies, 0.95), 2) if latencies else None,
        "max_s": round(max(latencies), 2) if latencies else None,
        "samples": len(latencies),
        "missed": missed,
        "target_s": 30,
    }
