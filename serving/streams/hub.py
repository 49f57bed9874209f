"""One outbox listener per process, fanning events out to every WebSocket subscriber.

A single async psycopg connection ``LISTEN``s on the outbox channel. Notifications only wake the
reader; the reader then pages through ``events_after(last_seq)`` with a pooled connection, so a
burst of commits costs one query, a dropped listener connection loses nothing (it catches up on
reconnect), and seq order is kept. Each event is encoded once and offered to every subscriber's
bounded queue without waiting: a slow client overflows its own queue and is dropped, never
slowing the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import msgspec
import psycopg

from serving.db import Db
from serving.metrics import OUTBOX_EVENTS, WS_DROPPED
from warehouse.outbox import NOTIFY_CHANNEL, OutboxEvent, events_after, latest_seq
from warehouse.settings import DatabaseUrl

log = logging.getLogger(__name__)

PUBLIC_CHANNELS = frozenset({"price_updates"})
PRIVATE_CHANNELS = frozenset({"portfolio_updates", "risk_metrics_updates", "alerts"})
CHANNELS = PUBLIC_CHANNELS | PRIVATE_CHANNELS
PAGE = 1000


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


@dataclass(eq=False)
class Subscriber:
    channels: frozenset[str]
    user_id: int | None
    buffer: int
    queue: asyncio.Queue[tuple[int, bytes]] = field(init=False)
    dropped: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(maxsize=self.buffer)

    def offer(self, seq: int, message: bytes) -> bool:
        """Queue without waiting; False (and ``dropped`` set) when the buffer is full."""
        try:
            self.queue.put_nowait((seq, message))
            return True
        except asyncio.QueueFull:
            self.dropped.set()
            return False


class Hub:
    def __init__(self, db: Db, url: DatabaseUrl) -> None:
        self.db = db
        self.url = url
        self.last_seq = 0
        self.subscribers: set[Subscriber] = set()
        self.listeners: list[Callable[[list[OutboxEvent]], Awaitable[None]]] = []
        self.listening = asyncio.Event()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._listen(), name="outbox-listen")]
        await self.listening.wait()
        self.last_seq = await self.db.run(latest_seq)
        self._tasks.append(asyncio.create_task(self._read(), name="outbox-read"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def add(self, sub: Subscriber) -> None:
        self.subscribers.add(sub)

    def remove(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

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
                message = encode(event)
                for sub in list(self.subscribers):
                    if visible(event, sub.channels, sub.user_id) and not sub.offer(event.seq, message):
                        self.remove(sub)
                        WS_DROPPED.labels("slow_consumer").inc()
            # ``last_seq`` means "offered to every subscriber" (a live-only subscriber starts here).
            self.last_seq = event.seq
            # Let every connection's sender run between events: a burst then fills only the
            # buffers of clients that really cannot keep up.
            await asyncio.sleep(0)
