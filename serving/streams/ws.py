"""WebSocket ``/ws``: subscribe, replay from the outbox, then live events from the hub.

Protocol (ARCHITECTURE.md): the client's first message is
``{"op": "subscribe", "channels": [...], "since": SEQ?, "token": JWT?}``; every server message is
``{"channel", "seq", "type", "data"}``. Control messages have ``channel: null``: ``subscribed``
(``seq`` = where the stream starts), ``heartbeat`` (``seq`` = last event sent), ``pong``,
``error``. Replay and live events are merged by seq, so each event arrives once, in order.

Close codes: 4400 bad subscribe message, 4401 missing, invalid, expired or revoked token (a
connection subscribed with a token is closed when the token expires: the client subscribes again
with a fresh token and ``since`` = the last seq it saw, and misses nothing; and when its session
ends by logout or password change), 1013 the client read too slowly and its buffer overflowed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import NotAuthorizedException, WebSocketDisconnect

from serving.auth.tokens import AuthUser, decode_access_token
from serving.metrics import WS_CONNECTIONS, WS_EVENTS_SENT
from serving.streams.hub import (
    HEARTBEAT,
    PRIVATE_CHANNELS,
    SESSION_ENDED,
    TOKEN_EXPIRED,
    Hub,
    Subscriber,
    encode,
    text_message,
    visible,
)
from warehouse.outbox import events_after

Channel = Literal["price_updates", "portfolio_updates", "risk_metrics_updates", "alerts"]
REPLAY_PAGE = 500
CONTROL = -1  # queue marker: a control message (pong, error) queued by the reader


class Subscribe(msgspec.Struct, forbid_unknown_fields=True):
    op: Literal["subscribe"]
    channels: Annotated[list[Channel], msgspec.Meta(min_length=1, max_length=4)]
    since: Annotated[int, msgspec.Meta(ge=0)] | None = None
    token: str | None = None


class Refused(Exception):
    def __init__(self, code: int, field: str | None, message: str) -> None:
        super().__init__(message)
        self.code, self.field, self.message = code, field, message


def control(kind: str, seq: int | None, data: dict | None = None) -> bytes:
    return msgspec.json.encode({"channel": None, "seq": seq, "type": kind, "data": data or {}})


def _field_of(exc: msgspec.ValidationError) -> str | None:
    text = str(exc)
    return text.rsplit("`$.", 1)[1].split("`")[0].split("[")[0] if "`$." in text else None


async def _handshake(socket: WebSocket, timeout: float) -> Subscribe:
    try:
        raw = await asyncio.wait_for(socket.receive_data(mode="text"), timeout)
        return msgspec.json.decode(raw, type=Subscribe)
    except TimeoutError:
        raise Refused(4400, None, "no subscribe message in time") from None
    except msgspec.ValidationError as exc:
        raise Refused(4400, _field_of(exc), str(exc)) from None
    except msgspec.DecodeError:
        raise Refused(4400, None, "the message is not JSON") from None


def _authorize(socket: WebSocket, request: Subscribe) -> tuple[AuthUser | None, dt.datetime | None]:
    """The subscriber's user and its token's expiry (both None without a token)."""
    private = PRIVATE_CHANNELS.intersection(request.channels)
    if request.token is None:
        if private:
            raise Refused(4401, "token", f"channels {', '.join(sorted(private))} need a token")
        return None, None
    state = socket.app.state
    try:
        return decode_access_token(state.jwt_auth, state.revocations, request.token)
    except NotAuthorizedException:
        raise Refused(4401, "token", "the token is invalid, expired or revoked") from None


_ENDED = {
    SESSION_ENDED: "the session ended (logout or password change)",
    TOKEN_EXPIRED: "the token expired: subscribe again with a fresh token and since={since}",
}


class Stream:
    """One subscribed connection: ``pump`` sends what the hub queues, ``read`` answers pings;
    heartbeats are queued by the hub's timer."""

    def __init__(self, socket: WebSocket, hub: Hub, sub: Subscriber) -> None:
        self.socket, self.hub, self.sub = socket, hub, sub
        # The raw (Litestar-wrapped) ASGI send: messages come ready-made from the hub.
        self.send = socket.send
        self.last_sent = 0

    async def replay(self, since: int) -> None:
        """Send every stored event after ``since``; join the hub before the last page so
        nothing committed in between is missed (duplicates are dropped by seq)."""
        self.last_sent = since
        joined = False
        while True:
            events = await self.hub.db.run(
                events_after,
                self.last_sent,
                channels=sorted(self.sub.channels),
                user_id=self.sub.user_id,
                limit=REPLAY_PAGE,
            )
            for event in events:
                if visible(event, self.sub.channels, self.sub.user_id):
                    await self.send(text_message(encode(event)))
                    WS_EVENTS_SENT.inc()
                self.last_sent = max(self.last_sent, event.seq)
            if len(events) < REPLAY_PAGE:
                if joined:
                    return
                self.hub.add(self.sub)
                joined = True

    async def pump(self) -> None:
        # The sender wakes in the same loop turn the hub offers an event; whatever else is
        # buffered by then goes out in the same wake-up.
        sub, pending, send = self.sub, self.sub.pending, self.send
        while True:
            await sub.ready()
            sent = replies = 0
            while pending:
                seq, message = pending.popleft()
                if seq > self.last_sent:
                    await send(message)
                    self.last_sent = seq
                    sent += 1
                elif seq == HEARTBEAT:
                    await send(text_message(control("heartbeat", self.last_sent)))
                elif seq == CONTROL:
                    await send(message)
                    replies += 1
            if sent or replies:  # a heartbeat alone leaves the connection quiet: one per interval
                sub.active = True
            if sent:
                WS_EVENTS_SENT.inc(sent)

    async def read(self) -> None:
        while True:
            raw = await self.socket.receive_data(mode="text")
            try:
                op = msgspec.json.decode(raw).get("op")
            except (msgspec.DecodeError, AttributeError):
                op = None
            reply = (
                control("pong", self.last_sent)
                if op == "ping"
                else control("error", None, {"message": 'only {"op": "ping"} is accepted after subscribing'})
            )
            self.sub.offer(CONTROL, text_message(reply))


async def _until_first(stops: list[asyncio.Future], *coros) -> None:
    """Run ``coros`` as tasks until one ends or one of ``stops`` resolves; then cancel the rest."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        await asyncio.wait([*stops, *tasks], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                await task


@websocket("/ws", opt={"exclude_from_auth": True})
async def stream(socket: WebSocket) -> None:
    """Live outbox events; see the module docstring for the protocol."""
    settings, hub = socket.app.state.settings, socket.app.state.hub
    await socket.accept()
    WS_CONNECTIONS.inc()
    sub: Subscriber | None = None
    timer: asyncio.TimerHandle | None = None
    try:
        request = await _handshake(socket, settings.ws_subscribe_timeout_seconds)
        user, expires = _authorize(socket, request)
        user_id = user.id if user else None
        sub = Subscriber(frozenset(request.channels), user_id, settings.ws_buffer, user.sid if user else None)
        if expires is not None:
            delay = max(0.0, (expires - dt.datetime.now(dt.UTC)).total_seconds())
            timer = asyncio.get_running_loop().call_later(delay, sub.end, TOKEN_EXPIRED)
        s = Stream(socket, hub, sub)
        if request.since is None:
            # Join in the same loop turn as reading the position: no event falls in between.
            s.last_sent = start = hub.last_seq
            hub.add(sub)
        else:
            start = request.since
        await socket.send_data(
            control("subscribed", start, {"channels": sorted(sub.channels), "user_id": user_id}), mode="text"
        )
        if request.since is not None:
            await s.replay(request.since)
        await _until_first([sub.dropped, sub.ended], s.pump(), s.read())
        if sub.dropped.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(socket.close(code=1013, reason="slow consumer: buffer overflow"), 1.0)
        elif sub.ended.done():
            raise Refused(4401, "token", _ENDED[sub.ended.result()].format(since=s.last_sent))
    except Refused as exc:
        with contextlib.suppress(Exception):
            await socket.send_data(control("error", None, {"field": exc.field, "message": exc.message}), mode="text")
            await socket.close(code=exc.code, reason=exc.message[:120])
    except WebSocketDisconnect:
        pass
    finally:
        if timer is not None:
            timer.cancel()
        if sub is not None:
            hub.remove(sub)
        WS_CONNECTIONS.dec()
