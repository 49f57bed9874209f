"""Partitions and concurrency pools shared by the domains.

One daily partitions definition for every time-series asset (prices, asset and portfolio risk,
correlations, the Parquet export), so their partitions line up one to one in the UI and a
backfill selects the same days everywhere. Today's partition is included (``end_offset=1``): the
5-minute price schedule and the holdings sensor keep it current until the day closes, and the
daily risk schedule then rewrites the closed day.
"""

from __future__ import annotations

import datetime as dt

from dagster import BackfillPolicy, DailyPartitionsDefinition

#: First partition (UTC day). Backfills choose any range from here on; 3+ years of history.
PARTITIONS_START = "2022-01-01"

daily_partitions = DailyPartitionsDefinition(start_date=PARTITIONS_START, timezone="UTC", end_offset=1)

#: A backfill of any length is one run per asset: these assets process a whole range at once.
single_run = BackfillPolicy.single_run()

# Concurrency pools: the design's queues. Limits are applied to the instance by ``apply_pool_limits``
# (dagster.yaml only holds the default for pools not listed here).
CRYPTO_DATA = "crypto_data"  # price ingestion
MARKET_DATA = "market_data"  # market snapshots, trending, news
BLOCKCHAIN_DATA = "blockchain_data"  # Etherscan wallets
MAINTENANCE = "maintenance"  # cleanup, exports
MONITORING = "monitoring"  # provider health, risk computations that feed alerts
POOL_LIMITS: dict[str, int] = {
    CRYPTO_DATA: 2,
    MARKET_DATA: 2,
    BLOCKCHAIN_DATA: 1,
    MAINTENANCE: 1,
    MONITORING: 4,
}


def apply_pool_limits(instance) -> dict[str, int]:
    """Set each pool's slot count on a Dagster instance (idempotent); returns the limits."""
    for pool, limit in POOL_LIMITS.items():
        instance.event_log_storage.set_concurrency_slots(pool, limit)
    return dict(POOL_LIMITS)


def day_window(key_start: str, key_end: str | None = None) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC of the partition keys ``key_start`` .. ``key_end`` (inclusive)."""
    first = dt.datetime.fromisoformat(key_start).replace(tzinfo=dt.UTC)
    last = dt.datetime.fromisoformat(key_end or key_start).replace(tzinfo=dt.UTC)
    return first, last + dt.timedelta(days=1)
