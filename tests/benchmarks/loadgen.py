"""Open-loop HTTP load generator (run as a separate process by the API benchmark).

``python -m tests.benchmarks.loadgen BASE PATH TOKEN RATE CONNECTIONS SECONDS`` prints
``{"latencies": [...], "errors": N, "seconds": S}`` (S: from the first scheduled request to the
last response, so ``len(latencies) / S`` is the rate achieved, whatever was offered). Request k goes to connection k % CONNECTIONS at
``start + k / RATE``; its latency counts from that scheduled time, so a slow response delays the
connection's next request without hiding the wait (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time


async def _connection(host, port, request: bytes, times: list[float], out: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    for scheduled in times:
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"content-length: *(\d+)", head, re.I).group(1))
        await reader.readexactly(length)
        if not head.startswith(b"HTTP/1.1 200"):
            errors.append(1)
        out.append(time.perf_counter() - scheduled)
    writer.close()


async def run(base: str, path: str, token: str, rate: float, connections: int, seconds: float) -> dict:
    host, port = base.removeprefix("http://").split(":")
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    start = time.perf_counter() + 0.5
    total = int(rate * seconds)
    schedules = [[start + k / rate for k in range(c, total, connections)] for c in range(connections)]
    latencies: list[float] = []
    errors: list[int] = []
    await asyncio.gather(*(_connection(host, int(port), request, s, latencies, errors) for s in schedules))
    return {"latencies": latencies, "errors": len(errors), "seconds": time.perf_counter() - start}


if __name__ == "__main__":
    base, path, token, rate, connections, seconds = sys.argv[1:7]
    print(json.dumps(asyncio.run(run(base, path, token, float(rate), int(connections), float(seconds)))))
