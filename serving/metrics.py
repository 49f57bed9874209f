"""Prometheus metrics of the serving process (request latency comes from Litestar's plugin).

Collectors are module-level, as prometheus_client expects: one set per process, shared by every
app instance in it (tests build several apps).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

WS_CONNECTIONS = Gauge("crypto_risk_ws_connections", "Open WebSocket connections")
WS_EVENTS_SENT = Counter("crypto_risk_ws_events_sent", "Events sent to WebSocket clients (one per client)")
WS_DROPPED = Counter("crypto_risk_ws_clients_dropped", "WebSocket clients dropped", ["reason"])
OUTBOX_EVENTS = Counter("crypto_risk_outbox_events_received", "Outbox events read by this process's listener")
CACHE_REQUESTS = Counter("crypto_risk_cache_requests", "Response cache lookups", ["result"])
CACHE_INVALIDATIONS = Counter("crypto_risk_cache_invalidations", "Response cache flushes caused by outbox events")
CACHE_HIT_RATIO = Gauge("crypto_risk_cache_hit_ratio", "Share of response cache lookups that hit, since start")


def _hit_ratio() -> float:
    hits = CACHE_REQUESTS.labels("hit")._value.get()
    misses = CACHE_REQUESTS.labels("miss")._value.get()
    return hits / (hits + misses) if hits + misses else 0.0


CACHE_HIT_RATIO.set_function(_hit_ratio)
