"""``crypto-risk bench backfill``: a three-year backfill of 100 simulated assets through
``price_history``, ``asset_risk_metrics`` and ``portfolio_risk_metrics``, each as one run over
the whole partition range (the single-run backfill policy), recorded in a PostgreSQL-backed
Dagster instance like a backfill launched from the UI.

The simulated market has 36 assets; the other 64 are bench-only symbols whose prices follow one
of them times a seeded idiosyncratic walk (deterministic, so partitions agree across ranges).
Reports total ``seconds``, ``partitions``, per-asset seconds and the compute share (time inside
the asset functions; the rest is Dagster's per-partition bookkeeping).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
import sqlalchemy as sa

from tests.benchmarks.support import bench_database
from warehouse.engine import get_engine, transaction
from warehouse.queries import batch

EXTRA_PREFIX = "BENCH"
EPOCH = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)


@functools.lru_cache(maxsize=256)
def _walk(k: int, days: int) -> np.ndarray:
    rng = np.random.default_rng([7, k])
    return np.exp(np.cumsum(rng.normal(0.0, 0.025, days)))


def wide_market_resource(extra: int):
    from assets.resources import MarketDataResource, SimulatedMarket
    from pipelines import simulated

    base = list(simulated.SYMBOLS)
    extra_symbols = [f"{EXTRA_PREFIX}{i:03d}" for i in range(extra)]

    class WideMarket(SimulatedMarket):
        def universe(self, known):
            return super().universe(known) + [s for s in extra_symbols if s in set(known)]

        def prices(self, symbols, start, end, interval):
            own = [s for s in symbols if s in simulated.SYMBOLS]
            frame = super().prices(own, start, end, interval)
            frames = [frame]
            for s in symbols:
                if s in simulated.SYMBOLS:
                    continue
                k = int(s[len(EXTRA_PREFIX):])
                anchor = frame.filter(pl.col("symbol") == base[k % len(base)])
                day = anchor.select((pl.col("time") - pl.lit(EPOCH)).dt.total_days())[:, 0].to_numpy()
                factor = _walk(k, 366 * 30)[day]
                frames.append(anchor.with_columns(
                    pl.lit(s).alias("symbol"), pl.col("price") * factor, pl.col("market_cap") * factor * 0.01,
                    pl.col("volume_24h") * 0.01))
            return pl.concat(frames)

    class WideMarketResource(MarketDataResource):
        def client(self, url):
            return WideMarket(self.seed)

    return WideMarketResource(source="simulated"), extra_symbols


def _setup(url, extra_symbols: list[str], portfolios: int) -> None:
    with transaction(url) as conn:
        for s in extra_symbols:
            conn.execute(sa.text("INSERT INTO crypto_assets (symbol, coingecko_id, name) VALUES (:s, :c, :n) "
                                 "ON CONFLICT DO NOTHING"), {"s": s, "c": s.lower(), "n": f"Bench {s}"})
        uid, _ = batch.ensure_user(conn, "bench@crypto-risk.dev", "not-a-real-hash")
        rng = np.random.default_rng(3)
        from pipelines import simulated

        universe = list(simulated.SYMBOLS) + extra_symbols
        for p in range(portfolios):
            picks = rng.choice(universe, size=8, replace=False)
            batch.ensure_portfolio(conn, uid, f"bench {p}", {s: float(rng.uniform(1, 100)) for s in picks})


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="crypto-risk bench backfill")
    parser.add_argument("--days", type=int, default=3 * 365)
    parser.add_argument("--assets", type=int, default=100)
    parser.add_argument("--portfolios", type=int, default=10)
    args = parser.parse_args(argv)

    from dagster import DagsterInstance, load_asset_checks_from_modules, load_assets_from_modules, materialize
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from assets.definitions import ASSET_MODULES, CHECK_MODULES
    from assets.resources import AlphaVantageResource, EtherscanResource, LanguageModelResource, WarehouseResource
    from pipelines import simulated
    from serving.cli import dagster_instance

    url = bench_database("crypto_risk_bench_backfill", fresh=True)
    market, extra = wide_market_resource(max(0, args.assets - len(simulated.SYMBOLS)))
    _setup(url, extra, args.portfolios)
    home = Path(tempfile.mkdtemp(prefix="crypto-risk-bench-dagster-"))
    env = dagster_instance.prepare(url, home)
    os.environ.update(env)
    resources = {"warehouse": WarehouseResource(database_url=url.url), "market": market,
                 "etherscan": EtherscanResource(source="simulated"), "alphavantage": AlphaVantageResource(source="simulated"),
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
    with get_engine(url).connect() as conn:
        counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in ("price_history", "risk_metrics", "portfolio_risk_metrics")}
        assets_priced = conn.execute(sa.text("SELECT count(DISTINCT asset_id) FROM price_history")).scalar_one()
    return {
        "seconds": round(total, 2),
        "partitions": partitions,
        "runs": 3,
        "assets": assets_priced,
        "portfolios": args.portfolios,
        "rows": counts,
        "seconds_per_asset": seconds,
        "compute_seconds": compute,
        "partitions_per_s": round(3 * partitions / total, 1),
        "instance": "postgres",
    }


def _ts(instance, run_id: str, event) -> float:
    for record in instance.all_logs(run_id):
        if record.dagster_event and record.dagster_event.event_type_value == event.event_type_value \
                and record.step_key == event.step_key:
            return record.timestamp
    raise LookupError(event.event_type_value)
