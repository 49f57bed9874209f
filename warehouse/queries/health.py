"""What ``/health`` reports: the database answers, how fresh the latest price is, provider probes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import price_history
from warehouse.queries import rows
from warehouse.timescale import features_enabled

# The newest probe per provider; the (provider, checked_at DESC) index serves it.
_LATEST_PROBES = sa.text(
    """
    SELECT DISTINCT ON (provider) provider, checked_at, ok, status_code, latency_ms, error_rate, error,
           quota_used, quota_limit, quota_period
    FROM provider_health ORDER BY provider, checked_at DESC
    """
)


def status(conn: Connection) -> dict[str, Any]:
    """Database clock, the newest price time (None before the first ingest), the latest probe of
    each provider, and whether Timescale features are on."""
    return {
        "now": conn.execute(sa.select(sa.func.now())).scalar_one(),
        "latest_price_time": conn.execute(sa.select(sa.func.max(price_history.c.time))).scalar(),
        "providers": rows(conn.execute(_LATEST_PROBES)),
        "timescale": features_enabled(conn),
    }
