"""Serving processes for the API and WebSocket benchmarks: uvicorn in a child process, as
``crypto-risk serve`` runs it, plus a bare Litestar app as the framework's limit."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import psutil
from litestar import Litestar, get

from warehouse.settings import DatabaseUrl

SECRET = "benchmark-secret-0123456789abcdef-0123456789abcdef"


@get("/bare")
async def bare() -> dict[str, object]:
    return {"ok": True, "items": [1, 2, 3]}


def bare_app() -> Litestar:
    """The framework alone: one JSON route, no middleware, no database."""
    return Litestar(route_handlers=[bare], openapi_config=None)


def raise_open_files() -> int:
    """Lift the soft open-file limit to the hard one (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Served:
    base: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server and its worker processes."""
        root = psutil.Process(self.pid)
        total = 0.0
        for proc in [root, *root.children(recursive=True)]:
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total


def server_command(factory: str, port: int, workers: int) -> list[str]:
    """uvicorn as ``crypto-risk serve`` runs it: uvloop and httptools (uvicorn's defaults when
    installed, as here), the sans-I/O ``websockets`` implementation, no access log, no compression
    of WebSocket messages, a deep accept backlog."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--ws",
        "websockets-sansio",
        "--ws-per-message-deflate",
        "false",
        "--backlog",
        "4096",
    ]


@contextmanager
def serve(factory: str, url: DatabaseUrl, *, workers: int, ready_path: str) -> Iterator[Served]:
    port = free_port()
    env = os.environ | {
        "CRYPTO_RISK_DATABASE_URL": url.url,
        "CRYPTO_RISK_JWT_SECRET": SECRET,
        "CRYPTO_RISK_ENV": "production",
    }
    cmd = server_command(factory, port, workers)
    proc = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + ready_path, timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{factory} did not start")
            time.sleep(0.2)
        time.sleep(0.5 * workers)  # let every worker finish its startup
        yield Served(base, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
