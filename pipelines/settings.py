"""Helpers the provider settings share: environment parsing with errors that name the variable."""

from __future__ import annotations

import os

from warehouse.settings import ConfigError

MARKET_SOURCE_ENV = "CRYPTO_RISK_MARKET_SOURCE"
MARKET_SOURCES = ("coingecko", "simulated")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {raw!r}")
    return value


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def market_source(source: str | None = None) -> str:
    """``source`` or ``CRYPTO_RISK_MARKET_SOURCE``; ``simulated`` (offline) when neither is set."""
    value = (source or env_str(MARKET_SOURCE_ENV) or "simulated").lower()
    if value not in MARKET_SOURCES:
        raise ConfigError(f"{MARKET_SOURCE_ENV} must be one of {', '.join(MARKET_SOURCES)}, got {value!r}")
    return value
