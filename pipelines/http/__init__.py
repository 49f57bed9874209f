"""Shared HTTP resilience for every provider: token-bucket rate limits, retries with backoff and
jitter honouring ``Retry-After``, a circuit breaker, and a response cache with per-endpoint TTL.
Cache and limiter state are shared across processes (``pipelines.http.state``)."""

from pipelines.http.breaker import CircuitBreaker
from pipelines.http.client import CacheStats, Endpoint, Policy, ProviderClient, ProviderHttp
from pipelines.http.state import MemoryStore, PostgresStore, RedisStore, StateStore, store_from_env

__all__ = [
    "CacheStats",
    "CircuitBreaker",
    "Endpoint",
    "MemoryStore",
    "Policy",
    "ProviderClient",
    "PostgresStore",
    "ProviderHttp",
    "RedisStore",
    "StateStore",
    "store_from_env",
]
