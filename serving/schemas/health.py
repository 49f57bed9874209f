"""``/health``: the database, the latest price partition's freshness, each provider's last probe."""

from __future__ import annotations

from datetime import datetime

import msgspec


class ProviderQuota(msgspec.Struct):
    """The provider's monthly call budget as the last probe saw it (our own count, every process)."""

    period: str
    used: int
    limit: int | None
    remaining: int | None


class ProviderProbe(msgspec.Struct):
    provider: str
    checked_at: datetime
    ok: bool
    status_code: int | None
    latency_ms: float | None
    error_rate: float | None
    error: str | None
    quota: ProviderQuota | None = None


class PriceFreshness(msgspec.Struct):
    latest: datetime | None
    age_seconds: float | None
    stale: bool


class HealthOut(msgspec.Struct):
    status: str
    database: str
    prices: PriceFreshness | None
    providers: list[ProviderProbe]
    timescale: bool | None = None
