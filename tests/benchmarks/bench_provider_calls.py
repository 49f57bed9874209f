"""``crypto-risk bench provider-calls``: one simulated UTC day of the default schedules for 100
held assets, against the local CoinGecko look-alike (and the local Etherscan / Alpha Vantage),
counting the calls each provider receives, per endpoint.

The day is replayed slot by slot (every 5 minutes) through the same loads and the same quota
plan the Dagster schedules use (``pipelines.coingecko.budget``): the price tick and the market
snapshot (one ``/coins/markets`` answer), global totals and trending (2 minutes after), the
provider health probe, wallets hourly, news every two hours, and the nightly close of the day at
00:05. The look-alike's clock and the response cache's lifetimes follow the replayed day.

Target (issue 12): ``coingecko_calls_per_day`` <= 300 on a Demo key (10,000 calls a month).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections import Counter

import sqlalchemy as sa

from tests.benchmarks.support import bench_database
from warehouse.engine import transaction
from warehouse.queries import batch

SLOT = dt.timedelta(minutes=5)
WALLETS = ("0xddbd2b932c763ba5b1b7ae3b362eac3e8d40121a", "0x4e83362442b8d1bec281594cea3050c8eb01311c")


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="crypto-risk bench provider-calls")
    parser.add_argument("--assets", type=int, default=100, help="held (and tracked) assets")
    parser.add_argument("--plan", choices=("public", "demo", "pro"), default="demo")
    parser.add_argument("--hours", type=int, default=24, help="hours of the day to replay")
    args = parser.parse_args(argv)

    import os

    from pipelines import loads
    from pipelines.alphavantage.feed import AlphaVantageFeed
    from pipelines.coingecko.budget import plan as quota_plan
    from pipelines.coingecko.feed import CoinGeckoFeed
    from pipelines.coingecko.settings import CoinGeckoSettings
    from pipelines.etherscan.feed import EtherscanFeed
    from pipelines.http import MemoryStore
    from tests.conftest import SHARED_DATA
    from tests.support.coingecko_server import CoinGeckoLookalike, ListedCoin, default_coins
    from warehouse.queries.assets import tracked_coins
    from warehouse.seed import TOP_ASSETS

    os.environ["CRYPTO_RISK_HOME"] = tempfile.mkdtemp(prefix="crypto-risk-bench-calls-")
    url = bench_database("crypto_risk_bench_provider_calls", fresh=True)
    extra = [(f"LT{i:03d}", f"longtail-{i:03d}") for i in range(max(0, args.assets - len(TOP_ASSETS)))]
    listed = default_coins() + [ListedCoin(cid, sym.lower(), f"Long tail {sym}", 1.0 + i % 9, 1e8, {})
                                for i, (sym, cid) in enumerate(extra)]
    with transaction(url) as conn:
        for symbol, coin_id in extra:
            conn.execute(sa.text("INSERT INTO crypto_assets (symbol, coingecko_id, name) VALUES (:s, :c, :n)"),
                         {"s": symbol, "c": coin_id, "n": symbol})
        coins = tracked_coins(conn)[: args.assets]
        uid, _ = batch.ensure_user(conn, "calls@crypto-risk.dev", "not-a-real-hash")
        pid, _ = batch.ensure_portfolio(conn, uid, "everything", {c.symbol: 1.0 for c in coins})
        for address in WALLETS:
            conn.execute(sa.text("INSERT INTO wallets (portfolio_id, address) VALUES (:p, :a)"), {"p": pid, "a": address})

    day = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=1)
    key = "bench-key" if args.plan != "public" else ""
    with CoinGeckoLookalike(SHARED_DATA, coins=listed, plan=args.plan, key=key, now=day,
                            etherscan_key="bench-es-key", alphavantage_key="bench-av-key") as server:
        now = lambda: server.fixed_now  # noqa: E731
        store = MemoryStore(clock=lambda: server.fixed_now.timestamp())
        settings = CoinGeckoSettings(api_key=key, plan=args.plan, base_url=server.coingecko_url, calls_per_minute=60_000.0)
        market = CoinGeckoFeed(settings, url, store=store, clock=now)
        wallets = EtherscanFeed(url, api_key="bench-es-key", base_url=server.etherscan_url, calls_per_second=1000.0,
                                store=store)
        news = AlphaVantageFeed(url, api_key="bench-av-key", base_url=server.alphavantage_url, daily_limit=1000.0,
                                store=store)
        plan = quota_plan(settings.monthly_limit, len(coins))
        window = (day, day + dt.timedelta(days=1))
        started = time.perf_counter()
        runs: Counter[str] = Counter()
        for slot in range(args.hours * 12):
            at = day + slot * SLOT
            server.fixed_now = at + dt.timedelta(seconds=20)  # runs start a few seconds after their slot
            if plan.due("tick", at):
                loads.load_prices(url, market, coins, *window, mode="tick", at=server.fixed_now)
                loads.load_market_snapshot(url, market, coins, server.fixed_now)
                runs["tick"] += 1
            if plan.due("ping", at):
                market.health()
                runs["ping"] += 1
            if at.minute == 0:
                loads.load_wallets(url, wallets, server.fixed_now.replace(microsecond=0))
                runs["wallets"] += 1
                if at.hour % 2 == 0:
                    loads.load_news(url, news, [c.symbol for c in coins], server.fixed_now - dt.timedelta(days=2),
                                    server.fixed_now)
                    runs["news"] += 1
            market_at = at + dt.timedelta(minutes=2)
            if market_at.minute % 10 == 2:
                server.fixed_now = market_at + dt.timedelta(seconds=20)
                for kind in ("trending", "global"):
                    if plan.due(kind, market_at, offset_minutes=2):
                        loads.load_table(url, market, kind, server.fixed_now)
                        runs[kind] += 1
        server.fixed_now = window[1] + dt.timedelta(minutes=5, seconds=20)
        close = loads.load_prices(url, market, coins, *window, mode="close")
        runs["close"] += 1
        elapsed = time.perf_counter() - started
        per_provider: dict[str, Counter[str]] = {"coingecko": Counter(server.endpoint_calls)}
        for provider, endpoint, _, _ in server.requests:
            if provider != "coingecko":
                per_provider.setdefault(provider, Counter())[endpoint] += 1
    coingecko = sum(per_provider["coingecko"].values())
    return {
        "assets": len(coins),
        "plan": args.plan,
        "hours": args.hours,
        "coingecko_calls_per_day": coingecko,
        "coingecko_month_estimate": coingecko * 31,
        "monthly_limit": settings.monthly_limit,
        "per_endpoint": dict(per_provider["coingecko"]),
        "other_providers": {p: dict(c) for p, c in per_provider.items() if p != "coingecko"},
        "cadence_minutes": plan.cadence,
        "runs": dict(runs),
        "close_coins_refetched": close.coins,
        "replay_seconds": round(elapsed, 1),
    }
