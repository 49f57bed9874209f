"""End-to-end fixtures: the real API in a uvicorn subprocess on a free loopback port (restartable),
and Debian's headless Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from warehouse.settings import DatabaseUrl

CHROMIUM = Path(os.environ.get("CRYPTO_RISK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``crypto-risk``'s app under uvicorn in its own process, as ``crypto-risk serve`` runs it."""

    def __init__(self, url: DatabaseUrl, log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = {
            **os.environ,
            "CRYPTO_RISK_DATABASE_URL": url.url,
            # Fixed for the test so tokens stay valid across a restart, as in production.
            "CRYPTO_RISK_JWT_SECRET": "e2e-secret-that-is-long-enough-for-hs256-0123456789",
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "serving.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.base + "/health", timeout=1).status_code in (200, 503):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start in 30 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture
def server(db_url: DatabaseUrl, tmp_path: Path) -> Iterator[Server]:
    s = Server(db_url, tmp_path / "server.log")
    s.start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the e2e extra is not installed (pip install -e .[e2e])"
    )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Console:
    """Console errors and uncaught exceptions of a page, except while ``expecting_outage``."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        self.outage = False
        page.on("console", lambda m: m.type == "error" and not self.outage and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, service_workers="allow")
    p = context.new_page()
    p.set_default_timeout(15_000)
    p.console = Console(p)
    try:
        yield p
    finally:
        context.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where the views are saved: ``CRYPTO_RISK_SCREENSHOTS`` (e.g. docs/screenshots) or a temp dir."""
    target = Path(os.environ.get("CRYPTO_RISK_SCREENSHOTS") or tmp_path / "screenshots")
    target.mkdir(parents=True, exist_ok=True)
    return target
