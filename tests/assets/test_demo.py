"""``crypto-risk demo --no-serve`` end to end on a real database, twice (the second run reuses)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.assets.conftest import key, rows
from tests.conftest import ROOT


def _demo(db_url, home) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "CRYPTO_RISK_", "OPENAI_"))}
    env |= {"CRYPTO_RISK_DATABASE_URL": db_url.url, "CRYPTO_RISK_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "serving.cli", "demo", "--no-serve"], cwd=home, env=env,
                          capture_output=True, text=True, timeout=900)


def test_demo_no_serve_prepares_everything_and_reuses_it(db_url, tmp_path):
    first = _demo(db_url, tmp_path)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert f"simulated price backfill {key(400)} .. {key(0)}" in first.stdout
    assert "ready (--no-serve" in first.stdout

    days = rows(db_url, "SELECT count(DISTINCT time::date) FROM price_history")[0][0]
    assert days >= 401
    users = rows(db_url, "SELECT email FROM users ORDER BY email")
    assert users == [("demo@crypto-risk.dev",), ("trader@crypto-risk.dev",)]
    hashes = rows(db_url, "SELECT password_hash FROM users")
    assert all(h.startswith("$argon2id$") for (h,) in hashes)
    per_portfolio = rows(db_url, "SELECT portfolio_id, count(*), count(risk_score) FROM portfolio_risk_metrics "
                                 "GROUP BY 1 ORDER BY 1")
    # 401 days of prices: every day but the first (no return yet) has a risk row.
    assert len(per_portfolio) == 3 and all(n == 400 for _, n, _ in per_portfolio)
    assert all(scored >= 30 for *_, scored in per_portfolio)  # the days with a full 365-day window
    # Five runs, all in the Dagster instance: the price backfill, the snapshots, risk and export,
    # insights, and last week's reports.
    runs = rows(db_url, "SELECT count(*) FROM dagster.runs WHERE status = 'SUCCESS'")[0][0]
    assert rows(db_url, "SELECT count(*) FROM ai_insights")[0][0] > 0
    assert runs == 5 and (tmp_path / "dagster" / "dagster.yaml").exists()
    # Last closed week's report of every portfolio, for the dashboard's Reports page.
    reports = rows(db_url, "SELECT portfolio_id, period_end - period_start FROM reports ORDER BY 1")
    assert [n for _, n in reports] == [6, 6, 6]

    second = _demo(db_url, tmp_path)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "already there: kept as they are" in second.stdout
    assert f"simulated price backfill {key(0)} .. {key(0)}" in second.stdout  # only today's moving partition
    assert rows(db_url, "SELECT count(*) FROM users")[0][0] == 2
    assert rows(db_url, "SELECT count(*) FROM portfolios")[0][0] == 3
