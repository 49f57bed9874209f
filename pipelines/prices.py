"""Price points from any provider into the rows ``price_history`` keeps: one convention for daily
closes, and the screen that keeps implausible points out.

The close convention
    Day D's close is the last price of D (UTC). A point stamped exactly 00:00:00 UTC is the price
    at the end of the day before (CoinGecko's daily points, Alpha Vantage's daily candles): it is
    stored at 23:59:59.999999 of that day, so day D's bucket ends with D's close and starts with
    D's first observation, whatever the granularity a provider sent. Every other point keeps its
    own time. The running day's newest point is its latest price.

The screen
    A point is quarantined (kept in ``price_quarantine`` with its reason, never read as a price)
    when it is non-positive or not finite, below ``MIN_PRICE`` (no listed coin trades under
    1e-12 USD; 1e-300 is a broken answer), or an isolated jump: more than ``jump`` times away
    from both neighbours (the stored price before the batch counts as the first point's earlier
    neighbour) while the neighbours agree with each other. A real move is confirmed by the next
    point and passes; a lone spike or dip that reverts is refused.
"""

from __future__ import annotations

import datetime as dt
import math

import polars as pl

from warehouse.queries.assets import Coin

__all__ = ["Coin", "close_stamp", "dedupe", "restamp_midnights", "screen"]

DAY = dt.timedelta(days=1)
END_OF_DAY = DAY - dt.timedelta(microseconds=1)
MIN_PRICE = 1e-12
#: A point more than this many times above or below both neighbours is quarantined.
DEFAULT_JUMP = 5.0
UTC_US = pl.Datetime("us", "UTC")
POINT_SCHEMA = {"asset_id": pl.Int32, "time": UTC_US, "price": pl.Float64, "market_cap": pl.Float64,
                "volume_24h": pl.Float64, "source": pl.String}


def close_stamp(day: dt.date) -> dt.datetime:
    """Where day ``day``'s close is stored: its last microsecond."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + END_OF_DAY


def restamp_midnights(points: pl.DataFrame) -> pl.DataFrame:
    """Points stamped exactly at 00:00:00 UTC become the previous day's close (see above)."""
    midnight = pl.col("time") == pl.col("time").dt.truncate("1d")
    return points.with_columns(
        pl.when(midnight).then(pl.col("time") - pl.duration(microseconds=1)).otherwise(pl.col("time")).alias("time"))


def day_of(column: str = "time") -> pl.Expr:
    return pl.col(column).dt.truncate("1d").alias("day")


def screen(points: pl.DataFrame, before: pl.DataFrame | None = None, *, jump: float = DEFAULT_JUMP,
           min_price: float = MIN_PRICE) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``points`` (POINT_SCHEMA) into (accepted, quarantined + ``reason``).

    ``before`` (asset_id, price): each asset's last stored price before the batch, the earlier
    neighbour of its first point.
    """
    if points.height == 0:
        return points, points.with_columns(pl.lit(None, pl.String).alias("reason"))
    ratio = math.log(jump)
    price = pl.col("price")
    broken = (~price.is_finite()) | (price <= 0)
    frame = points.sort("asset_id", "time").with_columns(
        pl.when(broken).then(pl.lit("not a positive finite price"))
        .when(price < min_price).then(pl.lit(f"below {min_price:g} USD"))
        .otherwise(None).alias("reason"))
    # Neighbours among the sound points only, so one bad value cannot hide a spike next to it.
    sound = frame.filter(pl.col("reason").is_null())
    if before is not None and before.height:
        sound = sound.join(before.select("asset_id", pl.col("price").alias("_before")), on="asset_id", how="left")
    else:
        sound = sound.with_columns(pl.lit(None, pl.Float64).alias("_before"))
    logp = price.log()
    prev = logp.shift(1).over("asset_id")
    first = pl.int_range(pl.len()).over("asset_id") == 0
    prev = pl.when(first).then(pl.col("_before").log()).otherwise(prev)
    nxt = logp.shift(-1).over("asset_id")
    spike = (
        prev.is_not_null() & nxt.is_not_null()
        & ((logp - prev).abs() > ratio) & ((logp - nxt).abs() > ratio) & ((prev - nxt).abs() <= ratio)
    )
    # A last point (nothing after it yet) is judged against its earlier neighbour alone only when
    # that is the stored price: a new tick 5x away from the last stored price waits for a second
    # observation; inside one answer the next point decides.
    lone_tick = first & nxt.is_null() & pl.col("_before").is_not_null() & ((logp - pl.col("_before").log()).abs() > ratio)
    flagged = sound.with_columns(
        pl.when(spike | lone_tick).then(pl.lit(f"jump beyond {jump:g}x against its neighbours"))
        .otherwise(None).alias("reason")).drop("_before")
    out = pl.concat([frame.filter(pl.col("reason").is_not_null()), flagged]).sort("asset_id", "time")
    accepted = out.filter(pl.col("reason").is_null()).drop("reason")
    return accepted, out.filter(pl.col("reason").is_not_null())


def dedupe(points: pl.DataFrame) -> pl.DataFrame:
    """One row per (asset, time): identical repeats collapse (CoinGecko repeats its newest point)."""
    return points.unique(["asset_id", "time"], keep="last", maintain_order=True)
