"""WebSocket /ws against a real uvicorn server: partitions written through the warehouse reach
subscribers within a second, private channels, replay with ``since``, heartbeats, slow clients,
two serving processes."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from dataclasses import replace

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from serving.app import create_app
from tests.serving.conftest import make_user, start_server, stop_server
from tests.serving.data import DAY, raise_alert, write_portfolio_risk, write_price_partition
from warehouse.engine import transaction
from warehouse.outbox import publish


def subscribe(ws_url: str, channels: list[str], *, since: int | None = None, token: str | None = None, **kw):
    ws = connect(ws_url, open_timeout=5, compression=None, legacy=True, **kw)
    message = {"op": "subscribe", "channels": channels}
    if since is not None:
        message["since"] = since
    if token is not None:
        message["token"] = token
    ws.send(json.dumps(message))
    ack = json.loads(ws.recv(timeout=5))
    assert ack["type"] == "subscribed", ack
    return ws, ack


def next_event(ws, timeout: float = 3.0) -> dict:
    """The next non-control message."""
    deadline = time.monotonic() + timeout
    while True:
        msg = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if msg["channel"] is not None:
            return msg


def test_partition_reaches_a_subscriber_within_a_second(live_server, db_url):
    ws, _ = subscribe(live_server.ws, ["price_updates"])
    with ws:
        start = time.monotonic()
        seq = write_price_partition(db_url, "BTC", DAY, [42000.0, 42100.0])
        event = next_event(ws, timeout=1.0)
        elapsed = time.monotonic() - start
        assert event == {
            "channel": "price_updates",
            "seq": seq,
            "type": "partition",
            "data": {"type": "partition", "symbol": "BTC", "day": "2025-01-01", "rows": 2},
        }
        assert elapsed < 1.0


def test_private_channels_need_a_token_and_carry_only_the_users_data(live_server, db_url):
    with httpx.Client(base_url=live_server.base) as http:
        alice, bob = make_user(http, "alice@example.com"), make_user(http, "bob@example.com")
        ws = connect(live_server.ws, compression=None, legacy=True)
        ws.send(json.dumps({"op": "subscribe", "channels": ["portfolio_updates"]}))
        error = json.loads(ws.recv(timeout=5))
        assert error["type"] == "error" and error["data"]["field"] == "token"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd.code == 4401
        ws = connect(live_server.ws, compression=None, legacy=True)
        ws.send(json.dumps({"op": "subscribe", "channels": ["alerts"], "token": alice.access_token + "x"}))
        assert json.loads(ws.recv(timeout=5))["data"]["field"] == "token"
        ws.close()

        ws, ack = subscribe(
            live_server.ws, ["portfolio_updates", "risk_metrics_updates", "alerts"], token=alice.access_token
        )
        assert ack["data"]["user_id"] == alice.id
        with ws:
            bobs = http.post("/api/v1/portfolios", json={"name": "B"}, headers=bob.headers).json()["id"]
            raise_alert(db_url, bob.id)
            write_portfolio_risk(db_url, bobs, bob.id, DAY, 3)
            mine = http.post("/api/v1/portfolios", json={"name": "A"}, headers=alice.headers).json()["id"]
            http.post(
                f"/api/v1/portfolios/{mine}/holdings", json={"symbol": "ETH", "quantity": 2}, headers=alice.headers
            )
            alert_id = raise_alert(db_url, alice.id)
            write_portfolio_risk(db_url, mine, alice.id, DAY, 8)
            got = [next_event(ws) for _ in range(4)]
            assert [(e["channel"], e["type"]) for e in got] == [
                ("portfolio_updates", "portfolio_created"),
                ("portfolio_updates", "holding_added"),
                ("alerts", "alert"),
                ("risk_metrics_updates", "portfolio_risk"),
            ]
            assert got[0]["data"]["portfolio_id"] == mine and got[2]["data"]["alert_id"] == alert_id
            with pytest.raises(TimeoutError):  # nothing of Bob's follows
                next_event(ws, timeout=0.5)


def test_reconnect_with_since_misses_nothing(live_server, db_url):
    ws, ack = subscribe(live_server.ws, ["price_updates"])
    with ws:
        first = [write_price_partition(db_url, "BTC", DAY, [1.0 + i]) for i in range(2)]
        assert [next_event(ws)["seq"] for _ in first] == first
    last_seen = first[-1]
    missed = [write_price_partition(db_url, "ETH", DAY, [2.0 + i]) for i in range(3)]
    ws, ack = subscribe(live_server.ws, ["price_updates"], since=last_seen)
    assert ack["seq"] == last_seen
    with ws:
        live = write_price_partition(db_url, "SOL", DAY, [3.0])
        seqs = [next_event(ws)["seq"] for _ in range(4)]
        assert seqs == missed + [live]
        with pytest.raises(TimeoutError):  # no duplicates
            next_event(ws, timeout=0.3)
    # From the beginning: everything, in order.
    ws, _ = subscribe(live_server.ws, ["price_updates"], since=0)
    with ws:
        assert [next_event(ws)["seq"] for _ in range(6)] == first + missed + [live]


def test_bad_subscribe_is_refused_naming_the_field(live_server):
    for message, field in [
        ({"op": "subscribe", "channels": ["weather"]}, "channels"),
        ({"op": "subscribe", "channels": []}, "channels"),
        ({"op": "subscribe", "channels": ["price_updates"], "since": -1}, "since"),
        ({"op": "listen", "channels": ["price_updates"]}, "op"),
    ]:
        ws = connect(live_server.ws, compression=None, legacy=True)
        ws.send(json.dumps(message))
        error = json.loads(ws.recv(timeout=5))
        assert error["type"] == "error" and error["data"]["field"] == field, (message, error)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd.code == 4400


def test_heartbeats_and_ping(live_server):
    ws, ack = subscribe(live_server.ws, ["price_updates"])
    with ws:
        beat = json.loads(ws.recv(timeout=2))
        assert beat == {"channel": None, "seq": ack["seq"], "type": "heartbeat", "data": {}}
        ws.send(json.dumps({"op": "ping"}))
        assert any(json.loads(ws.recv(timeout=2))["type"] == "pong" for _ in range(3))


def test_slow_client_is_dropped_without_slowing_others(settings, db_url):
    live, server, thread = start_server(create_app(replace(settings, ws_buffer=8)))
    try:
        # The slow client's socket has a tiny receive window and it never reads.
        # (set before connecting, so the window is small from the handshake on).
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        raw.connect(("127.0.0.1", int(live.base.rsplit(":", 1)[1])))
        slow, _ = subscribe(live.ws, ["price_updates"], sock=raw, max_queue=1)
        fast, _ = subscribe(live.ws, ["price_updates"])
        received: list[int] = []

        def read_fast() -> None:
            while len(received) < 400:
                received.append(next_event(fast, timeout=10)["seq"])

        reader = threading.Thread(target=read_fast)
        reader.start()
        blob = "x" * 6000
        with transaction(db_url) as conn:
            seqs = [publish(conn, "price_updates", {"type": "tick", "i": i, "pad": blob}) for i in range(400)]
        reader.join(timeout=20)
        assert received == seqs  # the fast client got everything, in order
        assert len(live.app.state.hub.subscribers) == 1  # the slow one is gone
        text = httpx.get(live.base + "/metrics").text
        assert re.search(r'^crypto_risk_ws_clients_dropped_total\{reason="slow_consumer"\} [1-9]', text, re.M)
        fast.close()
        raw.close()
    finally:
        stop_server(server, thread)


def test_two_serving_processes_both_deliver(live_server, second_server, db_url):
    one, _ = subscribe(live_server.ws, ["price_updates"])
    two, _ = subscribe(second_server.ws, ["price_updates"])
    with one, two:
        seq = write_price_partition(db_url, "BTC", DAY, [5.0])
        assert next_event(one, 1.0)["seq"] == seq
        assert next_event(two, 1.0)["seq"] == seq


def test_a_token_subscription_ends_when_the_token_expires(settings, db_url):
    live, server, thread = start_server(create_app(replace(settings, access_token_seconds=2)))
    try:
        with httpx.Client(base_url=live.base) as http:
            alice = make_user(http, "alice@example.com")
            ws, _ = subscribe(live.ws, ["portfolio_updates"], token=alice.access_token)
            with ws:
                mine = http.post("/api/v1/portfolios", json={"name": "A"}, headers=alice.headers).json()["id"]
                created = next_event(ws)
                assert created["data"]["portfolio_id"] == mine  # streams while the token is valid
                error = None
                deadline = time.monotonic() + 6
                while error is None and time.monotonic() < deadline:
                    msg = json.loads(ws.recv(timeout=6))
                    error = msg if msg["type"] == "error" else None
                assert error is not None and error["data"]["field"] == "token"
                assert f"since={created['seq']}" in error["data"]["message"]
                with pytest.raises(ConnectionClosed) as closed:
                    ws.recv(timeout=5)
                assert closed.value.rcvd.code == 4401
            assert live.app.state.hub.subscribers == {}
    finally:
        stop_server(server, thread)
