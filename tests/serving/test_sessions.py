"""Sessions end at once: logout and password change refuse the access tokens issued under them
in this process immediately, in every other serving process as the outbox event arrives, in a
process started later, and on live WebSocket subscriptions."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from litestar.testing import TestClient
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from serving.app import create_app
from serving.auth.revocations import Revocations
from tests.serving.conftest import PASSWORD, SECRET, make_user
from tests.serving.test_ws import subscribe


def _login(http, email: str) -> dict[str, str]:
    r = http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()


def _bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _refused_within(http, headers: dict[str, str], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if http.get("/api/v1/me", headers=headers).status_code == 401:
            return True
        time.sleep(0.02)
    return False


def test_logout_ends_that_session_only(client, alice):
    other = _login(client, alice.email)  # a second device
    assert client.post("/api/v1/auth/logout", json={"refresh_token": alice.refresh_token}).status_code == 204
    assert client.get("/api/v1/me", headers=alice.headers).status_code == 401  # at once, no waiting
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": alice.refresh_token}).status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(other)).status_code == 200
    # Logging out again, or with a token nobody issued, is harmless.
    assert client.post("/api/v1/auth/logout", json={"refresh_token": alice.refresh_token}).status_code == 204
    assert client.post("/api/v1/auth/logout", json={"refresh_token": "made-up"}).status_code == 204


def test_logout_also_ends_the_access_tokens_issued_before_a_refresh(client, alice):
    rotated = client.post("/api/v1/auth/refresh", json={"refresh_token": alice.refresh_token}).json()
    assert client.get("/api/v1/me", headers=alice.headers).status_code == 200  # still within its lifetime
    assert client.post("/api/v1/auth/logout", json={"refresh_token": rotated["refresh_token"]}).status_code == 204
    for headers in (alice.headers, _bearer(rotated)):
        assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_password_change_ends_every_session(client, alice):
    other = _login(client, alice.email)
    r = client.post(
        "/api/v1/auth/password",
        headers=alice.headers,
        json={"current_password": PASSWORD, "new_password": "a new long password"},
    )
    assert r.status_code == 204
    for headers in (alice.headers, _bearer(other)):
        assert client.get("/api/v1/me", headers=headers).status_code == 401
    fresh = client.post("/api/v1/auth/login", json={"email": alice.email, "password": "a new long password"})
    assert client.get("/api/v1/me", headers=_bearer(fresh.json())).status_code == 200


def test_a_token_without_a_session_is_refused(client, alice):
    now = int(time.time())
    claims = {"sub": str(alice.id), "iat": now, "exp": now + 600, "iss": "crypto-risk"}
    for extras in ({}, {"extras": {}}, {"extras": {"sid": 7}}):
        token = jwt.encode(claims | extras, SECRET, algorithm="HS256")
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_revocation_reaches_the_other_serving_processes(live_server, second_server):
    with httpx.Client(base_url=live_server.base) as one, httpx.Client(base_url=second_server.base) as two:
        user = make_user(one, "alice@example.com")
        assert two.get("/api/v1/me", headers=user.headers).status_code == 200
        assert one.post("/api/v1/auth/logout", json={"refresh_token": user.refresh_token}).status_code == 204
        assert _refused_within(two, user.headers, 2.0)


def test_a_process_started_later_knows_earlier_revocations(settings):
    with TestClient(create_app(settings)) as first:
        user = make_user(first, "alice@example.com")
        assert first.post("/api/v1/auth/logout", json={"refresh_token": user.refresh_token}).status_code == 204
    with TestClient(create_app(settings)) as later:
        assert later.get("/api/v1/me", headers=user.headers).status_code == 401


def test_logout_ends_a_live_websocket_subscription(live_server):
    with httpx.Client(base_url=live_server.base) as http:
        user = make_user(http, "alice@example.com")
        ws, _ = subscribe(live_server.ws, ["portfolio_updates"], token=user.access_token)
        with ws:
            assert http.post("/api/v1/auth/logout", json={"refresh_token": user.refresh_token}).status_code == 204
            msg = json.loads(ws.recv(timeout=5))
            while msg["type"] == "heartbeat":
                msg = json.loads(ws.recv(timeout=5))
            assert msg["type"] == "error" and msg["data"]["field"] == "token"
            assert "session ended" in msg["data"]["message"]
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=5)
            assert closed.value.rcvd.code == 4401
        # And the revoked token cannot subscribe again.
        with connect(live_server.ws, compression=None) as ws:
            ws.send(json.dumps({"op": "subscribe", "channels": ["alerts"], "token": user.access_token}))
            refused = json.loads(ws.recv(timeout=5))
        assert refused["type"] == "error" and refused["data"]["field"] == "token"


def test_revocations_are_forgotten_once_their_tokens_have_expired():
    ended: list[set[str]] = []
    revocations = Revocations(access_token_seconds=60, on_revoke=ended.append)
    now = datetime.now(UTC)
    revocations.add(["old"], now - timedelta(seconds=60 + revocations.keep))
    revocations.add(["recent"], now - timedelta(seconds=30))
    assert not revocations.revoked("old")  # every token issued before it has expired
    assert revocations.revoked("recent")
    assert not revocations.revoked("never") and not revocations.revoked(None)
    assert ended == [{"old"}, {"recent"}]  # what the sessions hold open is ended as they are revoked
