"""Helpers the provider settings share: environment parsing with errors that name the variable."""

from __future__ import annotations

from warehouse.settings import ConfigError, env_int, env_str
from warehouse.settings import env_float as _env_float

__all__ = ["env_float", "env_int", "env_str", "market_source"]

MARKET_SOURCE_ENV = "CRYPTO_RISK_MARKET_SOURCE"
MARKET_SOURCES = ("coingecko", "simulated")


def env_float(name: str, default: float) -> float:
    """Rates and limits: a positive number (``warehouse.settings.env_float``)."""
    return _env_float(name, default, positive=True)


def market_source(source: str | None = None) -> str:
    """``source`` or ``CRYPTO_RISK_MARKET_SOURCE``; ``simulated`` (offline) when neither is set."""
    value = (source or env_str(MARKET_SOURCE_ENV) or "simulated").lower()
    if value not in MARKET_SOURCES:
        raise ConfigError(f"{MARKET_SOURCE_ENV} must be one of {', '.join(MARKET_SOURCES)}, got {value!r}")
    return value
