"""Synthetic frames for warehouse tests and benchmarks."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

EPOCH = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)


def price_frame(
    asset_ids: list[int], days: int, *, start: dt.datetime = EPOCH, every: str = "1d", seed: int = 7
) -> pl.DataFrame:
    """A random-walk price table: one row per asset per step."""
    times = pl.datetime_range(start, start + dt.timedelta(days=days), every, closed="left", eager=True, time_zone="UTC")
    n = len(times)
    rng = np.random.default_rng(seed)
    frames = []
    for asset in asset_ids:
        prices = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.03, n)))
        frames.append(
            pl.DataFrame(
                {
                    "asset_id": pl.Series([asset] * n, dtype=pl.Int32),
                    "time": times,
                    "price": prices,
                    "market_cap": prices * 1e6,
                    "volume_24h": prices * 1e4,
                    "source": ["simulated"] * n,
                }
            )
        )
    return pl.concat(frames)
