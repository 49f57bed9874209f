"""The instance configured by dagster.yaml works against PostgreSQL (in its own schema), and the
same Definitions run under the multiprocess executor with several runs at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance, DagsterRunStatus

from assets.partitions import POOL_LIMITS, apply_pool_limits
from serving.cli import dagster_instance
from tests.assets.conftest import key, rows
from tests.conftest import ROOT
from warehouse.engine import transaction


@pytest.fixture
def instance(db_url, tmp_path, monkeypatch):
    for name in ("DAGSTER_HOME", "DAGSTER_PG_URL", "CRYPTO_RISK_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    env = dagster_instance.prepare(db_url, tmp_path / "dagster")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CRYPTO_RISK_MARKET_SOURCE", "simulated")
    with DagsterInstance.get() as inst:
        yield inst


def test_instance_stores_runs_in_the_dagster_schema(instance, db_url):
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    assert instance.run_retries_enabled and instance.run_retries_max_retries == 2
    assert apply_pool_limits(instance) == POOL_LIMITS
    assert instance.event_log_storage.get_concurrency_info("blockchain_data").slot_count == POOL_LIMITS["blockchain_data"]

    tables = dict(rows(db_url, "SELECT table_name, table_schema FROM information_schema.tables "
                               "WHERE table_name IN ('runs', 'event_logs', 'jobs', 'alembic_version', "
                               "'crypto_risk_alembic_version', 'price_history')"))
    assert tables == {"runs": "dagster", "event_logs": "dagster", "jobs": "dagster", "alembic_version": "dagster",
                      "crypto_risk_alembic_version": "public", "price_history": "public"}


def test_multiprocess_executor_runs_concurrent_partitions(instance, db_url, tmp_path):
    """Three runs of the same job at once (separate processes, as the run launcher starts them),
    each executing its steps under the multiprocess executor against the PostgreSQL instance."""
    apply_pool_limits(instance)
    days = [key(3), key(2), key(1)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "dagster", "job", "execute", "-m", "assets.definitions", "-j", "prices_job",
             "--tags", json.dumps({"dagster/partition": d})],
            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for d in days
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs[0][-3000:]

    records = instance.get_run_records()
    by_partition = {r.dagster_run.tags.get("dagster/partition"): r for r in records}
    assert set(days) <= set(by_partition)
    for d in days:
        run = by_partition[d].dagster_run
        assert run.status == DagsterRunStatus.SUCCESS and run.job_name == "prices_job"
        kinds = {e.dagster_event.event_type_value for e in instance.all_logs(run.run_id) if e.dagster_event}
        assert "STEP_WORKER_STARTED" in kinds  # steps ran in their own processes
    starts = sorted(by_partition[d].start_time for d in days)
    ends = sorted(by_partition[d].end_time for d in days)
    assert starts[-1] < ends[0]  # the runs overlapped in time
    with transaction(db_url) as conn:
        per_day = conn.execute(sa.text("SELECT time::date::text, count(*) FROM price_history GROUP BY 1 ORDER BY 1")).all()
    assert [d for d, _ in per_day] == days and len({n for _, n in per_day}) == 1
