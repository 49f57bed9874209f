"""Shared pieces of the benchmarks: a dedicated database beside the configured one, timers."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import psycopg

from warehouse import embedded, migrate
from warehouse.settings import DatabaseUrl


def bench_database(name: str, *, fresh: bool) -> DatabaseUrl:
    """A migrated database ``name`` on the configured server (or the embedded one).

    Benchmarks never touch the application's own database. ``fresh`` drops and recreates it.
    """
    app = embedded.resolve_url()
    with psycopg.connect(app.with_database("postgres").libpq, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if fresh and exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if fresh or not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    url = app.with_database(name)
    migrate.upgrade(url)
    return url


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values)
