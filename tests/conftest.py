"""Shared fixtures: a real PostgreSQL, one fresh database per test.

The server is ``CRYPTO_RISK_TEST_DATABASE_URL`` when set, else the local server at
127.0.0.1:5432 when it answers, else the embedded one. A migrated template database is built once
per session (per migration set); each test gets ``CREATE DATABASE ... TEMPLATE`` (fast) and the
database is dropped afterwards.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from warehouse.engine import dispose_engine
from warehouse.settings import DatabaseUrl

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
MIGRATIONS = ROOT / "warehouse" / "migrations" / "versions"


def _server_url() -> DatabaseUrl:
    configured = os.environ.get("CRYPTO_RISK_TEST_DATABASE_URL")
    if configured:
        return DatabaseUrl(configured)
    local = DatabaseUrl("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        psycopg.connect(local.libpq, connect_timeout=2).close()
        return local
    except psycopg.OperationalError:
        from warehouse import embedded

        return embedded.start().with_database("postgres")


def _admin(url: DatabaseUrl) -> psycopg.Connection:
    return psycopg.connect(url.libpq, autocommit=True)


def create_database(server: DatabaseUrl, name: str, template: str | None = None) -> DatabaseUrl:
    with _admin(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return server.with_database(name)


def drop_database(server: DatabaseUrl, url: DatabaseUrl) -> None:
    dispose_engine(url)
    with _admin(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


def _migrations_hash(timescale: bool) -> str:
    h = hashlib.sha256(b"ts" if timescale else b"plain")
    for path in sorted(MIGRATIONS.glob("*.py")) + [
        ROOT / "warehouse" / "timescale.py",
        ROOT / "warehouse" / "seed.py",
        ROOT / "warehouse" / "models.py",
    ]:
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


@pytest.fixture(scope="session")
def pg_server() -> DatabaseUrl:
    return _server_url()


def _template(server: DatabaseUrl, timescale: bool) -> str:
    from warehouse import migrate

    name = f"crt_tpl_{'ts' if timescale else 'plain'}_{_migrations_hash(timescale)}"
    with _admin(server) as lock:
        # Parallel test processes build each template once: the first holds the lock.
        lock.execute("SELECT pg_advisory_lock(7468201)")
        if lock.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return name
        url = create_database(server, name + "_build")
        prev = os.environ.get("CRYPTO_RISK_TIMESCALE")
        os.environ["CRYPTO_RISK_TIMESCALE"] = "auto" if timescale else "off"
        try:
            migrate.upgrade(url)
        finally:
            if prev is None:
                os.environ.pop("CRYPTO_RISK_TIMESCALE")
            else:
                os.environ["CRYPTO_RISK_TIMESCALE"] = prev
        dispose_engine(url)
        # A template nobody may connect to: Timescale's job scheduler stays out, so cloning
        # never fails with "source database is being accessed by other users".
        lock.execute(f'ALTER DATABASE "{url.database}" WITH ALLOW_CONNECTIONS false IS_TEMPLATE true')
        lock.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (url.database,),
        )
        lock.execute(f'ALTER DATABASE "{url.database}" RENAME TO "{name}"')
        for (old,) in lock.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
            (f"crt_tpl_{'ts' if timescale else 'plain'}_%", name),
        ).fetchall():
            lock.execute(f'ALTER DATABASE "{old}" IS_TEMPLATE false')
            lock.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
        return name


def timescale_available(server: DatabaseUrl) -> bool:
    with _admin(server) as conn:
        has_ext = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'").fetchone()
        preload = conn.execute("SHOW shared_preload_libraries").fetchone()[0]
    return bool(has_ext) and "timescaledb" in preload


def _fresh(server: DatabaseUrl, timescale: bool) -> Iterator[DatabaseUrl]:
    template = _template(server, timescale)
    url = create_database(server, f"crt_test_{uuid.uuid4().hex[:12]}", template=template)
    try:
        yield url
    finally:
        drop_database(server, url)


@pytest.fixture
def db_url(pg_server: DatabaseUrl) -> Iterator[DatabaseUrl]:
    """A migrated database of plain PostgreSQL tables (Timescale off), dropped after the test."""
    yield from _fresh(pg_server, timescale=False)


@pytest.fixture
def ts_db_url(pg_server: DatabaseUrl) -> Iterator[DatabaseUrl]:
    """A migrated database with TimescaleDB features on; skips when the extension is missing."""
    if not timescale_available(pg_server):
        pytest.skip("TimescaleDB is not installed and preloaded on the test server")
    yield from _fresh(pg_server, timescale=True)


@pytest.fixture
def empty_db_url(pg_server: DatabaseUrl) -> Iterator[DatabaseUrl]:
    """An empty database (no migrations), dropped after the test."""
    url = create_database(pg_server, f"crt_test_{uuid.uuid4().hex[:12]}")
    try:
        yield url
    finally:
        drop_database(pg_server, url)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real recorded data in ../shared/data; skips when the folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (it sits beside the repository in CI)")
    return SHARED_DATA
