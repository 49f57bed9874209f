"""WebSocket clients for the fan-out benchmark (run as separate processes by bench_ws).

``python -m tests.benchmarks.wsclients WS_URL CLIENTS EVENTS [--probe]`` opens CLIENTS connections,
each subscribed to ``price_updates``; prints ``ready N`` once all are subscribed, then records when
each connection receives each event and, after EVENTS events per connection (or a quiet spell),
prints ``{"received": {seq: [unix times...]}, "probe": {seq: time}, "failed": N, "cpu_seconds": S}``
(S: this process's CPU time from ready to the end). With ``--probe`` the first connection is the
probe: it subscribes alone (``probe`` is printed) before the others connect, and ``probe`` holds its
receive times; without, ``probe`` is empty.

The load generator must not be the bottleneck it measures: each connection is the ``websockets``
sans-I/O client protocol (no compression) driven by an ``asyncio.Protocol`` on uvloop, so a
received event costs a frame parse and a JSON decode, with no task, future or timer per message.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import defaultdict

import uvloop
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

SUBSCRIBE = json.dumps({"op": "subscribe", "channels": ["price_updates"]}).encode()
QUIET_SECONDS = 60.0


class Client(asyncio.Protocol):
    def __init__(self, url: str, events: int, received, probe: dict | None) -> None:
        self.ws = ClientProtocol(parse_uri(url))
        self.events, self.received, self.probe = events, received, probe
        self.got = 0
        self.subscribed = asyncio.get_running_loop().create_future()
        self.finished = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.ws.send_request(self.ws.connect())
        self._flush()

    def _flush(self) -> None:
        data = self.ws.data_to_send()
        if data and self.transport is not None:
            self.transport.write(b"".join(data))

    def _end(self, error: BaseException | None) -> None:
        for fut in (self.subscribed, self.finished):
            if not fut.done():
                if error is None:
                    fut.set_result(None)
                else:
                    fut.set_exception(error)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Response):
                if event.status_code != 101:
                    self._end(RuntimeError(f"handshake refused: {event.status_code}"))
                    return
                self.ws.send_text(SUBSCRIBE)
            elif event.opcode is Opcode.TEXT:
                message = json.loads(event.data)
                if message["channel"] is None:
                    if message["type"] == "subscribed" and not self.subscribed.done():
                        self.subscribed.set_result(None)
                    continue
                self.received[message["seq"]].append(now)
                if self.probe is not None:
                    self.probe[message["seq"]] = now
                self.got += 1
                if self.got >= self.events:
                    self._end(None)
        self._flush()  # the subscribe message, pongs, the closing handshake

    def connection_lost(self, exc: Exception | None) -> None:
        self._end(exc or ConnectionError(f"closed after {self.got} of {self.events} events"))


async def main(url: str, clients: int, events: int, with_probe: bool) -> None:
    received: dict[int, list[float]] = defaultdict(list)
    probe: dict[int, float] = {}
    uri = parse_uri(url)
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(100)  # connect in waves, not all at once
    opened: list[Client] = []

    async def one(i: int) -> None:
        async with gate:
            _, client = await loop.create_connection(
                lambda: Client(url, events, received, probe if with_probe and i == 0 else None), uri.host, uri.port
            )
            await asyncio.wait_for(client.subscribed, 60)
            opened.append(client)

    first = 0
    if with_probe:
        await one(0)
        print("probe", flush=True)
        first = 1
    connects = await asyncio.gather(*(one(i) for i in range(first, clients)), return_exceptions=True)
    print(f"ready {len(opened)}", flush=True)
    cpu = time.process_time()
    done, _ = await asyncio.wait([c.finished for c in opened], timeout=events * 10 + QUIET_SECONDS)
    cpu = time.process_time() - cpu
    failed = sum(1 for c in connects if isinstance(c, BaseException))
    failed += sum(1 for c in opened if not c.finished.done() or c.finished.exception() is not None)
    for c in opened:
        if c.transport is not None:
            c.transport.close()
    print(json.dumps({"received": received, "probe": probe, "failed": failed, "cpu_seconds": cpu}), flush=True)


if __name__ == "__main__":
    uvloop.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), "--probe" in sys.argv[4:]))
