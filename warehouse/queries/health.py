"""What ``/health`` reports: the database answers, how fresh the latest price is, provider probes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import price_history, provider_health
from warehouse.queries import rows
from warehouse.timescale import features_enabled


def status(conn: Connection) -> dict[str, Any]:
    """Database clock, the newest price time (None before the first ingest) and the latest probe
    of each provider."""
    now = conn.execute(sa.select(sa.func.now())).scalar_one()
    latest_price = conn.execute(sa.select(sa.func.max(price_history.c.time))).scalar()
    ph = provider_health
    probes = conn.execute(
        sa.select(
            ph.c.provider,
            ph.c.checked_at,
            ph.c.ok,
            ph.c.status_code,
            ph.c.latency_ms,
            ph.c.error_rate,
            ph.c.error,
        )
        .distinct(ph.c.provider)
        .order_by(ph.c.provider, ph.c.checked_at.desc())
    )
    return {
        "now": now,
        "latest_price_time": latest_price,
        "providers": rows(probes),
        "timescale": features_enabled(conn),
    }
