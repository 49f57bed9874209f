"""The Dagster instance the CLI runs: ``DAGSTER_HOME`` under ``CRYPTO_RISK_HOME`` with the
repository's ``dagster.yaml``, storage in the warehouse database's ``dagster`` schema."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import quote

import psycopg

from warehouse.settings import DatabaseUrl, home_dir

SCHEMA = "dagster"
STORAGE_URL_ENV = "DAGSTER_PG_URL"
REPO_ROOT = Path(__file__).resolve().parents[2]
INSTANCE_YAML = REPO_ROOT / "dagster.yaml"


def storage_url(url: DatabaseUrl) -> str:
    """psycopg2 URL (dagster-postgres needs it) whose connections search only the ``dagster`` schema."""
    base = url.psycopg2
    return base + ("&" if "?" in base else "?") + "options=" + quote(f"-csearch_path={SCHEMA}", safe="")


def ensure_schema(url: DatabaseUrl) -> None:
    with psycopg.connect(url.libpq, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"')


def prepare(url: DatabaseUrl, home: Path | None = None) -> dict[str, str]:
    """Create the schema and DAGSTER_HOME (with dagster.yaml); return the environment Dagster
    processes need (also applied to this process)."""
    if not INSTANCE_YAML.exists():
        raise FileNotFoundError(f"{INSTANCE_YAML} is missing: run from a source checkout of crypto-risk")
    home = home or home_dir() / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(INSTANCE_YAML, home / "dagster.yaml")
    ensure_schema(url)
    env = {"DAGSTER_HOME": str(home), STORAGE_URL_ENV: storage_url(url), "CRYPTO_RISK_DATABASE_URL": url.url}
    os.environ.update(env)
    return env
