"""One outbox listener per process, fanning events out to every WebSocket subscriber.

A single async psycopg connection ``LISTEN``s on the outbox channel. Notifications only wake the
reader; the reader then pages through ``events_after(last_seq)`` with a pooled connection, so a
burst of commits costs one query, a dropped listener connection loses nothing (it catches up on
reconnect), and seq order is kept. Each event is encoded once and offered to every subscriber's
bounded queue without waiting: a slow client overflows its own queue and is dropped, never
slowing the others.

Fan-out cost is per subscriber, so the per-subscriber work is kept minimal: the ASGI send message
is built once per event and shared by every connection, and heartbeats come from one hub-level
timer rather than a task per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import msgspec
import psycopg
from litestar.types import WebSocketSendEvent

from serving.db import Db
from serving.metrics import OUTBOX_EVENTS, WS_DROPPED
from warehouse.outbox import NOTIFY_CHANNEL, OutboxEvent, events_after, latest_seq
from warehouse.settings import DatabaseUrl

log = logging.getLogger(__name__)

PUBLIC_CHANNELS = frozenset({"price_updates"})
PRIVATE_CHANNELS = frozenset({"portfolio_updates", "risk_metrics_updates", "alerts"})
CHANNELS = PUBLIC_CHANNELS | PRIVATE_CHANNELS
PAGE = 1000
HEARTBEAT = -2  # queue marker: the connection sends a heartbeat carrying its own position
# Why a subscription made with a token ended (``Subscriber.ended``).
SESSION_ENDED, TOKEN_EXPIRED = "session_ended", "token_expired"


def visible(event: OutboxEvent, channels: frozenset[str], user_id: int | None) -> bool:
    """Whether a subscriber sees an event: its channel, and either public data or the user's own.
    Alerts without a user are operator alerts and go to nobody here."""
    if event.channel not in channels:
        return False
    if event.user_id is None:
        return event.channel != "alerts"
    return event.user_id == user_id


def encode(event: OutboxEvent) -> bytes:
    return msgspec.json.encode(event.message())


def text_message(payload: bytes) -> WebSocketSendEvent:
    """The ASGI ``websocket.send`` message for a JSON payload: built once, sent to many (the
    server only reads it)."""
    return {"type": "websocket.send", "bytes": None, "text": payload.decode()}


NO_MESSAGE = text_message(b"")


@dataclass(eq=False)
class Subscriber:
    """One connection's subscription and its bounded send buffer.

    The buffer is a deque and a waiter future rather than an ``asyncio.Queue``: the hub offers
    every event to every subscriber, and the queue's own bookkeeping (loop checks, getter and
    putter lists) was a tenth of the server's CPU at 10,000 subscribers.
    """

    channels: frozenset[str]
    user_id: int | None
    buffer: int
    sid: str | None = None  # the login family of the subscribe token (None without one)
    pending: deque[tuple[int, WebSocketSendEvent]] = field(init=False, default_factory=deque)
    # Resolved when the buffer overflows; a future (not an Event) so a connection can wait on it
    # together with its tasks without a task of its own.
    dropped: asyncio.Future[None] = field(init=False)
    # Resolved, with why, when the subscription's token expires or its session is revoked.
    ended: asyncio.Future[str] = field(init=False)
    # Whether anything was sent since the last heartbeat tick.
    active: bool = False
    _waiter: asyncio.Future[None] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.dropped = loop.create_future()
        self.ended = loop.create_future()

    def offer(self, seq: int, message: WebSocketSendEvent) -> bool:
        """Buffer without waiting; False (and ``dropped`` resolved) when the buffer is full."""
        if len(self.pending) >= self.buffer:
            if not self.dropped.done():
                self.dropped.set_result(None)
            return False
        self.pending.append((seq, message))
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        return True

    def end(self, reason: str) -> None:
        if not self.ended.done():
            self.ended.set_result(reason)

    async def ready(self) -> None:
        """Return once something is buffered (at once if it already is)."""
        while not self.pending:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter


class Hub:
    def __init__(self, db: Db, url: DatabaseUrl, *, heartbeat: float) -> None:
        self.db = db
        self.url = url
        self.heartbeat = heartbeat
        self.last_seq = 0
        # A dict as an ordered set: events fan out in subscription order, the same order for every
        # event, so each connection's place in a broadcast is stable rather than set-hash-random.
        self.subscribers: dict[Subscriber, None] = {}
        self.listeners: list[Callable[[list[OutboxEvent]], Awaitable[None]]] = []
        self.listening = asyncio.Event()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._listen(), name="outbox-listen")]
        await self.listening.wait()
        self.last_seq = await self.db.run(latest_seq)
        self._tasks.append(asyncio.create_task(self._read(), name="outbox-read"))
        self._tasks.append(asyncio.create_task(self._beat(), name="ws-heartbeat"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def add(self, sub: Subscriber) -> None:
        self.subscribers[sub] = None

    def remove(self, sub: Subscriber) -> None:
        self.subscribers.pop(sub, None)

    def end_sessions(self, sids: set[str]) -> None:
        """End the subscriptions made with tokens of these (revoked) login families."""
        for sub in list(self.subscribers):
            if sub.sid in sids:
                sub.end(SESSION_ENDED)

    def _offer(self, sub: Subscriber, seq: int, message: WebSocketSendEvent) -> None:
        if not sub.offer(seq, message):
            self.remove(sub)
            WS_DROPPED.labels("slow_consumer").inc()

    async def _beat(self) -> None:
        """Every interval, queue a heartbeat for each subscriber that was sent nothing else since
        the last tick (so a quiet connection hears from the server once per interval)."""
        while True:
            await asyncio.sleep(self.heartbeat)
            for sub in list(self.subscribers):
                if not sub.active:
                    self._offer(sub, HEARTBEAT, NO_MESSAGE)
                sub.active = False

    async def _listen(self) -> None:
        delay = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url.libpq, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.listening.set()
                    self._wake.set()  # catch up on whatever committed while we were away
                    delay = 0.5
                    async for _ in conn.notifies():
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database restarted or the network blipped: retry
                log.warning("outbox listener lost its connection (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _read(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                while True:
                    events = await self.db.run(events_after, self.last_seq, limit=PAGE)
                    if events:
                        await self._dispatch(events)
                    if len(events) < PAGE:
                        break
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading the outbox failed; retrying")
                await asyncio.sleep(1.0)
                self._wake.set()

    async def _dispatch(self, events: list[OutboxEvent]) -> None:
        OUTBOX_EVENTS.inc(len(events))
        for listener in self.listeners:
            await listener(events)
        for event in events:
            if event.channel in CHANNELS:
                message = text_message(encode(event))
                for sub in list(self.subscribers):
                    if visible(event, sub.channels, sub.user_id):
                        self._offer(sub, event.seq, message)
            # ``last_seq`` means "offered to every subscriber" (a live-only subscriber starts here).
            self.last_seq = event.seq
            # Let every connection's sender run between events: a burst then fills only the
            # buffers of clients that really cannot keep up.
            await asyncio.sleep(0)
