"""``crypto-risk bench ws``: outbox events fanned out to many WebSocket clients by one serving
process.

Clients run in ``--processes`` other processes on loopback, all subscribed to ``price_updates``;
events are committed through the warehouse (``publish`` in a transaction) ``--interval`` seconds
apart. Per event: ``fanout`` = commit to the last client receiving it; ``e2e`` = commit to one
designated client, the probe, which subscribes before all the others: the hub fans out in
subscription order, so this is the pipeline's own latency (NOTIFY, outbox read, encode, send)
without a place in the broadcast queue; ``median_client`` = commit to the median client (half of
the clients have the event by then). The open-file limit is raised here (inherited by the server
and the clients), not in the app. Targets: 10,000 clients, fanout p99 < 1 s, e2e p50 < 100 ms.

Clients and server share the machine's cores (with whatever else runs there), so latencies move
with the machine's load; the CPU time the server and the clients spend per event during the event
phase does not, and says where the time goes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.benchmarks.servers import raise_open_files, serve
from tests.benchmarks.support import bench_database, percentile
from warehouse.engine import transaction
from warehouse.outbox import publish

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="crypto-risk bench ws")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between events")
    args = parser.parse_args(argv)
    limit = raise_open_files()
    if args.clients + 100 > limit:
        raise SystemExit(f"the open-file hard limit ({limit}) is too low for {args.clients} clients")
    url = bench_database("crypto_risk_bench_ws", fresh=True)
    with serve("serving.app:create_app", url, workers=1, ready_path="/health") as served:
        ws_url = served.base.replace("http://", "ws://") + "/ws"
        shares = [args.clients // args.processes + (i < args.clients % args.processes) for i in range(args.processes)]
        started = time.monotonic()

        def clients(n: int, *flags: str) -> subprocess.Popen:
            cmd = [sys.executable, "-m", "tests.benchmarks.wsclients", ws_url, str(n), str(args.events), *flags]
            return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)

        procs = [clients(shares[0], "--probe")]
        if procs[0].stdout.readline().strip() != "probe":
            raise SystemExit("the probe client could not subscribe")
        procs += [clients(n) for n in shares[1:]]
        connected = sum(int(p.stdout.readline().split()[1]) for p in procs)
        connect_seconds = time.monotonic() - started
        commits: dict[int, float] = {}
        server_cpu = served.cpu_seconds()
        for i in range(args.events):
            time.sleep(args.interval)
            with transaction(url) as conn:
                seq = publish(conn, "price_updates", {"type": "partition", "symbol": "BTC", "i": i})
            commits[seq] = time.time()
        outputs = [json.loads(p.stdout.readline()) for p in procs]
        server_cpu = served.cpu_seconds() - server_cpu
        for p in procs:
            p.wait(timeout=60)
    every: dict[int, list[float]] = {}
    for out in outputs:
        for seq, times in out["received"].items():
            every.setdefault(int(seq), []).extend(times)
    count = {s: len(times) for s, times in every.items()}
    fanout = [max(every[s]) - commits[s] for s in commits if s in every]
    median_client = [statistics.median(every[s]) - commits[s] for s in commits if s in every]
    probe = {int(s): t for s, t in outputs[0]["probe"].items()}
    e2e = [probe[s] - commits[s] for s in commits if s in probe]
    delivered = sum(count.values())
    return {
        "clients": connected,
        "events": args.events,
        "deliveries": delivered,
        "delivered_fraction": round(delivered / (args.clients * args.events), 4),
        "fanout_p50_ms": round(percentile(fanout, 0.50) * 1000, 1),
        "fanout_p99_ms": round(percentile(fanout, 0.99) * 1000, 1),
        "e2e_p50_ms": round(percentile(e2e, 0.50) * 1000, 1),
        "e2e_p99_ms": round(percentile(e2e, 0.99) * 1000, 1),
        "median_client_p50_ms": round(percentile(median_client, 0.50) * 1000, 1),
        "connect_seconds": round(connect_seconds, 1),
        "server_cpu_ms_per_event": round(server_cpu / args.events * 1000, 1),
        "clients_cpu_ms_per_event": round(sum(o["cpu_seconds"] for o in outputs) / args.events * 1000, 1),
        "client_processes": args.processes,
        "failed_clients": sum(o["failed"] for o in outputs),
        "note": "one serving process; clients and server share the machine's cores",
    }
