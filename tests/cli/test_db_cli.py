"""``crypto-risk db ...`` on the embedded default, as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psycopg
import pytest


def _run(*args: str, home, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CRYPTO_RISK_DATABASE_URL"} | {"CRYPTO_RISK_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "serving.cli", *args], env=env, capture_output=True, text=True, check=check, timeout=120
    )


@pytest.fixture
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("crypto-risk-home")
    home.chmod(0o755)
    yield home
    _run("db", "stop", home=home, check=False)


def test_embedded_lifecycle(home):
    assert _run("db", "status", home=home, check=False).returncode == 1  # nothing yet, said plainly

    started = _run("db", "start", home=home)
    url = started.stdout.strip().splitlines()[-1]
    assert url.startswith("postgresql://") and f"host={home}" in url

    assert _run("db", "url", home=home).stdout.strip() == url
    before = json.loads(_run("db", "status", "--json", home=home).stdout)
    assert before["revision"] is None and before["timescale_enabled"] is False

    _run("db", "migrate", home=home)
    _run("db", "migrate", home=home)  # twice is a no-op
    after = json.loads(_run("db", "status", "--json", home=home).stdout)
    assert after["up_to_date"] and after["revision"] == after["head"]
    with psycopg.connect(url) as conn:  # the printed URL works for other tools as it is
        assert conn.execute("SELECT count(*) FROM crypto_assets").fetchone()[0] >= 50

    assert "stopped" in _run("db", "stop", home=home).stdout
    _run("db", "start", home=home)  # data survives a restart
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM crypto_assets").fetchone()[0] >= 50


def test_bad_database_url_is_a_clear_cli_error(tmp_path):
    env = os.environ | {"CRYPTO_RISK_DATABASE_URL": "mysql://x/y", "CRYPTO_RISK_HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "serving.cli", "db", "url"], env=env, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "CRYPTO_RISK_DATABASE_URL must be a postgresql:// URL" in proc.stderr
    assert "Traceback" not in proc.stderr
