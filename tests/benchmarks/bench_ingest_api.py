"""Benchmark ``ingest-api``: real CoinGecko client -> local provider server -> parse, validate ->
curated upsert into PostgreSQL, end to end.

The local server answers ``/coins/{id}/market_chart/range`` for every coin with the real recorded
30-day hourly BTC series (720 points), so N coins make N x 720 price updates per pass. Pass 1 is
cold (every response fetched over HTTP, cache filled in the warehouse's ``response_cache``);
the refresh passes that follow within the TTL are served from that cache, as a schedule polling
more often than the data changes would be, and their upserts write nothing (rows unchanged).

``price_updates_per_s`` is the cold pass: HTTP + JSON + pandera validation + COPY upsert of rows
that are all new. ``cache_hit_rate`` counts every response lookup of all passes.
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

    import polars as pl
    from pipelines.store import write_prices

    from pipelines.coingecko import helpers as cg
    from pipelines.coingecko.settings import CoinGeckoSettings
    from pipelines.http import Policy, PostgresStore
    from tests.conftest import SHARED_DATA, _server_url, create_database, drop_database
    from tests.support.provider_server import ProviderServer
    from warehouse import migrate
    from warehouse.engine import transaction
    from warehouse.seed import TOP_ASSETS

    if not SHARED_DATA.is_dir():
        raise SystemExit(f"the recorded provider data {SHARED_DATA} is missing (it sits beside the repository)")
    coins = {cid: sym for sym, cid, *_ in TOP_ASSETS[: args.coins]}
    server_url = _server_url()
    db = create_database(server_url, f"crt_bench_{uuid.uuid4().hex[:10]}")
    try:
        migrate.upgrade(db)
        with ProviderServer(SHARED_DATA) as server:
            chart = server.load("coingecko/market_chart_bitcoin_usd_30d_hourly_2021-05-15.json")
            server.charts = {cid: chart for cid in coins}
            client = cg.CoinGeckoClient(
                CoinGeckoSettings(api_key="", plan="public", base_url=server.coingecko_url),
                store=PostgresStore(db),
                policy=Policy(rate_per_s=100_000, burst=100_000),
            )
            start, end = dt.datetime(2021, 4, 15, tzinfo=dt.UTC), dt.datetime(2021, 5, 16, tzinfo=dt.UTC)
            passes = []
            for _ in range(1 + args.refreshes):
                t0 = time.perf_counter()
                frame = pl.concat([cg.parse_market_chart(client.market_chart_range(cid, start, end), sym)
                                   for cid, sym in coins.items()])
                with transaction(db) as conn:
                    written = write_prices(conn, frame).rows
                passes.append({"seconds": time.perf_counter() - t0, "rows": frame.height, "written": written})
            client.close()
    finally:
        drop_database(server_url, db)
    cold, warm = passes[0], passes[1:]
    warm_rows = sum(p["rows"] for p in warm)
    warm_seconds = sum(p["seconds"] for p in warm)
    return {
        "price_updates_per_s": round(cold["rows"] / cold["seconds"], 1),
        "cache_hit_rate": round(client.http.cache_stats.hit_rate or 0.0, 4),
        "target_price_updates_per_s": 10_000,
        "coins": len(coins),
        "rows_per_pass": cold["rows"],
        "cold_seconds": round(cold["seconds"], 3),
        "cold_rows_written": cold["written"],
        "refresh_passes": len(warm),
        "refresh_updates_per_s": round(warm_rows / warm_seconds, 1) if warm else None,
        "refresh_rows_written": sum(p["written"] for p in warm),
        "http_calls": sum(client.http.calls.values()),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(main(sys.argv[1:])))
