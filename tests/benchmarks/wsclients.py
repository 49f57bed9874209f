"""WebSocket clients for the fan-out benchmark (run as separate processes by bench_ws).

``python -m tests.benchmarks.wsclients WS_URL CLIENTS EVENTS`` opens CLIENTS connections, each
subscribed to ``price_updates``; prints ``ready`` once all are subscribed, then records when each
connection receives each event and, after EVENTS events per connection (or a quiet spell), prints
``{"received": {seq: [unix times...]}, "probe": {seq: time}, "failed": N}``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import defaultdict

from websockets.asyncio.client import connect

SUBSCRIBE = json.dumps({"op": "subscribe", "channels": ["price_updates"]})


async def client(url: str, events: int, received, probe: dict | None, ready: asyncio.Event, opened: list) -> None:
    async with connect(url, compression=None, open_timeout=60, ping_interval=None, max_queue=64) as ws:
        await ws.send(SUBSCRIBE)
        assert json.loads(await ws.recv())["type"] == "subscribed"
        opened.append(1)
        ready.set()
        got = 0
        while got < events:
            message = await asyncio.wait_for(ws.recv(), 60)
            now = time.time()
            event = json.loads(message)
            if event["channel"] is None:
                continue
            received[event["seq"]].append(now)
            if probe is not None:
                probe[event["seq"]] = now
            got += 1


async def main(url: str, clients: int, events: int) -> None:
    received: dict[int, list[float]] = defaultdict(list)
    probe: dict[int, float] = {}
    opened: list[int] = []
    gate = asyncio.Semaphore(100)  # connect in waves, not all at once
    tasks = []

    async def one(i: int) -> None:
        async with gate:
            ready = asyncio.Event()
            task = asyncio.create_task(client(url, events, received, probe if i == 0 else None, ready, opened))
            tasks.append(task)
            await asyncio.wait([task, asyncio.create_task(ready.wait())], return_when=asyncio.FIRST_COMPLETED)

    await asyncio.gather(*(one(i) for i in range(clients)))
    print(f"ready {len(opened)}", flush=True)
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failed = sum(1 for r in results if isinstance(r, BaseException))
    print(json.dumps({"received": received, "probe": probe, "failed": failed}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
