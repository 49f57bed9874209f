"""Connections: one pooled SQLAlchemy engine per database URL (psycopg 3 underneath).

Bulk COPY and LISTEN/NOTIFY use the psycopg connection under a pooled SQLAlchemy connection
(``raw_psycopg``), so there is one pool and one way to connect.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warehouse.settings import DatabaseUrl

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def get_engine(url: DatabaseUrl, *, pool_size: int = 5, max_overflow: int = 10) -> Engine:
    """The process-wide engine for ``url`` (created on first use)."""
    with _lock:
        engine = _engines.get(url.url)
        if engine is None:
            engine = sa.create_engine(
                url.sqlalchemy,
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_pre_ping=True,
                # Connections are recycled so a restarted server never leaves stale sockets.
                pool_recycle=1800,
            )
            _engines[url.url] = engine
        return engine


def dispose_engine(url: DatabaseUrl) -> None:
    with _lock:
        engine = _engines.pop(url.url, None)
    if engine is not None:
        engine.dispose()


def raw_psycopg(conn: Connection) -> psycopg.Connection:
    """The psycopg connection behind a SQLAlchemy connection (for COPY), same transaction."""
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    return driver


@contextmanager
def transaction(url: DatabaseUrl) -> Iterator[Connection]:
    """A pooled connection inside one transaction: commit on success, roll back on error."""
    with get_engine(url).begin() as conn:
        yield conn
