"""Generated return series of several shapes, shared by the metric tests."""

from __future__ import annotations

import numpy as np


def shapes(seed: int = 7, t: int = 400) -> dict[str, np.ndarray]:
    """Named ``(T, N)`` daily return matrices with different statistical shapes."""
    rng = np.random.default_rng(seed)
    calm_then_wild = np.concatenate([rng.normal(0, 0.0005, (t // 2, 3)), rng.normal(0, 0.08, (t - t // 2, 3))])
    return {
        "gaussian": rng.normal(0.001, 0.03, (t, 4)),
        "fat_tails": rng.standard_t(3, (t, 4)) * 0.02,
        "trend_up": rng.normal(0.01, 0.004, (t, 3)),
        "crash": np.concatenate([rng.normal(0.002, 0.02, (t - 30, 3)), rng.normal(-0.06, 0.05, (30, 3))]),
        "calm_then_wild": calm_then_wild,
        "stablecoin": rng.normal(0.0, 0.0008, (t, 2)),
        "short_3": rng.normal(0.0, 0.05, (3, 3)),
        "short_12": rng.normal(0.0, 0.05, (12, 3)),
    }


def close_prices(path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(symbols, dates, prices) of the real wide close-price CSV."""
    import polars as pl

    df = pl.read_csv(path, try_parse_dates=True)
    symbols = [c for c in df.columns if c != "date"]
    return symbols, df["date"].to_numpy(), df.select(symbols).to_numpy()
