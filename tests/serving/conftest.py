"""Serving fixtures: the app over a fresh migrated database, Litestar's test client for plain HTTP
and a real uvicorn server on a free loopback port for WebSocket and load-shaped tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

import httpx
import pytest
import uvicorn
from litestar import Litestar
from litestar.testing import TestClient

from serving.app import create_app
from serving.settings import ServingSettings
from warehouse.settings import DatabaseUrl

SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"
PASSWORD = "correct horse battery"


@pytest.fixture
def settings(db_url: DatabaseUrl) -> ServingSettings:
    return ServingSettings(
        database_url=db_url, jwt_secret=SECRET, ws_heartbeat_seconds=0.5, ws_subscribe_timeout_seconds=2.0
    )


@pytest.fixture
def client(settings: ServingSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    base: str
    ws: str
    app: Litestar


def start_server(app: Litestar) -> tuple[LiveServer, uvicorn.Server, threading.Thread]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return LiveServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws", app), server, thread


def stop_server(server: uvicorn.Server, thread: threading.Thread) -> None:
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def live_server(settings: ServingSettings) -> Iterator[LiveServer]:
    live, server, thread = start_server(create_app(settings))
    try:
        yield live
    finally:
        stop_server(server, thread)


@pytest.fixture
def second_server(settings: ServingSettings) -> Iterator[LiveServer]:
    """Another serving process's worth of app (own pool, own listener) on the same database."""
    live, server, thread = start_server(create_app(replace(settings)))
    try:
        yield live
    finally:
        stop_server(server, thread)


@dataclass
class User:
    id: int
    email: str
    headers: dict[str, str]
    access_token: str
    refresh_token: str


def make_user(http: TestClient | httpx.Client, email: str) -> User:
    r = http.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    user_id = r.json()["id"]
    r = http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    return User(
        user_id, email, {"Authorization": f"Bearer {body['access_token']}"}, body["access_token"], body["refresh_token"]
    )


@pytest.fixture
def alice(client: TestClient) -> User:
    return make_user(client, "alice@example.com")


@pytest.fixture
def bob(client: TestClient) -> User:
    return make_user(client, "bob@example.com")


def problem_field(response: httpx.Response) -> str | None:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return response.json().get("field")
