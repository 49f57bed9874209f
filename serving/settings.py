"""Serving settings, read from the environment when ``create_app()`` runs (never at import time)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from warehouse.settings import ConfigError, DatabaseUrl, env_float, env_int

ENV = "CRYPTO_RISK_ENV"  # development (default) | production
JWT_SECRET_ENV = "CRYPTO_RISK_JWT_SECRET"
CORS_ENV = "CRYPTO_RISK_CORS_ORIGINS"  # comma-separated origins; empty = no CORS headers


@dataclass(frozen=True)
class ServingSettings:
    """Everything the API needs; ``from_env`` is the one constructor used outside tests."""

    database_url: DatabaseUrl
    jwt_secret: str
    production: bool = False
    cors_origins: tuple[str, ...] = ()
    access_token_seconds: int = 900
    refresh_token_days: int = 30
    max_body_bytes: int = 1_048_576
    login_attempts: int = 5
    login_window_seconds: int = 300
    cache_ttl_seconds: float = 30.0
    ws_buffer: int = 256
    ws_heartbeat_seconds: float = 15.0
    ws_subscribe_timeout_seconds: float = 10.0
    db_pool_size: int = 10
    freshness_stale_seconds: int = 2 * 86400

    @classmethod
    def from_env(cls, database_url: DatabaseUrl | None = None) -> ServingSettings:
        """Read the environment now. ``database_url`` defaults to ``CRYPTO_RISK_DATABASE_URL``
        (or the embedded server, started if needed)."""
        env = os.environ.get(ENV, "development").strip().lower()
        if env not in ("development", "production"):
            raise ConfigError(f"{ENV} must be development or production, got {env!r}")
        production = env == "production"
        secret = os.environ.get(JWT_SECRET_ENV, "").strip()
        if not secret:
            if production:
                raise ConfigError(f"{JWT_SECRET_ENV} must be set when {ENV}=production")
            # Development only: a per-process secret, so tokens die with the server.
            secret = secrets.token_urlsafe(32)
        elif production and len(secret) < 32:
            raise ConfigError(f"{JWT_SECRET_ENV} must be at least 32 characters in production")
        if database_url is None:
            from warehouse.embedded import resolve_url

            database_url = resolve_url()
        origins = tuple(o.strip() for o in os.environ.get(CORS_ENV, "").split(",") if o.strip())
        return cls(
            database_url=database_url,
            jwt_secret=secret,
            production=production,
            cors_origins=origins,
            access_token_seconds=env_int("CRYPTO_RISK_ACCESS_TOKEN_SECONDS", 900, 30, 86400),
            refresh_token_days=env_int("CRYPTO_RISK_REFRESH_TOKEN_DAYS", 30, 1, 365),
            max_body_bytes=env_int("CRYPTO_RISK_MAX_BODY_BYTES", 1_048_576, 1024, 100 * 1_048_576),
            login_attempts=env_int("CRYPTO_RISK_LOGIN_ATTEMPTS", 5, 1, 1000),
            login_window_seconds=env_int("CRYPTO_RISK_LOGIN_WINDOW_SECONDS", 300, 1, 86400),
            cache_ttl_seconds=env_float("CRYPTO_RISK_CACHE_TTL_SECONDS", 30.0, 0.0, 86400.0),
            ws_buffer=env_int("CRYPTO_RISK_WS_BUFFER", 256, 1, 100_000),
            ws_heartbeat_seconds=env_float("CRYPTO_RISK_WS_HEARTBEAT_SECONDS", 15.0, 0.05, 3600.0),
            db_pool_size=env_int("CRYPTO_RISK_DB_POOL_SIZE", 10, 1, 200),
        )
