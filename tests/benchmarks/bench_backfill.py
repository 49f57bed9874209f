"""``crypto-risk bench backfill``: a three-year backfill of 100 assets through ``price_history``,
``asset_risk_metrics`` and ``portfolio_risk_metrics``, each as one run over the whole partition
range (the single-run backfill policy), recorded in a PostgreSQL-backed Dagster instance like a
backfill launched from the UI.

``--source lookalike`` (default): the live CoinGecko road (dlt, raw landing, screening,
per-day rewrites) against the local CoinGecko look-alike on a Pro plan (three years are past the
public and Demo plans' 365 days), 58 seeded coins plus long-tail ones; reports the calls made.
``--source simulated``: the simulated market, widened with bench-only coins that follow one of
its assets times a seeded walk.

Reports total ``seconds``, ``partitions``, per-asset seconds, the compute share (time inside the
asset functions; the rest is Dagster's per-partition bookkeeping) and ``coingecko_calls``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np
import polars as pl
import sqlalchemy as sa

from tests.benchmarks.support import bench_database
from warehouse.engine import get_engine, transaction
from warehouse.queries import batch

EXTRA_PREFIX = "BENCH"


@functools.lru_cache(maxsize=256)
def _walk(k: int, days: int) -> np.ndarray:
    rng = np.random.default_rng([7, k])
    return np.exp(np.cumsum(rng.normal(0.0, 0.025, days)))


def wide_simulated_market(extra: list[tuple[str, str]]):
    """The simulated market plus ``extra`` (symbol, coin id) bench coins."""
    from assets.resources import SimulatedMarketResource
    from pipelines.coingecko import POINTS
    from pipelines.simulated import UNIVERSE
    from pipelines.simulated.feed import SimulatedFeed

    base = [a.coingecko_id for a in UNIVERSE]
    ids = {cid for _, cid in extra}

    class WideFeed(SimulatedFeed):
        @contextmanager
        def history(self, coins, start, end):
            own = [c for c in coins if c.coingecko_id not in ids]
            anchors = {c.coingecko_id: c for c in own}
            with super().history(own, start, end) as harvest:
                points = harvest.frame(POINTS, {})
                for c in coins:
                    if c.coingecko_id not in ids:
                        continue
                    k = int(c.symbol[len(EXTRA_PREFIX):])
                    anchor = points.filter(pl.col("asset_id") == anchors[base[k % len(base)]].asset_id)
                    day = anchor.select((pl.col("time") - pl.lit(dt.datetime(2015, 1, 1, tzinfo=dt.UTC)))
                                        .dt.total_days())[:, 0].to_numpy()
                    factor = _walk(k, 366 * 30)[day]
                    harvest.add(POINTS, anchor.with_columns(pl.lit(c.asset_id, pl.Int32).alias("asset_id"),
                                                            pl.col("price") * factor, pl.col("market_cap") * factor * 0.01,
                                                            pl.col("volume_24h") * 0.01))
                yield harvest

    class WideMarket(SimulatedMarketResource):
        def feed(self, url):
            return WideFeed(self.seed)

    return WideMarket()


def _setup(url, extra: list[tuple[str, str]], portfolios: int) -> None:
    with transaction(url) as conn:
        for symbol, coin_id in extra:
            conn.execute(sa.text("INSERT INTO crypto_assets (symbol, coingecko_id, name) VALUES (:s, :c, :n) "
                                 "ON CONFLICT DO NOTHING"), {"s": symbol, "c": coin_id, "n": f"Bench {symbol}"})
        symbols = list(conn.execute(sa.text("SELECT symbol FROM crypto_assets ORDER BY id")).scalars())
        uid, _ = batch.ensure_user(conn, "bench@crypto-risk.dev", "not-a-real-hash")
        rng = np.random.default_rng(3)
        for p in range(portfolios):
            picks = rng.choice(symbols, size=8, replace=False)
            batch.ensure_portfolio(conn, uid, f"bench {p}", {s: float(rng.uniform(1, 100)) for s in picks})


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="crypto-risk bench backfill")
    parser.add_argument("--days", type=int, default=3 * 365)
    parser.add_argument("--assets", type=int, default=100)
    parser.add_argument("--portfolios", type=int, default=10)
    parser.add_argument("--source", choices=("lookalike", "simulated"), default="lookalike")
    args = parser.parse_args(argv)

    from dagster import DagsterInstance, load_asset_checks_from_modules, load_assets_from_modules, materialize
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from assets.definitions import ASSET_MODULES, CHECK_MODULES
    from assets.resources import (
        CoinGeckoResource,
        LanguageModelResource,
        SimulatedNewsResource,
        SimulatedWalletsResource,
        WarehouseResource,
    )
    from serving.cli import dagster_instance
    from tests.conftest import SHARED_DATA
    from tests.support.coingecko_server import CoinGeckoLookalike, ListedCoin, default_coins
    from warehouse.seed import TOP_ASSETS

    url = bench_database("crypto_risk_bench_backfill", fresh=True)
    home = Path(tempfile.mkdtemp(prefix="crypto-risk-bench-"))
    env = dagster_instance.prepare(url, home / "dagster")
    os.environ.update({**env, "CRYPTO_RISK_HOME": str(home)})
    with ExitStack() as stack:
        if args.source == "lookalike":
            n_extra = max(0, args.assets - len(TOP_ASSETS))
            extra = [(f"{EXTRA_PREFIX}{i:03d}", f"bench-coin-{i:03d}") for i in range(n_extra)]
            listed = default_coins() + [ListedCoin(cid, sym.lower(), f"Bench {sym}", 1.0 + i % 9, 1e8, {})
                                        for i, (sym, cid) in enumerate(extra)]
            server = stack.enter_context(CoinGeckoLookalike(SHARED_DATA, coins=listed, plan="pro", key="bench"))
            market = CoinGeckoResource(api_key="bench", plan_name="pro", base_url=server.coingecko_url,
                                       calls_per_minute=60_000.0)
        else:
            from pipelines import simulated

            n_extra = max(0, args.assets - len(simulated.UNIVERSE))
            extra = [(f"{EXTRA_PREFIX}{i:03d}", f"bench-coin-{i:03d}") for i in range(n_extra)]
            server, market = None, wide_simulated_market(extra)
        _setup(url, extra, args.portfolios)
        if args.source == "simulated":  # only the coins the widened market prices
            from pipelines.simulated import UNIVERSE

            keep = {a.coingecko_id for a in UNIVERSE} | {cid for _, cid in extra}
            with transaction(url) as conn:
                conn.execute(sa.text("UPDATE crypto_assets SET is_active = coingecko_id = ANY(:k)"), {"k": sorted(keep)})
        resources = {"warehouse": WarehouseResource(database_url=url.url), "market": market,
                     "etherscan": SimulatedWalletsResource(), "alphavantage": SimulatedNewsResource(),
                     "llm": LanguageModelResource()}
        defs = load_assets_from_modules(ASSET_MODULES) + load_asset_checks_from_modules(CHECK_MODULES)
        today = dt.datetime.now(dt.UTC).date()
        start_key, end_key = (today - dt.timedelta(days=args.days)).isoformat(), today.isoformat()
        partitions = args.days + 1
        tags = {ASSET_PARTITION_RANGE_START_TAG: start_key, ASSET_PARTITION_RANGE_END_TAG: end_key}
        quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}

        seconds: dict[str, float] = {}
        compute: dict[str, float] = {}
        with DagsterInstance.get() as instance:
            total_start = time.perf_counter()
            for asset in ("price_history", "asset_risk_metrics", "portfolio_risk_metrics"):
                t0 = time.perf_counter()
                result = materialize(defs, selection=[asset], resources=resources, instance=instance, tags=tags,
                                     run_config=quiet)
                seconds[asset] = round(time.perf_counter() - t0, 2)
                assert result.success, asset
                start_evt = next(e for e in result.all_events if e.event_type_value == "STEP_START" and e.step_key == asset)
                out_evt = next(e for e in result.all_events if e.event_type_value == "STEP_OUTPUT" and e.step_key == asset)
                compute[asset] = round(_ts(instance, result.run_id, out_evt) - _ts(instance, result.run_id, start_evt), 2)
            total = time.perf_counter() - total_start
        calls = dict(server.endpoint_calls) if server is not None else {}
    with get_engine(url).connect() as conn:
        counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in ("price_history", "risk_metrics", "portfolio_risk_metrics")}
        assets_priced = conn.execute(sa.text("SELECT count(DISTINCT asset_id) FROM price_history")).scalar_one()
    return {
        "source": args.source,
        "seconds": round(total, 2),
        "partitions": partitions,
        "runs": 3,
        "assets": assets_priced,
        "portfolios": args.portfolios,
        "rows": counts,
        "seconds_per_asset": seconds,
        "compute_seconds": compute,
        "partitions_per_s": round(3 * partitions / total, 1),
        "coingecko_calls": sum(calls.values()),
        "coingecko_calls_per_endpoint": calls,
        "instance": "postgres",
    }


def _ts(instance, run_id: str, event) -> float:
    for record in instance.all_logs(run_id):
        if record.dagster_event and record.dagster_event.event_type_value == event.event_type_value \
                and record.step_key == event.step_key:
            return record.timestamp
    raise LookupError(event.event_type_value)
