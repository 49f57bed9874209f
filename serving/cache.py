"""The response cache of public market and price reads: Litestar's response cache over a memory
store that counts hits and misses. Entries expire after the configured TTL and are flushed as soon
as the outbox announces new public market data, so a cached answer is never older than the data."""

from __future__ import annotations

from datetime import timedelta

from litestar.stores.memory import MemoryStore

from serving.metrics import CACHE_INVALIDATIONS, CACHE_REQUESTS

# Outbox channels whose public events (no user) change what the cached routes return.
INVALIDATING_CHANNELS = frozenset({"price_updates", "risk_metrics_updates"})
STORE_NAME = "response_cache"


class CountingStore(MemoryStore):
    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        value = await super().get(key, renew_for)
        CACHE_REQUESTS.labels("miss" if value is None else "hit").inc()
        return value

    async def invalidate(self) -> None:
        CACHE_INVALIDATIONS.inc()
        await self.delete_all()
