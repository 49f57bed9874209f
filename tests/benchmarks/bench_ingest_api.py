"""Benchmark ``ingest-api``: the live price road end to end, CoinGecko look-alike -> client ->
Structs -> screen -> per-(coin, day) rewrite in PostgreSQL -> raw landing with dlt.

A 30-day range per coin (hourly points, CoinGecko's granularity for it: 720 per coin), so N coins
make N x 720 price updates per pass. Pass 1 is cold (every answer fetched over HTTP, the cache
filled in the warehouse's ``response_cache``); the refresh passes that follow within the TTL are
served from that cache and rewrite the same rows.

``price_updates_per_s`` is the cold pass: HTTP + decode + screen + rewrite + raw landing.
``cache_hit_rate`` counts every response lookup of all passes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="crypto-risk bench ingest-api")
    parser.add_argument("--coins", type=int, default=50, help="coins per pass (<= 58, the seeded assets)")
    parser.add_argument("--refreshes", type=int, default=3, help="cached refresh passes after the cold one")
    args = parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    import os
    import tempfile

    from pipelines import loads
    from pipelines.coingecko.feed import CoinGeckoFeed
    from pipelines.coingecko.settings import CoinGeckoSettings
    from pipelines.http import Policy, PostgresStore
    from tests.conftest import SHARED_DATA, _server_url, create_database, drop_database
    from tests.support.coingecko_server import CoinGeckoLookalike
    from warehouse import migrate
    from warehouse.engine import transaction
    from warehouse.queries.assets import tracked_coins

    if not SHARED_DATA.is_dir():
        raise SystemExit(f"the recorded provider data {SHARED_DATA} is missing (it sits beside the repository)")
    os.environ["CRYPTO_RISK_HOME"] = tempfile.mkdtemp(prefix="crypto-risk-bench-")
    server_url = _server_url()
    db = create_database(server_url, f"crt_bench_{uuid.uuid4().hex[:10]}")
    try:
        migrate.upgrade(db)
        with transaction(db) as conn:
            coins = tracked_coins(conn)[: args.coins]
        with CoinGeckoLookalike(SHARED_DATA) as server:
            feed = CoinGeckoFeed(CoinGeckoSettings(plan="public", base_url=server.coingecko_url), db,
                                 store=PostgresStore(db), policy=Policy(rate_per_s=100_000, burst=100_000))
            today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            start, end = today - dt.timedelta(days=31), today - dt.timedelta(days=1)
            passes = []
            for _ in range(1 + args.refreshes):
                t0 = time.perf_counter()
                load = loads.load_prices(db, feed, coins, start, end)
                passes.append({"seconds": time.perf_counter() - t0, "rows": load.rows})
            stats, calls = feed.client.http.cache_stats, sum(feed.client.http.calls.values())
            feed.client.close()
    finally:
        drop_database(server_url, db)
    cold, warm = passes[0], passes[1:]
    warm_rows = sum(p["rows"] for p in warm)
    warm_seconds = sum(p["seconds"] for p in warm)
    return {
        "price_updates_per_s": round(cold["rows"] / cold["seconds"], 1),
        "cache_hit_rate": round(stats.hit_rate or 0.0, 4),
        "target_price_updates_per_s": 10_000,
        "coins": len(coins),
        "rows_per_pass": cold["rows"],
        "cold_seconds": round(cold["seconds"], 3),
        "refresh_passes": len(warm),
        "refresh_updates_per_s": round(warm_rows / warm_seconds, 1) if warm else None,
        "http_calls": calls,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(main(sys.argv[1:])))
