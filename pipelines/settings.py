"""Helpers the provider settings share: environment parsing with errors that name the variable."""

from __future__ import annotations

from warehouse.settings import env_float as _env_float
from warehouse.settings import env_int, env_str

__all__ = ["env_float", "env_int", "env_str"]


def env_float(name: str, default: float) -> float:
    """Rates and limits: a positive number (``warehouse.settings.env_float``)."""
    return _env_float(name, default, positive=True)
