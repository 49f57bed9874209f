"""``/health``: 200 when the database answers (503 otherwise), with price freshness and the
latest probe of each provider."""

from __future__ import annotations

import logging

import msgspec
from litestar import Controller, Response, get

from serving.auth.tokens import PUBLIC
from serving.deps import DB, Settings
from serving.schemas.health import HealthOut, PriceFreshness, ProviderProbe, ProviderQuota
from warehouse.queries import health

log = logging.getLogger(__name__)


class HealthController(Controller):
    path = "/health"
    tags = ["operations"]

    @get("/", opt=PUBLIC)
    async def health(self, db: DB, settings: Settings) -> Response[HealthOut]:
        try:
            status = await db.run(health.status)
        except Exception as exc:  # the point of /health is to say so, not to fail
            log.warning("health check: database unreachable: %s", exc)
            return Response(HealthOut("unavailable", "unreachable", None, []), status_code=503)
        return Response(_report(status, settings.freshness_stale_seconds))


def _report(status: dict, stale_after: int) -> HealthOut:
    latest = status["latest_price_time"]
    age = (status["now"] - latest).total_seconds() if latest is not None else None
    prices = PriceFreshness(latest, age, age is None or age > stale_after)
    providers = [_probe(p) for p in status["providers"]]
    degraded = prices.stale or any(not p.ok for p in providers)
    return HealthOut("degraded" if degraded else "ok", "ok", prices, providers, status["timescale"])


def _probe(row: dict) -> ProviderProbe:
    used, limit, period = row.pop("quota_used"), row.pop("quota_limit"), row.pop("quota_period")
    quota = None if period is None else ProviderQuota(period, used or 0, limit,
                                                      None if limit is None else max(0, limit - (used or 0)))
    return msgspec.convert({**row, "quota": quota}, ProviderProbe)
